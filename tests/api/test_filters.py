"""Each feed filter selects what it says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews import services
from tests.factories import AppearanceFactory, EntityFactory, rating

pytestmark = pytest.mark.django_db


def ids(client, **params) -> set[int]:
    response = client.get("/api/claims/", {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()["results"]}


@pytest.fixture
def two(drive):
    alice = EntityFactory(slug="alice")
    wage = drive("published", kind="wage", claimant=alice, text="The call center pays seven dollars an hour.")
    other = drive("published", rating_slug="false", text="The campaign knew in advance.")
    return wage, other


def test_kind(client, two):
    assert ids(client, kind="wage") == {two[0].pk}


def test_rating_uses_the_current_verdict(client, two, editor):
    wage, other = two
    assert ids(client, rating="true") == {wage.pk}
    services.verdict_correct(claim=wage, by=editor, rating=rating("false"), summary="No.", note="Recounted.")
    assert ids(client, rating="true") == set()
    assert ids(client, rating="false") == {wage.pk, other.pk}


def test_claimant_by_slug_or_id(client, two):
    assert ids(client, claimant="alice") == {two[0].pk}
    assert ids(client, claimant=str(two[0].claimant_id)) == {two[0].pk}


def test_entity_by_slug_or_id(client, two):
    topic = EntityFactory(slug="prison")
    two[1].entities.add(topic)
    assert ids(client, entity="prison") == {two[1].pk}
    assert ids(client, entity=str(topic.pk)) == {two[1].pk}


def test_document_and_outlet(client, two):
    extra = AppearanceFactory(claim=two[1], quote="$20 per month", document__outlet="The Other Paper")
    assert ids(client, document=extra.document_id) == {two[1].pk}
    assert ids(client, outlet="the other paper") == {two[1].pk}


def test_published_window_and_updated_since(client, two, editor):
    wage, other = two
    now = timezone.now()
    assert ids(client, published_after=(now - timedelta(hours=1)).isoformat()) == {wage.pk, other.pk}
    assert ids(client, published_before=(now - timedelta(hours=1)).isoformat()) == set()
    services.verdict_correct(claim=other, by=editor, rating=rating("mixed"), summary="Mixed.", note="New source.")
    other.refresh_from_db()
    assert ids(client, updated_since=other.verdict_updated_at.isoformat()) == {other.pk}


def test_has_corrections(client, two, editor):
    services.verdict_correct(claim=two[0], by=editor, rating=rating("mixed"), summary="Mixed.", note="Re-read.")
    assert ids(client, has_corrections="true") == {two[0].pk}
    assert ids(client, has_corrections="false") == {two[1].pk}


def test_q_matches_claim_text_summary_and_quotes(client, two):
    wage, other = two
    assert ids(client, q="call center") == {wage.pk}
    assert ids(client, q="public summary") == {wage.pk, other.pk}
    assert ids(client, q="$7.25") == {wage.pk, other.pk}
    assert ids(client, q="nothing like this") == set()


@pytest.mark.postgres
def test_q_is_full_text_search_on_postgresql(client, two):
    # Stemming: "paying" finds "pays"; web search syntax: a minus excludes.
    assert ids(client, q="paying") == {two[0].pk}
    assert ids(client, q="campaign -advance") == set()
    assert ids(client, q='"knew in advance"') == {two[1].pk}


def test_invalid_filter_values_are_400(client):
    response = client.get("/api/claims/", {"kind": "poem", "published_after": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"kind", "published_after"}
