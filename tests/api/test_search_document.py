"""The feed's `q` on PostgreSQL searches one stored document per claim (claims_claimsearch), which
triggers keep current: after every kind of write, each claim's stored document is the one computed
afresh from its text, verdict summaries and quotes, and a word finds what the three separate
searches it replaced found."""

from __future__ import annotations

import pytest
from django.db import connection

from claims import services as claim_services
from claims.models import Claim, ClaimSearch
from claims.services import system_user
from reviews import services
from tests.factories import AppearanceFactory, ClaimFactory, DocumentFactory, rating

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# What the document of a claim must be (reviews migration 0018), computed afresh.
FRESH = """to_tsvector('english'::regconfig, concat_ws(E'\\n', c.text,
    (SELECT string_agg(v.summary, E'\\n') FROM reviews_verdict v WHERE v.claim_id = c.id),
    (SELECT string_agg(a.exact, E'\\n') FROM claims_appearance a WHERE a.claim_id = c.id)))"""

# The search the documents replaced: the claim's text, any summary or any quote matches.
UNION = """SELECT id FROM claims_claim WHERE to_tsvector('english'::regconfig, COALESCE(text, ''))
        @@ websearch_to_tsquery('english'::regconfig, %(q)s)
    UNION SELECT claim_id FROM reviews_verdict WHERE to_tsvector('english'::regconfig, COALESCE(summary, ''))
        @@ websearch_to_tsquery('english'::regconfig, %(q)s)
    UNION SELECT claim_id FROM claims_appearance WHERE to_tsvector('english'::regconfig, COALESCE(exact, ''))
        @@ websearch_to_tsquery('english'::regconfig, %(q)s)"""


def assert_current() -> None:
    """Every claim has exactly one document, equal to the one computed afresh; no orphans."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.id, s.document::text, ({FRESH})::text FROM claims_claim c
                LEFT JOIN claims_claimsearch s ON s.claim_id = c.id
                WHERE s.document IS DISTINCT FROM {FRESH}"""
        )
        stale = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM claims_claimsearch WHERE claim_id NOT IN (SELECT id FROM claims_claim)")
        orphans = cursor.fetchone()[0]
    assert stale == []
    assert orphans == 0


def found(q: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT claim_id FROM claims_claimsearch WHERE document @@ websearch_to_tsquery('english', %s)", [q]
        )
        return {row[0] for row in cursor.fetchall()}


def found_before(q: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(UNION, {"q": q})
        return {row[0] for row in cursor.fetchall()}


def feed_ids(client, q: str) -> list[int]:
    response = client.get("/api/claims/", {"q": q, "page_size": 100})
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["results"]]


def test_a_new_claim_and_its_appearance_have_a_document():
    claim = AppearanceFactory(claim__text="The zeppelin hangar hires temps.", quote="Jane Roe").claim
    assert_current()
    assert found("zeppelin") == found("roe") == {claim.pk}


def test_editing_the_text_through_the_service_refreshes_the_document(editor):
    claim = AppearanceFactory(claim__text="The zeppelin hangar hires temps.").claim
    claim_services.claim_update(
        claim=claim, by=editor, expected_version=claim.version, text="The quarry pays piece rates."
    )
    assert_current()
    assert found("zeppelin") == set()
    assert found("quarry") == {claim.pk}
    # A write that leaves the text alone keeps the document as it was.
    Claim.objects.filter(pk=claim.pk).update(kind=Claim.Kind.WAGE)
    assert_current()


def test_publishing_and_correcting_a_verdict_refreshes_the_document(drive, editor, client):
    claim = drive("reviewed")
    services.claim_publish(claim=claim, by=editor, rating=rating("true"), summary="Payroll ledgers confirm it.")
    assert_current()
    assert found("ledger") == {claim.pk}
    assert feed_ids(client, "ledger") == [claim.pk]
    services.verdict_correct(
        claim=claim, by=editor, rating=rating("mixed"), summary="Timesheets contradict part of it.", note="Re-read."
    )
    assert_current()
    # Earlier verdict versions stay searchable, as they were with the per-table search.
    assert found("timesheet") == found("ledger") == found_before("ledger") == {claim.pk}
    assert feed_ids(client, "timesheets") == [claim.pk]


def test_adding_removing_and_moving_appearances_refreshes_both_claims(editor):
    document = DocumentFactory()
    source = AppearanceFactory(document=document, quote="$7.25 an hour").claim
    target = AppearanceFactory(document=document, quote="up to $20 per month").claim
    added = claim_services.appearance_add(claim=source, document=document, quote="Jane Roe", by=editor)
    assert_current()
    assert found("roe") == {source.pk}

    claim_services.appearance_move(appearance=added, to=target, by=editor)
    assert_current()
    assert found("roe") == {target.pk}

    claim_services.appearance_remove(appearance=target.appearances.get(exact="Jane Roe"), by=editor)
    assert_current()
    assert found("roe") == set()


def test_merging_gives_the_survivor_the_merged_claims_quotes(editor):
    document = DocumentFactory()
    survivor = AppearanceFactory(document=document, quote="$7.25 an hour").claim
    merged = AppearanceFactory(document=document, quote="inmates").claim
    claim_services.claim_merge(survivor=survivor, merged=merged, by=editor)
    assert_current()
    assert survivor.pk in found("inmates")


def test_deleting_a_claim_deletes_its_document():
    claim = AppearanceFactory().claim
    claim.appearances.all().delete()
    claim.delete()
    assert not ClaimSearch.objects.filter(claim_id=claim.pk).exists()
    assert_current()


def test_rare_and_common_words_find_what_the_three_searches_found(drive, editor, client):
    document = DocumentFactory()
    published = []
    for n in range(6):
        claim = AppearanceFactory(document=document, quote="$7.25 an hour", claim__text=f"Wages claim {n}.").claim
        published.append(drive("published", claim=claim))
    rare = AppearanceFactory(document=document, quote="call center", claim__text="The call center pays.").claim
    drive("published", claim=rare)
    ClaimFactory(text="A draft nobody sees, about the hour.")
    claim_services.appearance_add(claim=published[0], document=document, quote="Jane Roe", by=system_user())
    assert_current()
    for q in ("hour", "center", "roe", "wages", "nothing-matches-this"):
        assert found(q) == found_before(q), q
    public = {c.pk for c in Claim.objects.filter(status__in=["published", "retracted"])}
    for q in ("hour", "center", "roe"):
        assert set(feed_ids(client, q)) == found_before(q) & public, q
    assert feed_ids(client, "center") == [rare.pk]
    assert feed_ids(client, "hour") == [c.pk for c in reversed(published)]
