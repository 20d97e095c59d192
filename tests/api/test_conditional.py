"""ETag / Last-Modified from the change log: a 304 costs one query, every write the feed shows changes
them, a write to a draft does not, and the caching headers say who may keep a response."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from claims import services as claim_services
from reviews import services
from tests.factories import DocumentFactory, rating

pytestmark = pytest.mark.django_db

URLS = [
    "/api/claims/",
    "/api/claims/{pk}/",
    "/api/claims/{pk}/claimreview/",
    "/api/claimreview/feed/",
    "/api/changes/",
]


@pytest.mark.parametrize("url", URLS)
def test_if_none_match_gets_304_from_one_query(client, drive, url, django_assert_num_queries):
    claim = drive("published")
    url = url.format(pk=claim.pk)
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"] and first["Last-Modified"]
    with django_assert_num_queries(1):
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert "Content-Type" not in again
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]
    assert again["Vary"] == first["Vary"]


@pytest.mark.parametrize("url", ["/api/documents/", "/api/documents/{pk}/"])
def test_documents_are_validated_by_their_content(client, drive, editor, url):
    document = drive("published").appearances.get().document
    url = url.format(pk=document.pk)
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # An import logs nothing in the change log; the document list must change all the same.
    DocumentFactory()
    claim_services.document_update_metadata(
        document=document, title="Retitled", outlet="O", author="", published_on=None, url="", by=editor
    )
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_if_none_match_star_is_304_for_an_existing_resource(client, drive):
    claim = drive("published")
    assert client.get(f"/api/claims/{claim.pk}/", HTTP_IF_NONE_MATCH="*").status_code == 304
    assert client.get("/api/claims/999999/", HTTP_IF_NONE_MATCH="*").status_code == 404


def test_if_modified_since_alone_never_answers_304(client, drive):
    # One-second dates cannot tell two writes in a second apart, nor a late commit: only ETags decide.
    drive("published")
    first = client.get("/api/claims/")
    assert client.get("/api/claims/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 200


def test_public_responses_are_shortly_cacheable_and_signed_in_ones_private(client, drive, editor, settings):
    settings.API_MAX_AGE, settings.API_STALE_WHILE_REVALIDATE = 7, 42
    drive("published")
    public = client.get("/api/claims/")
    assert public["Cache-Control"] == "public, max-age=7, stale-while-revalidate=42"
    client.force_authenticate(editor)
    staff = client.get("/api/claims/")
    assert staff["Cache-Control"] == "private, no-store"
    for response in (public, staff):
        vary = {name.strip().lower() for name in response["Vary"].split(",")}
        assert {"accept", "authorization", "cookie"} <= vary


def test_a_write_to_a_draft_leaves_public_etags_alone(client, drive, editor):
    published = drive("published")
    draft = drive("draft")
    urls = ["/api/claims/", f"/api/claims/{published.pk}/", "/api/changes/"]
    before = {url: client.get(url)["ETag"] for url in urls}
    claim_services.claim_update(claim=draft, by=editor, expected_version=draft.version, text="Draft reworded.")
    services.claim_submit_for_review(claim=draft, by=editor)
    for url in urls:
        assert client.get(url, HTTP_IF_NONE_MATCH=before[url]).status_code == 304, url


def test_etag_depends_on_the_query_and_the_audience(client, drive, editor):
    drive("published")
    public = client.get("/api/claims/")["ETag"]
    assert client.get("/api/claims/", {"kind": "wage"})["ETag"] != public
    client.force_authenticate(editor)
    assert client.get("/api/claims/")["ETag"] != public


def test_a_cached_page_is_served_without_building_it_again(client, drive, django_assert_num_queries):
    drive("published")
    first = client.get("/api/claims/")
    with django_assert_num_queries(1):
        second = client.get("/api/claims/")
    assert second.content == first.content


@pytest.mark.parametrize(
    "write",
    [
        "publish",
        "correct",
        "retract",
        "edit_entity",
        "add_appearance",
        "rename_document",
    ],
)
def test_every_write_that_changes_the_feed_invalidates_etag_and_cache(client, drive, editor, write):
    published = drive("published")
    reviewed = drive("reviewed")
    before = client.get("/api/claims/")
    if write == "publish":
        services.claim_publish(claim=reviewed, by=editor, rating=rating("false"), summary="No.")
    elif write == "correct":
        services.verdict_correct(
            claim=published, by=editor, rating=rating("mixed"), summary="Mixed.", note="New source."
        )
    elif write == "retract":
        services.verdict_retract(claim=published, by=editor, reason="Withdrawn.")
    elif write == "edit_entity":
        claim_services.entity_update(entity=published.claimant, name="Renamed claimant", by=editor)
    elif write == "add_appearance":
        document = published.appearances.get().document
        claim_services.appearance_add(claim=published, document=document, quote="up to $20 per month", by=editor)
    elif write == "rename_document":
        document = published.appearances.get().document
        claim_services.document_update_metadata(
            document=document, title="A new headline", outlet="O", author="", published_on=None, url="", by=editor
        )
    after = client.get("/api/claims/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content


def test_detail_etag_names_the_claim_version(client, drive):
    claim = drive("published")
    claim.refresh_from_db()
    assert client.get(f"/api/claims/{claim.pk}/")["ETag"].startswith(f'"v{claim.version}-')


def test_a_zero_cache_lifetime_turns_the_response_cache_off(client, drive, settings, django_assert_num_queries):
    settings.API_CACHE_SECONDS = 0
    drive("published")
    client.get("/api/claims/")
    with django_assert_num_queries(8):
        client.get("/api/claims/")
    assert not [key for key in cache._cache if ":api:" in key]


def test_claim_edits_invalidate_the_detail(client, drive, editor):
    claim = drive("draft")
    client.force_authenticate(editor)
    before = client.get(f"/api/claims/{claim.pk}/")
    claim_services.claim_update(claim=claim, by=editor, expected_version=claim.version, text="Reworded claim.")
    after = client.get(f"/api/claims/{claim.pk}/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["text"] == "Reworded claim."
