"""POST /api/match/ and the duplicate warning on POST /api/claims/."""

import pytest

from tests.factories import ClaimFactory, EntityFactory

pytestmark = pytest.mark.django_db

WAGE = "The call center pays the Department of Corrections $7.25 an hour for each incarcerated worker."


@pytest.fixture
def as_editor(client, editor):
    client.force_authenticate(editor)
    return client


def test_match_returns_the_closest_claims_with_passage_and_score(as_editor, settings):
    settings.MATCH_SUGGEST_THRESHOLD, settings.MATCH_LIKELY_THRESHOLD = 0.3, 0.9
    claim = ClaimFactory(text=WAGE)
    response = as_editor.post(
        "/api/match/", {"text": "ProCom pays the Department of Corrections $7.25 an hour"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["suggest_threshold"] == 0.3
    [match] = body["matches"]
    assert (match["claim"], match["slug"], match["passage"], match["matched"]) == (
        claim.pk,
        claim.slug,
        WAGE,
        "claim text",
    )
    assert 0.3 <= match["score"] < 1 and match["likely_same"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": "x" * 5001}, "text"), ({"text": "a", "k": 9}, "k")],
)
def test_bad_match_requests_name_the_field(as_editor, body, field):
    response = as_editor.post("/api/match/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_match_is_for_staff_only(client):
    assert client.post("/api/match/", {"text": WAGE}, format="json").status_code in (401, 403)


def test_creating_a_likely_duplicate_lists_it_and_still_creates(as_editor):
    existing = ClaimFactory(text=WAGE)
    body = {"text": WAGE, "kind": "wage", "claimant": EntityFactory().slug}
    response = as_editor.post("/api/claims/", body, format="json")
    assert response.status_code == 201
    [duplicate] = response.json()["possible_duplicates"]
    assert duplicate["claim"] == existing.pk and duplicate["likely_same"] is True


def test_a_new_claim_has_no_possible_duplicates(as_editor):
    body = {"text": WAGE, "kind": "wage", "claimant": EntityFactory().slug}
    assert as_editor.post("/api/claims/", body, format="json").json()["possible_duplicates"] == []
