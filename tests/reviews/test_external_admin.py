"""Other fact-checkers' reviews at the desk: admin upload, "also checked by", review-form evidence, staff API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.models import ExternalReview, Review
from tests.factories import make_user, rating

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "claimreview"


def external_review(claim, **fields) -> ExternalReview:
    values = {
        "url": "https://checker.example.org/checks/1",
        "publisher": "Checker Example",
        "claim_reviewed": "Workers were paid $7.25 an hour.",
        "rating_text": "Pants on Fire",
        "rating_key": "pants on fire",
        "raw": {},
        "source": "test",
        "claim": claim,
        "match_score": 0.5,
        **fields,
    }
    return ExternalReview.objects.create(**values)


def test_an_editor_uploads_claimreview_files_and_sees_the_count(client, editor):
    client.force_login(editor)
    upload = reverse("admin:reviews_externalreview_upload")
    assert "Upload ClaimReviews" in client.get(reverse("admin:reviews_externalreview_changelist")).content.decode()

    files = [SimpleUploadedFile(n, (SAMPLES / n).read_bytes()) for n in ("list.json", "refused.json")]
    response = client.post(upload, {"files": files, "urls": ""}, follow=True)

    texts = [str(m) for m in response.context["messages"]]
    assert texts[-1].startswith("8 read, 3 imported, 0 updated, 5 skipped (")
    assert any(t.startswith("Skipped refused.json record 4: no rating") for t in texts)
    assert ExternalReview.objects.count() == 3


def test_a_reviewer_may_not_upload(client, reviewer1):
    client.force_login(reviewer1)
    assert client.get(reverse("admin:reviews_externalreview_upload")).status_code == 403


def test_the_claim_page_in_the_admin_says_who_else_checked_it(client, drive, editor):
    claim = drive("in_review")
    external_review(claim)
    client.force_login(editor)

    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()

    assert "also checked by" in page.lower()
    assert "Checker Example" in page and "Pants on Fire" in page
    assert "https://checker.example.org/checks/1" in page


def test_the_review_form_offers_them_as_outside_url_evidence(client, drive, reviewer1):
    claim = drive("in_review")
    external_review(claim)
    client.force_login(reviewer1)
    url = reverse("admin:reviews_review_add") + f"?claim={claim.pk}"

    form = client.get(url).content.decode()
    assert 'value="https://checker.example.org/checks/1"' in form
    assert "Also checked by Checker Example (Pants on Fire)" in form

    appearance = claim.appearances.first()
    data = {
        "claim": claim.pk,
        "rating": rating("false").pk,
        "rationale": "Another desk found the same.",
        "evidence-TOTAL_FORMS": 4,
        "evidence-INITIAL_FORMS": 1,
        "evidence-MIN_NUM_FORMS": 0,
        "evidence-MAX_NUM_FORMS": 20,
        # The offered row, used by picking its stance.
        "evidence-0-stance": "refutes",
        "evidence-0-url": "https://checker.example.org/checks/1",
        "evidence-0-title": "Checker Example: Pants on Fire",
        "evidence-0-excerpt": "Workers were paid $7.25 an hour.",
        "evidence-1-stance": "supports",
        "evidence-1-document": appearance.document.pk,
        "evidence-1-quote": "$7.25 an hour",
    }
    assert client.post(url, data).status_code == 302
    review = Review.objects.get(claim=claim, reviewer=reviewer1)
    assert sorted(review.evidence.values_list("url", flat=True)) == ["", "https://checker.example.org/checks/1"]


def test_an_offered_row_left_without_a_stance_is_not_evidence(client, drive, reviewer1):
    claim = drive("in_review")
    external_review(claim)
    client.force_login(reviewer1)
    appearance = claim.appearances.first()
    data = {
        "claim": claim.pk,
        "rating": rating("false").pk,
        "rationale": "Checked.",
        "evidence-TOTAL_FORMS": 4,
        "evidence-INITIAL_FORMS": 1,
        "evidence-MIN_NUM_FORMS": 0,
        "evidence-MAX_NUM_FORMS": 20,
        "evidence-0-url": "https://checker.example.org/checks/1",
        "evidence-0-title": "Checker Example: Pants on Fire",
        "evidence-0-excerpt": "Workers were paid $7.25 an hour.",
        "evidence-1-stance": "supports",
        "evidence-1-document": appearance.document.pk,
        "evidence-1-quote": "$7.25 an hour",
    }
    assert client.post(reverse("admin:reviews_review_add") + f"?claim={claim.pk}", data).status_code == 302
    assert list(Review.objects.get(claim=claim).evidence.values_list("url", flat=True)) == [""]


# --- The staff API --------------------------------------------------------------------------------


def test_the_api_lists_them_to_staff_only(drive):
    claim = drive("in_review")
    external_review(claim)
    external_review(None, url="https://other.example.org/2", rating_text="Vrai", rating_key="vrai")
    api = APIClient()
    assert api.get("/api/external-reviews/").status_code in (401, 403)
    api.force_authenticate(make_user("outsider", staff=False))
    assert api.get("/api/external-reviews/").status_code == 403
    api.force_authenticate(make_user("a-reviewer", "Reviewers"))
    assert api.get("/api/external-reviews/").status_code == 403

    api.force_authenticate(make_user("staffer", "Editors"))
    data = api.get("/api/external-reviews/").json()
    assert [(r["url"], r["normalised_rating"]) for r in data["results"]] == [
        ("https://other.example.org/2", "true"),
        ("https://checker.example.org/checks/1", "false"),
    ]
    matched = api.get(f"/api/external-reviews/?claim={claim.pk}").json()["results"]
    assert [r["claim"] for r in matched] == [claim.pk]


def test_the_api_list_costs_the_same_queries_whatever_the_page_size(drive, django_assert_num_queries):
    for n in range(5):
        external_review(None, url=f"https://x.example.org/{n}")
    api = APIClient()
    api.force_authenticate(make_user("staffer", "Editors"))
    api.get("/api/external-reviews/")  # warm up the session and permission caches
    # the permission check is cached on the user after the first request; then one page query
    with django_assert_num_queries(1):
        assert len(api.get("/api/external-reviews/?page_size=5").json()["results"]) == 5
