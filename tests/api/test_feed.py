"""The public feed: what it shows, to whom, in how many queries, and how it pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.serializers import ClaimOutSerializer, DocumentDetailOutSerializer, DocumentOutSerializer
from claims.models import Conflict
from tests.factories import AppearanceFactory, EntityFactory

pytestmark = pytest.mark.django_db

# clock + page + entities, appearances, verdicts, evidence, conflicts, facts
ANONYMOUS_LIST_QUERIES = 8


def serializer_keys(serializer) -> set[str]:
    return set(serializer.fields)


def test_anonymous_feed_shows_published_and_retracted_claims_only(client, drive):
    published = drive("published")
    retracted = drive("retracted")
    for state in ("draft", "submitted", "in_review", "reviewed"):
        drive(state)
    results = client.get("/api/claims/").json()["results"]
    assert {c["id"]: c["status"] for c in results} == {published.pk: "published", retracted.pk: "retracted"}


def test_staff_see_every_claim_with_its_status(client, drive, editor):
    drive("draft")
    drive("in_review")
    drive("published")
    client.force_authenticate(editor)
    statuses = sorted(c["status"] for c in client.get("/api/claims/").json()["results"])
    assert statuses == ["draft", "in_review", "published"]


def test_claim_representation_has_the_documented_keys(client, drive):
    drive("corrected")
    claim = client.get("/api/claims/").json()["results"][0]
    out = ClaimOutSerializer()
    assert set(claim) == serializer_keys(out)
    assert set(claim["verdict"]) == serializer_keys(out.fields["verdict"])
    assert set(claim["verdict"]["rating"]) == serializer_keys(out.fields["verdict"].fields["rating"])
    assert set(claim["appearances"][0]) == serializer_keys(out.fields["appearances"].child)
    assert set(claim["evidence"][0]) == serializer_keys(out.fields["evidence"].child)
    assert set(claim["claimant"]) == serializer_keys(out.fields["claimant"])


def test_claim_carries_current_verdict_scale_and_earlier_versions(client, drive):
    claim = drive("corrected")
    body = client.get(f"/api/claims/{claim.pk}/").json()
    verdict = body["verdict"]
    assert verdict["version"] == 2
    assert verdict["kind"] == "correction"
    assert verdict["rating"] == {"label": "Mostly true", "slug": "mostly-true", "value": 4, "best": 5, "worst": 1}
    assert verdict["correction_note"] == "Fixed a date."
    assert [v["version"] for v in body["earlier_verdicts"]] == [1]
    assert body["earlier_verdicts"][0]["rating"]["slug"] == "true"
    assert body["published_at"] < body["updated_at"]


def test_off_scale_rating_has_no_best_or_worst(client, drive):
    claim = drive("published", rating_slug="unproven")
    rating = client.get(f"/api/claims/{claim.pk}/").json()["verdict"]["rating"]
    assert rating == {"label": "Unproven", "slug": "unproven", "value": None, "best": None, "worst": None}


def test_appearances_and_first_appearance(client, drive):
    claim = drive("published")
    earlier = claim.appearances.get().document
    earlier.published_on = "2019-12-01"
    earlier.save()
    later = AppearanceFactory(claim=claim, quote="$20 per month")
    later.document.published_on = "2030-01-01"
    later.document.save()
    body = client.get(f"/api/claims/{claim.pk}/").json()
    assert len(body["appearances"]) == 2
    first = body["first_appearance"]
    assert first["document"] != later.document_id
    assert first["exact"] == "$7.25 an hour"
    assert {"prefix", "suffix", "start", "end", "outlet", "title"} <= set(first)


def test_evidence_is_shown_without_reviewers(client, drive, reviewer1):
    claim = drive("published")
    raw = client.get(f"/api/claims/{claim.pk}/").content.decode()
    body = client.get(f"/api/claims/{claim.pk}/").json()
    assert [e["stance"] for e in body["evidence"]] == ["supports", "supports"]
    assert body["evidence"][0]["exact"] == "$7.25 an hour"
    assert reviewer1.username not in raw
    assert "rationale" not in raw and "reviewer" not in raw


def test_staff_feed_hides_evidence_of_claims_still_in_review(client, drive, editor):
    claim = drive("reviewed")
    client.force_authenticate(editor)
    assert client.get(f"/api/claims/{claim.pk}/").json()["evidence"] == []


def test_confirmed_conflicts_appear_on_both_claims_for_the_public(client, drive):
    a, b = drive("published"), drive("published")
    hidden = drive("draft")
    Conflict.objects.create(
        claim_a=a, claim_b=b, field="amount", value_a="$7", value_b="$2", explanation="x", status="confirmed"
    )
    Conflict.objects.create(claim_a=a, claim_b=hidden, field="amount", value_a="$7", value_b="$9", explanation="y")
    Conflict.objects.create(
        claim_a=a, claim_b=b, field="period", value_a="hour", value_b="day", explanation="z", status="open"
    )
    by_id = {c["id"]: c for c in client.get("/api/claims/").json()["results"]}
    assert [(c["other_claim"], c["value"], c["other_value"]) for c in by_id[a.pk]["conflicts"]] == [(b.pk, "$7", "$2")]
    assert [(c["other_claim"], c["value"]) for c in by_id[b.pk]["conflicts"]] == [(a.pk, "$2")]


def test_unpublished_claim_detail_is_404_for_the_public(client, drive):
    claim = drive("reviewed")
    response = client.get(f"/api/claims/{claim.pk}/")
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_list_query_count_is_fixed_whatever_the_page_size(client, drive, django_assert_num_queries):
    claims = [drive("published") for _ in range(3)]
    for claim in claims:
        claim.entities.add(EntityFactory())
    for page_size in (1, 2, 20, 100):
        with django_assert_num_queries(ANONYMOUS_LIST_QUERIES):
            response = client.get("/api/claims/", {"page_size": page_size})
        assert len(response.json()["results"]) == min(page_size, 3)


FILTERS = {
    "kind": lambda c: "other",
    "status": lambda c: "published",
    "rating": lambda c: "true",
    "claimant": lambda c: c.claimant.slug,
    "entity": lambda c: str(c.entities.get().pk),
    "document": lambda c: str(c.appearances.get().document_id),
    "outlet": lambda c: "the example times",
    "published_after": lambda c: "2000-01-01T00:00:00Z",
    "published_before": lambda c: "2100-01-01T00:00:00Z",
    "updated_since": lambda c: "2000-01-01T00:00:00Z",
    "has_corrections": lambda c: "false",
    "q": lambda c: "statement",
    "ordering": lambda c: "updated",
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_list_query_count_is_fixed_for_every_filter(client, drive, name, django_assert_num_queries):
    claims = [drive("published") for _ in range(2)]
    for claim in claims:
        claim.entities.add(EntityFactory())
    value = FILTERS[name](claims[0])
    for page_size in (1, 20, 100):
        with django_assert_num_queries(ANONYMOUS_LIST_QUERIES):
            response = client.get("/api/claims/", {name: value, "page_size": page_size})
        assert response.json()["results"]


def test_staff_list_query_count_is_fixed(client, drive, editor):
    for _ in range(3):
        drive("published")
    drive("draft")
    client.force_login(editor)
    counts = []
    for size in (1, 2, 100):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/claims/", {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1


def test_cursor_pages_walk_every_claim_once_in_both_directions(client, drive):
    ids = [drive("published").pk for _ in range(5)]
    seen, url, pages = [], "/api/claims/?page_size=2&ordering=published", []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [c["id"] for c in body["results"]]
        url = body["next"]
    assert seen == ids
    assert pages[0]["previous"] is None
    back = client.get(pages[-1]["previous"]).json()
    assert [c["id"] for c in back["results"]] == ids[2:4]


def test_default_order_is_newest_first_and_updated_order_follows_corrections(client, drive):
    first = drive("published")
    second = drive("published")
    assert [c["id"] for c in client.get("/api/claims/").json()["results"]] == [second.pk, first.pk]
    from reviews import services
    from tests.factories import rating

    services.verdict_correct(claim=first, by=_editor(), rating=rating("false"), summary="No.", note="Wrong figure.")
    newest = client.get("/api/claims/", {"ordering": "-updated"}).json()["results"]
    assert [c["id"] for c in newest] == [first.pk, second.pk]


def _editor():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="editor")


def test_new_publications_do_not_shift_the_next_page(client, drive):
    ids = [drive("published").pk for _ in range(3)]
    page = client.get("/api/claims/", {"page_size": 2}).json()
    drive("published")
    rest = client.get(page["next"]).json()
    assert [c["id"] for c in rest["results"]] == [ids[0]]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page_size": "0"}, "page_size"), ({"page_size": "101"}, "page_size"), ({"ordering": "text"}, "ordering")],
)
def test_bad_paging_parameters_are_400_naming_the_field(client, params, field):
    response = client.get("/api/claims/", params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_garbled_cursor_is_a_400_naming_the_cursor(client):
    response = client.get("/api/claims/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


def test_documents_list_and_detail(client):
    document = AppearanceFactory().document
    listed = client.get("/api/documents/").json()["results"]
    assert set(listed[0]) == set(DocumentOutSerializer().fields)
    detail = client.get(f"/api/documents/{document.pk}/").json()
    assert set(detail) == set(DocumentDetailOutSerializer().fields)
    assert detail["text"] == document.text
    assert client.get("/api/documents/999999/").status_code == 404


def test_documents_list_query_count_is_fixed(client, django_assert_num_queries):
    for _ in range(3):
        AppearanceFactory()
    for size in (1, 20, 100):
        # The page only: documents are validated by their content, no clock query.
        with django_assert_num_queries(1):
            assert client.get("/api/documents/", {"page_size": size}).status_code == 200


@pytest.mark.parametrize("ordering", ["published", "-published", "updated", "-updated"])
def test_pages_merge_published_and_retracted_claims_in_order(client, drive, ordering):
    ids = [drive("retracted" if n % 2 else "published").pk for n in range(5)]
    # Each claim is published (and maybe retracted) before the next exists: both orders agree.
    expected = ids if not ordering.startswith("-") else ids[::-1]
    seen, url = [], f"/api/claims/?page_size=2&ordering={ordering}"
    while url:
        body = client.get(url).json()
        seen += [c["id"] for c in body["results"]]
        url = body["next"]
    assert seen == expected


@pytest.mark.postgres
def test_public_page_is_read_per_status_on_postgresql(client, drive):
    # An index on (status, published_at, id) cannot return two statuses in date order; one
    # index-ordered LIMIT query per status, merged, keeps the first page from sorting the archive.
    drive("published")
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/claims/")
    page_sql = queries.captured_queries[1]["sql"]
    assert page_sql.count("UNION ALL") == 1
    assert page_sql.count("LIMIT 21") == 3
