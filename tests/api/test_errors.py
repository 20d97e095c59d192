"""Every 4xx and 5xx has one JSON shape: {"type", "detail", "rule"?, "fields"?}."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == type_
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"type", "detail", "rule", "fields", "current_version"}
    return body


@pytest.fixture
def staff_client(client, editor):
    client.force_authenticate(editor)
    return client


def claim_body(**extra) -> dict:
    return {"text": "A new claim.", "kind": "wage", "claimant": EntityFactory().slug, **extra}


def test_malformed_json_is_400(staff_client):
    response = staff_client.generic("POST", "/api/claims/", b'{"text": ', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_wrong_content_type_is_415(staff_client):
    response = staff_client.post("/api/claims/", "text=x", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_unknown_fields_are_named(staff_client):
    body = assert_error(
        staff_client.post("/api/claims/", claim_body(colour="red"), format="json"), 400, "validation_error"
    )
    assert body["fields"] == {"colour": ["Unknown field."]}


def test_nul_bytes_in_strings_are_400(staff_client):
    body = assert_error(
        staff_client.post("/api/claims/", claim_body(text="bad\x00text"), format="json"), 400, "validation_error"
    )
    assert "text" in body["fields"]


def test_raw_nul_byte_in_body_is_400(staff_client):
    response = staff_client.generic("POST", "/api/claims/", b'{"text": "a\x00b"}', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_nul_byte_in_a_filter_is_400(client):
    assert_error(client.get("/api/claims/", {"q": "a\x00b"}), 400, "validation_error")


def test_oversized_body_is_413(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = staff_client.post("/api/claims/", claim_body(text="x" * 500), format="json")
    assert_error(response, 413, "payload_too_large")


def test_validation_errors_are_per_field(staff_client):
    body = assert_error(staff_client.post("/api/claims/", {"kind": "nonsense"}, format="json"), 400, "validation_error")
    assert set(body["fields"]) == {"text", "kind", "claimant"}


def test_unknown_api_url_is_json_404(client):
    assert_error(client.get("/api/no-such-thing/"), 404, "not_found")


def test_method_not_allowed_is_405(staff_client):
    assert_error(staff_client.delete("/api/claims/"), 405, "method_not_allowed")


def test_anonymous_write_is_401(client):
    assert_error(client.post("/api/claims/", claim_body(), format="json"), 401, "not_authenticated")


def test_server_errors_are_json_under_api(client, monkeypatch):
    from api import clock

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(clock, "for_list", explode)
    client.raise_request_exception = False
    assert_error(client.get("/api/claims/"), 500, "server_error")


@pytest.fixture
def low_rates(monkeypatch):
    # DRF reads rates into the class when settings load; patch the class attribute instead.
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "2/minute", "user": "3/minute"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()


def test_anonymous_clients_are_throttled_with_retry_after(client, low_rates):
    for _ in range(2):
        assert client.get("/api/documents/").status_code == 200
    response = client.get("/api/documents/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_authenticated_clients_have_their_own_rate(client, editor, low_rates):
    client.force_authenticate(editor)
    for _ in range(3):
        assert client.get("/api/documents/").status_code == 200
    assert_error(client.get("/api/documents/"), 429, "throttled")


@pytest.mark.parametrize(
    "url",
    [
        "/api/claims/?document=-1.7976931348623155e%2B308",
        "/api/claims/?document=99999999999999999999999",
        "/api/claims/?claimant=99999999999999999999999",
        "/api/claims/?entity=99999999999999999999999",
        "/api/claims/41214862338205097847309575448329112204/",
        "/api/claims/41214862338205097847309575448329112204/claimreview/",
        "/api/documents/41214862338205097847309575448329112204/",
    ],
)
def test_out_of_range_ids_are_client_errors_not_overflows(client, url):
    response = client.get(url)
    assert response.status_code in (200, 400, 404)
    assert response.json()["type"] if response.status_code != 200 else True
