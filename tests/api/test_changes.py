"""GET /api/changes/: the change log in commit order, paged by an opaque token, per reader."""

from __future__ import annotations

import pytest

from api.changes import encode_token
from claims import services as claim_services
from claims.models import Change
from reviews import services
from tests.factories import rating

pytestmark = pytest.mark.django_db


def read_all(client, *, page_size: int = 2, after: str | None = None) -> tuple[list[dict], str]:
    events = []
    while True:
        params = {"page_size": page_size, **({"after": after} if after else {})}
        page = client.get("/api/changes/", params).json()
        events += page["results"]
        after = page["next"]
        if not page["has_more"]:
            return events, after


def test_events_come_in_position_order_across_pages(client, drive, editor):
    first, second = drive("published"), drive("published")
    services.verdict_correct(claim=first, by=editor, rating=rating("false"), summary="Revised.", note="New source.")
    events, _ = read_all(client, page_size=1)
    positions = [event["position"] for event in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert [(e["claim"], e["kind"]) for e in events] == [
        (first.pk, "published"),
        (second.pk, "published"),
        (first.pk, "corrected"),
    ]


def test_resuming_from_next_returns_only_later_changes(client, drive, editor):
    claim = drive("published")
    _, token = read_all(client)
    assert client.get("/api/changes/", {"after": token}).json()["results"] == []
    services.verdict_retract(claim=claim, by=editor, reason="Withdrawn.")
    page = client.get("/api/changes/", {"after": token}).json()
    assert [(e["claim"], e["kind"], e["status"]) for e in page["results"]] == [(claim.pk, "retracted", "retracted")]
    # An empty page hands back the token it was given, so a poller keeps its place.
    assert client.get("/api/changes/", {"after": page["next"]}).json()["next"] == page["next"]


def test_the_public_sees_only_changes_made_while_a_claim_was_public(client, drive, editor):
    published = drive("published")
    drive("in_review")
    events, _ = read_all(client)
    assert {(e["claim"], e["kind"]) for e in events} == {(published.pk, "published")}
    assert all(e["public"] for e in events)


def test_staff_see_the_drafts_they_see(client, drive, editor):
    draft = drive("submitted")
    client.force_authenticate(editor)
    events, _ = read_all(client)
    assert [(e["claim"], e["status"]) for e in events] == [(draft.pk, "submitted")]


def test_a_claim_leaving_public_view_is_an_explicit_event(client, drive):
    claim = drive("published")
    Change.objects.create(claim_id=claim.pk, kind="status", status="draft", public_before=True, public_after=False)
    events, _ = read_all(client)
    assert events[-1]["claim"] == claim.pk
    assert events[-1]["left_public_view"] is True and events[-1]["public"] is False


def test_an_event_is_the_changelog_shape(client, drive):
    claim = drive("published")
    event = client.get("/api/changes/").json()["results"][0]
    assert set(event) == {"position", "claim", "kind", "status", "public", "left_public_view", "at", "url", "detail"}
    assert event["claim"] == claim.pk and event["detail"]["verdict_version"] == 1


def test_an_event_of_a_public_claim_carries_its_public_page(client, drive, editor):
    claim = drive("published")
    [event] = client.get("/api/changes/").json()["results"]
    assert event["url"] == f"http://testserver/claims/{claim.slug}/".replace("http://testserver", _publisher())
    assert client.get(event["url"].removeprefix(_publisher())).status_code == 200
    draft = drive("submitted")
    client.force_authenticate(editor)
    drafts = [e for e in client.get("/api/changes/").json()["results"] if e["claim"] == draft.pk]
    assert drafts and all(e["url"] is None for e in drafts)  # no public page while it is not public


def _publisher() -> str:
    from django.conf import settings

    return settings.PUBLISHER_URL.rstrip("/")


@pytest.mark.parametrize("token", ["nonsense", "Zm9vOjEy", encode_token(1)[:-2] + "!!", "", "%00"])
def test_a_bad_token_is_a_400_naming_after(client, token):
    if token == "":
        assert client.get("/api/changes/", {"after": token}).status_code == 200
        return
    response = client.get("/api/changes/", {"after": token})
    assert response.status_code == 400
    assert "after" in response.json()["fields"]


@pytest.mark.parametrize("size", ["0", "1001", "x"])
def test_page_size_is_bounded(client, size):
    response = client.get("/api/changes/", {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()["fields"]


@pytest.mark.parametrize("audience", ["public", "staff"])
def test_a_page_costs_a_fixed_number_of_queries(client, drive, editor, django_assert_num_queries, audience):
    for _ in range(3):
        claim = drive("published")
        claim_services.entity_update(entity=claim.claimant, name="Renamed", by=editor)
    if audience == "staff":
        client.force_authenticate(editor)
    for size in (1, 6):
        with django_assert_num_queries(2):  # the clock, then the page
            response = client.get("/api/changes/", {"page_size": size})
        assert len(response.json()["results"]) == size


def test_the_schema_documents_the_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/changes/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"after", "page_size"}
    assert "400" in operation["responses"]
