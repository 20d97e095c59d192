"""The baseline view serves exactly the feed's JSON for the same page, from one query."""

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.generate import generate
from bench.probe import deep_cursor

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    return generate(claims=150, progress=False)


@pytest.mark.parametrize("query", ["page_size=1", "page_size=20", "page_size=100"])
def test_baseline_first_page_is_byte_identical_to_the_feed(client, bench_urls, archive, query):
    feed = client.get(f"/api/claims/?{query}")
    baseline = client.get(f"/bench/baseline/claims/?{query}")
    assert feed.status_code == baseline.status_code == 200
    assert orjson.loads(baseline.content) == orjson.loads(feed.content)
    assert baseline.content == feed.content
    if query == "page_size=100":
        # The comparison covers structured facts and converted wage rates.
        facts = [claim["facts"] for claim in orjson.loads(feed.content)["results"]]
        assert any(f["wage"] and f["wage"]["hourly"] for f in facts)
        assert any(f["contract"] for f in facts) and any(f["knowledge"] for f in facts)


def test_baseline_deep_page_matches_the_feed_page_after_the_same_cursor(client, bench_urls, archive):
    cursor, _skipped, first_id = deep_cursor(60)
    feed = client.get(f"/api/claims/?page_size=20&cursor={cursor}")
    baseline = client.get(f"/bench/baseline/claims/?page_size=20&cursor={cursor}")
    assert feed.status_code == 200
    assert orjson.loads(feed.content)["results"][0]["id"] == first_id
    assert baseline.content == feed.content


def test_baseline_runs_one_query(client, bench_urls, archive):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/bench/baseline/claims/?page_size=100")
    assert response.status_code == 200
    assert len(ctx.captured_queries) == 1


def test_baseline_is_not_in_the_production_urls(client, archive):
    assert client.get("/bench/baseline/claims/").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the baseline's q is PostgreSQL's full-text search")
@pytest.mark.parametrize("q", ["pays", "contract", "subcontractor vetting", "nothing-matches-this"])
def test_baseline_search_is_byte_identical_to_the_feeds_q(client, bench_urls, archive, q):
    feed = client.get("/api/claims/", {"q": q, "page_size": 20})
    baseline = client.get("/bench/baseline/claims/", {"q": q, "page_size": 20})
    assert feed.status_code == baseline.status_code == 200
    assert baseline.content == feed.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the changes baseline is PostgreSQL's")
def test_baseline_changes_are_byte_identical_to_the_public_change_stream(client, bench_urls, archive):
    first = client.get("/api/changes/", {"page_size": 50})
    assert first.status_code == 200
    assert client.get("/bench/baseline/changes/", {"page_size": 50}).content == first.content
    after = first.json()["next"]
    feed = client.get("/api/changes/", {"page_size": 50, "after": after})
    assert client.get("/bench/baseline/changes/", {"page_size": 50, "after": after}).content == feed.content
