"""Scaling out: reads to a replica through the router, and a shared Redis cache that never serves stale pages."""

import os
import socket
import subprocess
import sys

import orjson
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from reviews import services
from reviews.models import Rating, Verdict
from tests.redis_helpers import clear_own_keys, own_keys, redis_caches
from tracker.routers import ReplicaRouter


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": {**settings.DATABASES["default"]}}


def test_router_sends_reads_to_the_replica_and_writes_to_the_primary(with_replica):
    router = ReplicaRouter()
    assert router.db_for_read(Claim) == "replica"
    assert router.db_for_read(Verdict) == "replica"
    assert router.db_for_write(Claim) == "default"
    assert router.db_for_write(Verdict) == "default"
    assert Claim.objects.all().db == "replica"
    assert Claim.objects.select_for_update().db == "default"


def test_router_keeps_reads_on_the_primary_without_a_replica():
    assert "replica" not in settings.DATABASES
    router = ReplicaRouter()
    assert router.db_for_read(Claim) == "default"
    assert Claim.objects.all().db == "default"


def test_router_migrates_only_the_primary_and_relates_across_aliases(with_replica):
    router = ReplicaRouter()
    assert router.allow_migrate("default", "claims") is True
    assert router.allow_migrate("replica", "claims") is False
    assert router.allow_relation(Claim(), Verdict()) is True


def test_database_replica_url_configures_a_replica_that_mirrors_default_in_tests():
    env = {
        **os.environ,
        "DATABASE_URL": "sqlite:///primary.sqlite3",
        "DATABASE_REPLICA_URL": "sqlite:///replica.sqlite3",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
    }
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.DATABASES['replica']['NAME'], s.DATABASES['replica']['TEST'], s.DATABASE_ROUTERS]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    name, test, routers = orjson.loads(out)
    assert name.endswith("replica.sqlite3")
    assert test == {"MIRROR": "default"}
    assert routers == ["tracker.routers.ReplicaRouter"]


# --- the shared Redis cache ----------------------------------------------------------------


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_cache(settings):
    if not _redis_reachable():
        pytest.skip("no Redis server at 127.0.0.1:6379")
    settings.CACHES = caches = redis_caches()
    from django.core.cache import cache

    yield cache
    clear_own_keys(caches)


def _get(client, path: str, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    return response, len(ctx.captured_queries)


def _ids(response) -> list[int]:
    return [item["id"] for item in orjson.loads(response.content)["results"]]


@pytest.mark.redis
def test_feed_is_cached_in_redis_and_publishing_invalidates_it_at_once(db, client, redis_cache, publish):
    first = publish()
    cold, cold_queries = _get(client, "/api/claims/")
    warm, warm_queries = _get(client, "/api/claims/")
    assert _ids(cold) == _ids(warm) == [first.pk]
    # The second request was answered from Redis: only the change-detection query ran.
    assert warm_queries < cold_queries
    assert own_keys(settings.CACHES)

    second = publish()
    after, _ = _get(client, "/api/claims/")
    assert after.status_code == 200
    assert set(_ids(after)) == {first.pk, second.pk}
    assert after["ETag"] != warm["ETag"]
    # A client holding the old page is not told it is current.
    assert client.get("/api/claims/", HTTP_IF_NONE_MATCH=warm["ETag"]).status_code == 200


@pytest.mark.redis
def test_correcting_a_verdict_invalidates_the_cached_feed_and_detail_at_once(db, client, redis_cache, publish, editor):
    claim = publish("true")
    detail_path = f"/api/claims/{claim.pk}/"
    for path in ("/api/claims/", detail_path):
        _get(client, path)
        _, queries = _get(client, path)
        assert queries <= 1  # served from Redis

    services.verdict_correct(
        claim=claim, by=editor, rating=Rating.objects.get(slug="false"), summary="It is not so.", note="New records."
    )

    listed = orjson.loads(client.get("/api/claims/").content)["results"][0]
    detail = orjson.loads(client.get(detail_path).content)
    for body in (listed, detail):
        assert body["verdict"]["version"] == 2
        assert body["verdict"]["rating"]["slug"] == "false"
        assert body["verdict"]["correction_note"] == "New records."
        assert [v["version"] for v in body["earlier_verdicts"]] == [1]


@pytest.mark.redis
def test_another_app_server_sharing_redis_serves_the_same_cached_page(db, client, redis_cache, publish):
    from django.core.cache import caches
    from django.test import Client

    publish()
    one = client.get("/api/claims/")
    # Another app server: its own client and its own connection to the same Redis.
    caches["default"].close()
    other, queries = _get(Client(), "/api/claims/")
    assert other.content == one.content
    assert other["ETag"] == one["ETag"]
    assert queries <= 1
