"""Role matrix: for anonymous, reviewer, editor and admin, every endpoint and method, the expected
status; and list results never leak unpublished claims or other reviewers' blind ratings."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from reviews import services
from tests.factories import EntityFactory, rating

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reviewer", "editor", "admin"]
PASSWORD = "correct horse battery staple"

# case: (claim state to prepare, method, path, body, expected status per role)
CASES = {
    "list claims": (None, "get", "/api/claims/", None, (200, 200, 200, 200)),
    "create claim": (None, "post", "/api/claims/", "claim", (401, 403, 201, 201)),
    "detail published": ("published", "get", "/api/claims/{pk}/", None, (200, 200, 200, 200)),
    # A reviewer not assigned to a draft is told why (403); the public does not learn it exists.
    "detail draft": ("draft", "get", "/api/claims/{pk}/", None, (404, 403, 200, 200)),
    "patch draft": ("draft", "patch", "/api/claims/{pk}/", {"text": "Reworded."}, (401, 403, 200, 200)),
    "put draft": ("draft", "put", "/api/claims/{pk}/", "claim", (401, 403, 200, 200)),
    "patch published text": ("published", "patch", "/api/claims/{pk}/", {"text": "New."}, (401, 403, 409, 409)),
    "add appearance": ("draft", "post", "/api/claims/{pk}/appearances/", "appearance", (401, 403, 201, 201)),
    "claimreview published": ("published", "get", "/api/claims/{pk}/claimreview/", None, (200, 200, 200, 200)),
    "claimreview draft": ("draft", "get", "/api/claims/{pk}/claimreview/", None, (404, 404, 404, 404)),
    "datafeed": (None, "get", "/api/claimreview/feed/", None, (200, 200, 200, 200)),
    "documents": (None, "get", "/api/documents/", None, (200, 200, 200, 200)),
    "document": ("draft", "get", "/api/documents/{doc}/", None, (200, 200, 200, 200)),
    "submit": ("draft", "post", "/api/claims/{pk}/submit/", {}, (401, 403, 200, 200)),
    "assign": ("submitted", "post", "/api/claims/{pk}/assign/", "assign", (401, 403, 200, 200)),
    "review": ("in_review", "post", "/api/claims/{pk}/reviews/", "review", (401, 201, 403, 403)),
    "send back": ("submitted", "post", "/api/claims/{pk}/send-back/", {"reason": "Reword."}, (401, 403, 200, 200)),
    "publish": ("reviewed", "post", "/api/claims/{pk}/publish/", "publish", (401, 403, 200, 200)),
    "publish draft": ("draft", "post", "/api/claims/{pk}/publish/", "publish", (401, 403, 409, 409)),
    "correct": ("published", "post", "/api/claims/{pk}/correct/", "correct", (401, 403, 200, 200)),
    "retract": ("published", "post", "/api/claims/{pk}/retract/", {"reason": "Withdrawn."}, (401, 403, 200, 200)),
    "delete claim": ("draft", "delete", "/api/claims/{pk}/", None, (401, 405, 405, 405)),
    "login": (None, "post", "/api/auth/login/", None, (401, 200, 200, 200)),
    "logout": (None, "post", "/api/auth/logout/", None, (401, 204, 204, 204)),
    "logoutall": (None, "post", "/api/auth/logoutall/", None, (401, 204, 204, 204)),
    "schema": (None, "get", "/api/schema/", None, (200, 200, 200, 200)),
    "docs": (None, "get", "/api/docs/", None, (200, 200, 200, 200)),
    "atom": (None, "get", "/feeds/verdicts.atom", None, (200, 200, 200, 200)),
}


@pytest.fixture
def users(editor, reviewer1, reviewer2, admin_user):
    return {"reviewer": reviewer1, "editor": editor, "admin": admin_user}


def basic(user) -> str:
    return "Basic " + base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()


def client_for(role: str, users: dict) -> APIClient:
    """A client authenticated the way scripts are: a knox token from the login endpoint."""
    client = APIClient()
    if role == "anonymous":
        return client
    token = client.post("/api/auth/login/", HTTP_AUTHORIZATION=basic(users[role])).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def body_for(kind, claim) -> dict | None:
    if not isinstance(kind, str):
        return kind
    appearance = claim.appearances.first() if claim else None
    return {
        "claim": {"text": "A claim.", "kind": "wage", "claimant": EntityFactory().slug},
        "appearance": {"document": appearance and appearance.document_id, "quote": "$20 per month"},
        "assign": {"reviewers": ["reviewer1", "reviewer2"]},
        "review": {
            "rating": "true",
            "rationale": "Checked.",
            "evidence": [{"stance": "supports", "url": "https://example.org/a", "title": "A source"}],
        },
        "publish": {"rating": "true", "summary": "It is so."},
        "correct": {"rating": "mixed", "summary": "Partly.", "note": "A second source."},
    }[kind]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_role_matrix(case, role, users, drive):
    state, method, path, body, expected = CASES[case]
    claim = drive(state) if state else None
    client = client_for(role, users)
    url = path.format(pk=claim and claim.pk, doc=claim and claim.appearances.first().document_id)
    headers = {}
    if case == "login" and role != "anonymous":
        # Logging in trades a password (or a session) for a token, not a token for a token.
        client.credentials(HTTP_AUTHORIZATION=basic(users[role]))
    if method in ("patch", "put") and role != "anonymous":
        # A claim the role may not read has no ETag to send: any well-formed one will do.
        headers["HTTP_IF_MATCH"] = client.get(url).get("ETag", '"v1-0"')
    response = getattr(client, method)(url, body_for(body, claim), format="json", **headers)
    assert response.status_code == expected[ROLES.index(role)], response.content[:300]


@pytest.mark.parametrize("role", ROLES)
def test_lists_never_leak_unpublished_claims_or_blind_ratings(role, users, drive, editor, reviewer1, reviewer2):
    published = drive("published")
    in_review = drive("in_review")
    services.review_record(
        claim=in_review,
        reviewer=reviewer2,
        rating=rating("false"),
        rationale="SECRET-RATIONALE of reviewer two",
        evidence=[services.EvidenceInput(stance="refutes", url="https://example.org/secret", title="Secret source")],
    )
    client = client_for(role, users)
    responses = [
        client.get("/api/claims/", {"page_size": 100}),
        client.get(f"/api/claims/{in_review.pk}/"),
        client.get("/api/claimreview/feed/"),
        client.get("/feeds/verdicts.atom"),
    ]
    text = b"".join(r.content for r in responses).decode()
    for secret in ("SECRET-RATIONALE", "example.org/secret", "Secret source", "reviewer2", "reviewer1"):
        assert secret not in text
    ids = [c["id"] for c in responses[0].json()["results"]]
    if role == "anonymous":
        assert ids == [published.pk]
        assert responses[1].status_code == 404
    else:
        assert set(ids) == {published.pk, in_review.pk}
