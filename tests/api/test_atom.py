"""The Atom feed: valid RFC 4287 for a standard parser, one entry per claim updated in place,
text summaries, stable ids from settings, RFC 5005 paging and conditional GET."""

from __future__ import annotations

import feedparser
import pytest

from claims import services as claim_services
from reviews import services
from tests.factories import EntityFactory, rating

pytestmark = pytest.mark.django_db

URL = "/feeds/verdicts.atom"


@pytest.fixture(autouse=True)
def publisher(settings):
    settings.PUBLISHER_URL = "https://factcheck.example.org"
    settings.PUBLISHER_NAME = "Example Desk"
    settings.ATOM_TAG_DATE = "2026-01-01"


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def entries_by_id(parsed) -> dict:
    return {entry.id: entry for entry in parsed.entries}


def test_feed_has_an_author_and_tag_ids_from_settings_whatever_the_host(client, drive, settings):
    settings.ALLOWED_HOSTS = ["*"]
    claim = drive("published")
    parsed = parse(client.get(URL, HTTP_HOST="evil.example.net"))
    assert parsed.feed.author_detail == {"name": "Example Desk", "href": "https://factcheck.example.org"}
    assert parsed.feed.id == "tag:factcheck.example.org,2026-01-01:verdicts"
    (entry,) = parsed.entries
    assert entry.id == f"tag:factcheck.example.org,2026-01-01:claim:{claim.pk}"
    assert entry.link == f"https://factcheck.example.org/claims/{claim.slug}/"
    assert "evil.example.net" not in client.get(URL, HTTP_HOST="evil.example.net").content.decode()


def test_feed_parses_when_empty(client, db):
    parsed = parse(client.get(URL))
    assert parsed.entries == []


def test_a_correction_updates_the_claims_entry_in_place(client, drive, editor):
    claim = drive("published")
    other = drive("published")
    before = entries_by_id(parse(client.get(URL)))
    entry_id = f"tag:factcheck.example.org,2026-01-01:claim:{claim.pk}"
    services.verdict_correct(
        claim=claim, by=editor, rating=rating("mostly-true"), summary="Corrected summary.", note="Fixed a date."
    )
    parsed = parse(client.get(URL))
    assert len(parsed.entries) == 2
    assert parsed.entries[0].id == entry_id  # the corrected claim comes first
    entry = entries_by_id(parsed)[entry_id]
    assert entry.title == f"Corrected: Mostly true: {claim.text}"
    assert entry.summary.startswith("Corrected summary.")
    assert "Correction (" in entry.summary and "Fixed a date." in entry.summary
    assert entry.updated > before[entry_id].updated
    assert entry.published == before[entry_id].published
    assert entries_by_id(parsed)[f"tag:factcheck.example.org,2026-01-01:claim:{other.pk}"].title.startswith("True:")


def test_a_retraction_appears_in_the_claims_entry(client, drive, editor):
    claim = drive("published")
    services.verdict_retract(claim=claim, by=editor, reason="Source withdrawn.")
    (entry,) = parse(client.get(URL)).entries
    assert entry.title == f"Retracted: True: {claim.text}"
    assert "Retracted (" in entry.summary and "Source withdrawn." in entry.summary


def test_an_edit_that_is_not_a_verdict_updates_the_entry(client, drive, editor):
    claim = drive("published")
    entity = EntityFactory()
    claim.entities.add(entity)
    before = parse(client.get(URL)).entries[0].updated
    claim_services.entity_update(entity=entity, by=editor, name="Renamed")
    assert parse(client.get(URL)).entries[0].updated > before


@pytest.mark.parametrize(
    "summary", ["<script>alert(1)</script> paid &amp; more", "<b>bold</b> & <img src=x onerror=alert(1)>"]
)
def test_summaries_reach_a_reader_as_text_never_markup(client, drive, editor, summary):
    claim = drive("reviewed")
    services.claim_publish(claim=claim, by=editor, rating=rating("true"), summary=summary)
    (entry,) = parse(client.get(URL)).entries
    assert entry.summary_detail.type == "text/plain"
    assert entry.summary == summary


def test_pages_link_next_and_back_on_the_publishers_address(client, drive, settings):
    settings.ALLOWED_HOSTS = ["*"]
    claims = [drive("published") for _ in range(5)]
    seen, url, pages = [], f"{URL}?page_size=2", []
    while url:
        parsed = parse(client.get(url.removeprefix("https://factcheck.example.org"), HTTP_HOST="evil.example.net"))
        pages.append(parsed)
        seen += [entry.id for entry in parsed.entries]
        links = {link.rel: link.href for link in parsed.feed.links}
        assert links["first"] == "https://factcheck.example.org/feeds/verdicts.atom"
        url = links.get("next")
        assert url is None or url.startswith("https://factcheck.example.org/feeds/verdicts.atom?")
    assert len(pages) == 3
    assert len(seen) == len(set(seen)) == len(claims)
    assert "previous" not in {link.rel for link in pages[0].feed.links}
    assert "previous" in {link.rel for link in pages[1].feed.links}


def test_conditional_get_answers_304_until_the_feed_changes(client, drive, editor):
    claim = drive("published")
    first = client.get(URL)
    assert first["ETag"] and first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert "Content-Type" not in again
    services.verdict_correct(claim=claim, by=editor, rating=rating("false"), summary="No.", note="Wrong figure.")
    changed = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_a_draft_is_never_in_the_feed(client, drive):
    drive("reviewed")
    assert parse(client.get(URL)).entries == []


def test_a_garbled_cursor_is_a_400_naming_it(client, db):
    response = client.get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


def test_query_count_is_fixed_whatever_the_page_size(client, drive, django_assert_num_queries):
    for _ in range(3):
        drive("published")
    for size in (1, 3, 50):
        # clock, page (with each claim's newest change), entities, appearances, verdicts, evidence,
        # conflicts, facts
        with django_assert_num_queries(8):
            assert client.get(URL, {"page_size": size}).status_code == 200
