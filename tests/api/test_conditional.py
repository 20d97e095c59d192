"""ETag / Last-Modified: a 304 costs one query, and every write that changes the feed changes them."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from claims import services as claim_services
from reviews import services
from tests.factories import AppearanceFactory, rating

pytestmark = pytest.mark.django_db

URLS = [
    "/api/claims/",
    "/api/claims/{pk}/",
    "/api/claims/{pk}/claimreview/",
    "/api/claimreview/feed/",
    "/api/documents/",
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
    assert again["ETag"] == first["ETag"]


def test_if_modified_since_gets_304(client, drive):
    drive("published")
    first = client.get("/api/claims/")
    assert client.get("/api/claims/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert client.get("/api/claims/", HTTP_IF_MODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200


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
        claimant = published.claimant
        claimant.name = "Renamed claimant"
        claimant.save()
    elif write == "add_appearance":
        AppearanceFactory(claim=published, quote="$20 per month")
    elif write == "rename_document":
        document = published.appearances.get().document
        document.title = "A new headline"
        document.save()
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
    with django_assert_num_queries(7):
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
