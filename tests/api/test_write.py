"""The desk's write API: claims, appearances and workflow transitions through the services."""

from __future__ import annotations

import pytest

from claims.models import Claim
from reviews.models import Verdict
from tests.factories import DocumentFactory, EntityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_editor(client, editor):
    client.force_authenticate(editor)
    return client


def create_claim(client, **extra):
    body = {"text": "The call center pays $7.25 an hour.", "kind": "wage", "claimant": EntityFactory().slug, **extra}
    return client.post("/api/claims/", body, format="json")


def test_editor_creates_a_draft_claim(as_editor):
    entity = EntityFactory()
    response = create_claim(as_editor, entities=[entity.pk])
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert [e["id"] for e in body["entities"]] == [entity.pk]
    assert response["Location"] == f"/api/claims/{body['id']}/"
    assert response["ETag"].startswith('"v1-')


def test_reviewer_may_not_create_claims(client, reviewer1):
    client.force_authenticate(reviewer1)
    response = create_claim(client)
    assert response.status_code == 403
    assert response.json()["rule"] == "permission_required"


def test_patch_with_current_etag_updates_and_returns_a_new_etag(as_editor):
    created = create_claim(as_editor)
    url = created.json()["url"]
    response = as_editor.patch(url, {"text": "Reworded."}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert response.status_code == 200
    assert response.json()["text"] == "Reworded."
    assert response["ETag"].startswith('"v2-')


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(as_editor):
    created = create_claim(as_editor)
    url = created.json()["url"]
    as_editor.patch(url, {"text": "First edit."}, format="json", HTTP_IF_MATCH=created["ETag"])
    response = as_editor.patch(url, {"text": "Second edit."}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert response.status_code == 412
    assert response.json()["rule"] == "stale_version"
    assert Claim.objects.get(pk=created.json()["id"]).text == "First edit."


def test_patch_without_if_match_is_428(as_editor):
    url = create_claim(as_editor).json()["url"]
    response = as_editor.patch(url, {"text": "x"}, format="json")
    assert response.status_code == 428
    assert response.json()["type"] == "precondition_required"


def test_patch_with_a_foreign_etag_is_412(as_editor):
    url = create_claim(as_editor).json()["url"]
    assert as_editor.patch(url, {"text": "x"}, format="json", HTTP_IF_MATCH='"abc"').status_code == 412


def test_put_needs_every_field(as_editor):
    created = create_claim(as_editor)
    response = as_editor.put(
        created.json()["url"], {"text": "Only text."}, format="json", HTTP_IF_MATCH=created["ETag"]
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"kind", "claimant"}


def test_published_claim_text_is_frozen(client, drive, editor):
    claim = drive("published")
    client.force_authenticate(editor)
    etag = client.get(f"/api/claims/{claim.pk}/")["ETag"]
    response = client.patch(f"/api/claims/{claim.pk}/", {"text": "New."}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 409
    assert response.json()["rule"] == "published_claim_frozen"


def test_add_an_appearance_from_a_quote(as_editor):
    claim_id = create_claim(as_editor).json()["id"]
    document = DocumentFactory()
    response = as_editor.post(
        f"/api/claims/{claim_id}/appearances/", {"document": document.pk, "quote": "$7.25 an hour"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert document.text[body["start"] : body["end"]] == "$7.25 an hour"


def test_an_appearance_that_does_not_anchor_is_400_on_the_quote(as_editor):
    claim_id = create_claim(as_editor).json()["id"]
    document = DocumentFactory()
    response = as_editor.post(
        f"/api/claims/{claim_id}/appearances/", {"document": document.pk, "quote": "not in there"}, format="json"
    )
    assert response.status_code == 400
    assert "exact" in response.json()["fields"]


def test_the_whole_workflow_over_http(client, drive, editor, reviewer1, reviewer2):
    claim = drive("draft")
    url = f"/api/claims/{claim.pk}/"
    appearance = claim.appearances.get()
    client.force_authenticate(editor)
    assert client.post(url + "submit/", {"note": "Ready."}, format="json").json()["status"] == "submitted"
    body = client.post(url + "assign/", {"reviewers": ["reviewer1", "reviewer2"]}, format="json").json()
    assert body["status"] == "in_review"
    evidence = [
        {"stance": "refutes", "document": appearance.document_id, "start": appearance.start, "end": appearance.end}
    ]
    for reviewer in (reviewer1, reviewer2):
        client.force_authenticate(reviewer)
        response = client.post(
            url + "reviews/", {"rating": "false", "rationale": "Checked.", "evidence": evidence}, format="json"
        )
        assert response.status_code == 201, response.content
    assert response.json()["claim_status"] == "reviewed"
    client.force_authenticate(editor)
    etag = client.get(url)["ETag"]
    response = client.post(
        url + "publish/", {"rating": "false", "summary": "Not so."}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response.json()["verdict"]["rating"]["slug"] == "false"
    correction = {"rating": "mostly-false", "summary": "Nearly not.", "note": "A second source."}
    assert client.post(url + "correct/", correction, format="json").json()["verdict"]["version"] == 2
    response = client.post(url + "retract/", {"reason": "The source was withdrawn."}, format="json")
    assert response.json()["status"] == "retracted"
    assert list(Verdict.objects.filter(claim=claim).values_list("kind", flat=True)) == [
        "original",
        "correction",
        "retraction",
    ]


def test_send_back_needs_a_reason(client, drive, editor):
    claim = drive("submitted")
    client.force_authenticate(editor)
    response = client.post(f"/api/claims/{claim.pk}/send-back/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    response = client.post(f"/api/claims/{claim.pk}/send-back/", {"reason": "Reword it."}, format="json")
    assert response.json()["status"] == "draft"


def test_a_forbidden_transition_names_the_rule(client, drive, editor, reviewer1):
    draft = drive("draft")
    client.force_authenticate(editor)
    response = client.post(f"/api/claims/{draft.pk}/publish/", {"rating": "true", "summary": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["rule"] == "publish_requires_reviewed"
    client.force_authenticate(reviewer1)
    published = drive("published")
    response = client.post(f"/api/claims/{published.pk}/retract/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["rule"] == "retract_permission"
    # A claim the reviewer may not see is refused before any transition rule, saying why.
    response = client.post(f"/api/claims/{draft.pk}/submit/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["rule"] == "claim_not_assigned"


def test_a_stale_if_match_on_a_transition_is_412(client, drive, editor):
    claim = drive("draft")
    client.force_authenticate(editor)
    etag = client.get(f"/api/claims/{claim.pk}/")["ETag"]
    client.post(f"/api/claims/{claim.pk}/submit/", {}, format="json")
    response = client.post(f"/api/claims/{claim.pk}/send-back/", {"reason": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412


def test_review_evidence_errors_are_per_item(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_authenticate(reviewer1)
    body = {"rating": "true", "rationale": "x", "evidence": [{"stance": "maybe", "url": "https://e.org", "x": 1}]}
    response = client.post(f"/api/claims/{claim.pk}/reviews/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"evidence.0.x"}
