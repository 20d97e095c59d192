"""The Atom feed of verdicts and corrections parses with a standard feed parser."""

from __future__ import annotations

import feedparser
import pytest

pytestmark = pytest.mark.django_db


def test_atom_feed_lists_verdicts_and_corrections_newest_first(client, drive):
    drive("reviewed")
    corrected = drive("corrected")
    response = client.get("/feeds/verdicts.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    titles = [entry.title for entry in parsed.entries]
    assert titles == [f"Correction: Mostly true: {corrected.text}", f"True: {corrected.text}"]
    assert "Fixed a date." in parsed.entries[0].summary
    assert parsed.entries[0].link.endswith(f"/claims/{corrected.slug}/")
    assert len({entry.id for entry in parsed.entries}) == 2


def test_atom_feed_parses_when_empty(client, db):
    parsed = feedparser.parse(client.get("/feeds/verdicts.atom").content)
    assert not parsed.bozo
    assert parsed.entries == []
