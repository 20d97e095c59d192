"""Failed logins are limited per username and per address, on the API and in the admin."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def api_login(username: str, password: str, address: str = "198.51.100.1"):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=_basic(username, password))
    return client.post("/api/auth/login/")


def _basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_eleventh_api_login_after_ten_failures_is_429_even_with_the_right_password(editor):
    assert [api_login("editor", "wrong").status_code for _ in range(10)] == [401] * 10
    response = api_login("editor", PASSWORD)
    assert response.status_code == 429
    assert response.json()["type"] == "throttled"
    assert 850 <= int(response["Retry-After"]) <= 900


def test_the_username_is_locked_from_every_address(editor):
    for n in range(10):
        api_login("editor", "wrong", address=f"198.51.100.{n}")
    assert api_login("editor", PASSWORD, address="192.0.2.1").status_code == 429


def test_the_address_is_locked_for_every_username(editor, reviewer1):
    for n in range(10):
        api_login(f"guess{n}", "wrong")
    assert api_login("reviewer1", PASSWORD).status_code == 429
    assert api_login("reviewer1", PASSWORD, address="192.0.2.1").status_code == 200


def test_nine_failures_still_let_the_right_password_in(editor):
    for _ in range(9):
        api_login("editor", "wrong")
    assert api_login("editor", PASSWORD).status_code == 200


def test_unlock_logins_lifts_the_lockout(editor):
    for _ in range(10):
        api_login("editor", "wrong")
    call_command("unlock_logins", username="editor", address="198.51.100.1", stdout=None)
    assert api_login("editor", PASSWORD).status_code == 200


def test_the_admin_login_locks_out_after_ten_failures(client, editor):
    for _ in range(10):
        response = client.post("/admin/login/", {"username": "editor", "password": "wrong"})
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    response = client.post("/admin/login/?next=/admin/", {"username": "editor", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_and_api_failures_count_together(client, editor):
    for _ in range(10):
        client.post("/admin/login/", {"username": "editor", "password": "wrong"}, REMOTE_ADDR="198.51.100.9")
    assert api_login("editor", PASSWORD).status_code == 429
