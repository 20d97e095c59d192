"""Redis down degrades, it does not fail: the feed is served, throttles count locally, /readyz says so."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.cache import cache

from tests.factories import AppearanceFactory
from tests.redis_helpers import redis_caches

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "tracker.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/5",
        }
    }
    yield
    cache._fallback.clear()


@pytest.fixture
def redis_up(settings):
    settings.CACHES = redis_caches("tracker.cache.ResilientRedisCache")
    if not cache.ping():
        pytest.skip("no Redis at 127.0.0.1:6379")
    yield


def test_with_redis_down_the_feed_answers_and_the_outage_is_logged_once(redis_down, client, caplog):
    AppearanceFactory()
    with caplog.at_level(logging.WARNING, logger="tracker.cache"):
        for _ in range(3):
            assert client.get("/api/claims/").status_code == 200
    assert len([r for r in caplog.records if r.name == "tracker.cache"]) == 1
    assert cache.degraded


def test_with_redis_down_throttles_still_count_in_process_memory(redis_down, client, monkeypatch):
    from tracker.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    assert [client.get("/api/documents/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_with_redis_down_readyz_reports_the_cache_degraded(redis_down, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "degraded"


def test_healthz_answers_without_touching_database_or_cache(redis_down, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_without_redis_is_ok_on_process_memory(client):
    body = client.get("/readyz").json()
    assert body == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "cache": {"status": "ok", "backend": "process memory"},
            "tasks": {"status": "ok", "backend": "DatabaseBackend"},
        },
    }


def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    from django.db import DatabaseError

    from tracker import health

    def broken():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health.connections["default"], "cursor", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "down"


@pytest.mark.redis
def test_readyz_with_redis_up_is_ok(redis_up, client):
    assert client.get("/readyz").json()["checks"]["cache"] == {"status": "ok", "backend": "redis"}
