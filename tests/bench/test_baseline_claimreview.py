"""The ClaimReview and public claim page baselines (bench.baseline) serve the endpoints' bytes, one query each.

PostgreSQL only: the baselines build the JSON-LD with PostgreSQL's JSON functions.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.generate import generate
from claims.models import Claim

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the ClaimReview baselines are PostgreSQL's"),
]


@pytest.fixture
def archive():
    return generate(claims=150, progress=False)


def _public_ids():
    return list(Claim.objects.visible_to(None).order_by("id").values_list("id", flat=True))


def test_every_public_claims_claimreview_is_byte_identical(client, bench_urls, archive):
    ids = _public_ids()
    # The archive holds the shapes that make keys come and go.
    statuses = set(Claim.objects.filter(id__in=ids).values_list("status", flat=True))
    assert statuses == {"published", "retracted"}
    assert Claim.objects.filter(id__in=ids, verdicts__version=2).exists()
    for pk in ids:
        endpoint = client.get(f"/api/claims/{pk}/claimreview/")
        baseline = client.get(f"/bench/baseline/claims/{pk}/claimreview/")
        assert endpoint.status_code == baseline.status_code == 200
        assert baseline.content == endpoint.content, pk
        assert baseline["Content-Type"] == endpoint["Content-Type"]


def test_claimreview_baseline_runs_one_query_and_refuses_drafts(client, bench_urls, archive):
    pk = _public_ids()[0]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/bench/baseline/claims/{pk}/claimreview/").status_code == 200
    assert len(ctx.captured_queries) == 1
    draft = Claim.objects.exclude(status__in=["published", "retracted"]).first()
    assert client.get(f"/bench/baseline/claims/{draft.pk}/claimreview/").status_code == 404


@pytest.mark.parametrize("query", ["", "page_size=7", "page_size=100"])
def test_datafeed_pages_are_byte_identical_with_the_same_link_header(client, bench_urls, archive, query):
    path = f"?{query}" if query else ""
    endpoint = client.get(f"/api/claimreview/feed/{path}")
    with CaptureQueriesContext(connection) as ctx:
        baseline = client.get(f"/bench/baseline/claimreview/feed/{path}")
    assert len(ctx.captured_queries) == 1
    assert endpoint.status_code == baseline.status_code == 200
    assert baseline.content == endpoint.content
    assert baseline.get("Link") == endpoint.get("Link")
    # Follow the next link: the second page too.
    if endpoint.get("Link"):
        cursor = endpoint["Link"].split("cursor=")[1].split(">")[0].split("&")[0]
        extra = f"{query}&" if query else ""
        endpoint = client.get(f"/api/claimreview/feed/?{extra}cursor={cursor}")
        baseline = client.get(f"/bench/baseline/claimreview/feed/?{extra}cursor={cursor}")
        assert endpoint.status_code == baseline.status_code == 200
        assert baseline.content == endpoint.content
        assert baseline.get("Link") == endpoint.get("Link")


def test_every_public_claim_page_is_byte_identical(client, bench_urls, archive):
    claims = Claim.objects.visible_to(None).order_by("id")
    # The archive holds what the page words or groups: facts of every kind, corrections, retractions.
    assert claims.filter(wage__isnull=False).exists() and claims.filter(knowledge__isnull=False).exists()
    assert claims.filter(contract__isnull=False).exists() and claims.filter(event__isnull=False).exists()
    assert claims.filter(quantity__isnull=False).exists() and claims.filter(status="retracted").exists()
    for claim in claims:
        page = client.get(claim.get_absolute_url())
        baseline = client.get(f"/bench/baseline/page/{claim.slug}/")
        assert page.status_code == baseline.status_code == 200
        assert baseline.content == page.content, claim.slug


def test_claim_page_baseline_runs_one_query(client, bench_urls, archive):
    claim = Claim.objects.visible_to(None).filter(verdicts__version=2).first()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/bench/baseline/page/{claim.slug}/").status_code == 200
    assert len(ctx.captured_queries) == 1
    draft = Claim.objects.exclude(status__in=["published", "retracted"]).first()
    assert client.get(f"/bench/baseline/page/{draft.slug}/").status_code == 404
