"""API tokens (knox: hashed, expiring, revocable) and session authentication with CSRF."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def basic(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def login(client, user) -> str:
    response = client.post("/api/auth/login/", HTTP_AUTHORIZATION=basic(user.username))
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_login_with_a_password_gives_a_token_stored_hashed(client, editor):
    token = login(client, editor)
    stored = AuthToken.objects.get(user=editor)
    assert token not in {stored.digest, stored.token_key}
    assert stored.expiry > timezone.now() + timedelta(days=29)


def test_the_token_authenticates_requests(editor):
    token = login(APIClient(), editor)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/claims/").status_code == 200
    created = client.post("/api/claims/", {"text": "x y", "kind": "wage", "claimant": _entity()}, format="json")
    assert created.status_code == 201


def _entity() -> str:
    from tests.factories import EntityFactory

    return EntityFactory().slug


def test_a_wrong_password_is_401(client, editor):
    response = client.post("/api/auth/login/", HTTP_AUTHORIZATION=basic(editor.username, "wrong"))
    assert response.status_code == 401
    assert response.json()["type"] == "authentication_failed" or response.json()["type"] == "not_authenticated"


def test_logout_revokes_the_token(editor):
    token = login(APIClient(), editor)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.post("/api/claims/", {}, format="json").status_code == 401


def test_logoutall_revokes_every_token(editor):
    tokens = [login(APIClient(), editor) for _ in range(2)]
    assert APIClient(HTTP_AUTHORIZATION=f"Token {tokens[0]}").post("/api/auth/logoutall/").status_code == 204
    assert not AuthToken.objects.filter(user=editor).exists()
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Token {tokens[1]}").get("/api/claims/", {"status": "draft"}).status_code == 401
    )


def test_an_expired_token_is_refused(editor):
    token = login(APIClient(), editor)
    AuthToken.objects.filter(user=editor).update(expiry=timezone.now() - timedelta(seconds=1))
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/claims/").status_code == 401


def test_session_writes_need_the_csrf_token(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post("/api/claims/", {"text": "x", "kind": "wage", "claimant": _entity()}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_can_trade_for_a_token_with_csrf(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post("/api/auth/login/").status_code == 403
    client.get("/admin/")  # any page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    assert client.post("/api/auth/login/", HTTP_X_CSRFTOKEN=csrf).status_code == 200


def test_a_password_change_revokes_every_token(editor):
    token = login(APIClient(), editor)
    editor.set_password("a new long passphrase 42")
    editor.save()
    assert not AuthToken.objects.filter(user=editor).exists()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/claims/", {"status": "draft"}).status_code == 401


def test_changing_a_password_in_the_admin_revokes_tokens(client, editor, admin_user):
    login(APIClient(), editor)
    client.force_login(admin_user)
    response = client.post(
        f"/admin/auth/user/{editor.pk}/password/",
        {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not AuthToken.objects.filter(user=editor).exists()


def test_live_tokens_per_user_are_capped(editor, settings):
    from knox.settings import knox_settings

    limit = knox_settings.TOKEN_LIMIT_PER_USER
    for _ in range(limit):
        login(APIClient(), editor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(editor.username))
    assert client.post("/api/auth/login/").status_code == 403
    assert AuthToken.objects.filter(user=editor).count() == limit
