"""The review form: evidence rows that are a passage or a URL, one more on demand, readable errors."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from reviews.models import Evidence, Review
from tests.claims.test_admin import form_data
from tests.factories import rating

pytestmark = pytest.mark.django_db


def review_url(claim) -> str:
    return reverse("admin:reviews_review_add") + f"?claim={claim.pk}"


def filled(client, claim, **rows) -> dict:
    data = {**form_data(client.get(review_url(claim))), "rating": rating("true").pk, "rationale": "Checked."}
    data.pop("_add_row", None)
    data.update(rows)
    return data


def test_the_first_row_is_a_passage_of_the_document_the_claim_is_quoted_in(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_login(reviewer1)
    data = form_data(client.get(review_url(claim)))
    assert data["evidence-TOTAL_FORMS"] == "1"
    assert data["evidence-0-kind"] == "passage"
    assert data["evidence-0-document"] == str(claim.appearances.first().document_id)


def test_a_row_is_a_passage_or_a_url_and_only_the_chosen_kind_counts(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_login(reviewer1)
    data = filled(
        client,
        claim,
        **{
            "evidence-TOTAL_FORMS": "2",
            "evidence-0-stance": "supports",
            "evidence-0-quote": "$7.25 an hour",
            "evidence-0-url": "https://left.over.example.org/",  # typed, then the reviewer chose "passage"
            "evidence-1-stance": "context",
            "evidence-1-kind": "url",
            "evidence-1-document": str(claim.appearances.first().document_id),
            "evidence-1-url": "https://example.org/report",
            "evidence-1-title": "A report",
        },
    )
    assert client.post(review_url(claim), data).status_code == 302
    passage, url = Evidence.objects.filter(review__claim=claim, review__reviewer=reviewer1).order_by("id")
    assert (passage.exact, passage.url) == ("$7.25 an hour", "")
    assert (url.url, url.document_id) == ("https://example.org/report", None)


def test_add_another_row_without_javascript_keeps_what_was_typed(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_login(reviewer1)
    data = filled(client, claim, **{"evidence-0-stance": "supports", "evidence-0-quote": "$7.25 an hour"})
    response = client.post(review_url(claim), {**data, "_add_row": "1"})
    assert response.status_code == 200 and not Review.objects.filter(reviewer=reviewer1, claim=claim).exists()
    again = form_data(response)
    assert again["evidence-TOTAL_FORMS"] == "2" and again["evidence-0-quote"] == "$7.25 an hour"
    assert 'id="evidence-empty"' in response.content.decode()  # the template the script clones


def test_a_quote_error_names_the_document_by_title_in_the_forms_words(client, drive, reviewer1):
    claim = drive("in_review")
    document = claim.appearances.first().document
    client.force_login(reviewer1)
    missing = filled(client, claim, **{"evidence-0-stance": "supports", "evidence-0-quote": "not in there"})
    page = client.post(review_url(claim), missing).content.decode()
    assert f"in “{document.title}”, the quote" in page and document.source_file not in page.split("errornote")[1]
    twice = filled(client, claim, **{"evidence-0-stance": "supports", "evidence-0-quote": "pays"})
    page = client.post(review_url(claim), twice).content.decode()
    assert "give the text just before or after it, or which occurrence" in page


def test_after_submitting_the_reviewer_lands_on_the_claim(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_login(reviewer1)
    data = filled(client, claim, **{"evidence-0-stance": "supports", "evidence-0-quote": "$7.25 an hour"})
    response = client.post(review_url(claim), data)
    assert response["Location"] == reverse("admin:claims_claim_change", args=[claim.pk])


def test_a_double_submitted_review_is_recorded_once_without_an_error(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_login(reviewer1)
    url = reverse("admin:reviews_review_add") + f"?claim={claim.pk}"
    appearance = claim.appearances.first()
    data = {
        **form_data(client.get(url)),
        "rating": rating("true").pk,
        "rationale": "Checked.",
        "evidence-0-stance": "supports",
        "evidence-0-kind": "passage",
        "evidence-0-document": appearance.document.pk,
        "evidence-0-quote": "$7.25 an hour",
    }
    data.pop("_add_row", None)
    assert client.post(url, data).status_code == 302
    second = client.post(url, data, follow=True)
    assert Review.objects.filter(claim=claim, reviewer=reviewer1).count() == 1
    assert second.status_code == 200 and "errornote" not in second.content.decode()
    assert "This form was sent twice; it was acted on once." in [str(m) for m in get_messages(second.wsgi_request)]
