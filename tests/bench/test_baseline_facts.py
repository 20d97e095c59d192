"""The baselines of the graph, the timeline and the conflicts serve exactly the endpoints' bytes
for the same request, from one query each (PostgreSQL: they build the JSON with json_build_object)."""

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.generate import generate
from claims.models import Claim, Conflict, ContractRelation, EventFact, KnowledgeFact, SourceDocument

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the facts baselines are PostgreSQL's"),
]


@pytest.fixture
def archive():
    summary = generate(claims=300, progress=False)
    # What a small archive may lack: undated facts (placed at the reporting date, or last, in the
    # order their words give), a document without a date, knowledge about a linked claim, and
    # confirmed conflicts between public claims (a page of them, with links).
    SourceDocument.objects.filter(pk=SourceDocument.objects.order_by("pk").first().pk).update(published_on=None)
    knowledge = list(KnowledgeFact.objects.order_by("-claim_id")[:12])
    for index, fact in enumerate(knowledge):
        fact.known_on = None if index % 2 else fact.known_on
        fact.when_event = ["before the inquiry", "After it", "in its reply", "  then later"][index % 4]
        fact.save()
    linked = knowledge[0]
    KnowledgeFact.objects.filter(pk=linked.pk).update(
        subject_text="", subject_claim=Claim.objects.published().exclude(pk=linked.claim_id).order_by("-pk").first()
    )
    newest_contracts = list(ContractRelation.objects.order_by("-claim_id").values_list("pk", flat=True)[:6])
    ContractRelation.objects.filter(pk__in=newest_contracts[::2]).update(since=None, until=None)
    newest_events = list(EventFact.objects.order_by("-claim_id").values_list("pk", flat=True)[:6])
    EventFact.objects.filter(pk__in=newest_events[::2]).update(occurred_on=None)
    published = list(Claim.objects.published().order_by("pk").values_list("pk", flat=True)[:24])
    for a, b in zip(published[::2], published[1::2], strict=True):
        Conflict.objects.create(
            claim_a_id=a, claim_b_id=b, field="wage.amount", value_a="1", value_b="2", explanation="Differ.",
            status="confirmed",
        )  # fmt: skip
    return summary


def _same(client, endpoint: str, baseline: str, params: dict):
    ours = client.get(endpoint, params)
    theirs = client.get(baseline, params)
    assert ours.status_code == theirs.status_code == 200
    assert orjson.loads(theirs.content) == orjson.loads(ours.content)
    assert theirs.content == ours.content
    return orjson.loads(ours.content)


@pytest.mark.parametrize("params", [{}, {"limit": 5}, {"limit": 2000}])
def test_graph_baseline_is_byte_identical(client, bench_urls, archive, params):
    body = _same(client, "/api/entities/graph/", "/bench/baseline/graph/", params)
    assert body["edges"] and body["nodes"]
    assert body["truncated"] is ("limit" in params and params["limit"] == 5)
    assert any(relation["claim"]["appearances"] for edge in body["edges"] for relation in edge["relations"])


def test_graph_baseline_narrowed_to_one_entity_is_byte_identical(client, bench_urls, archive):
    relation = ContractRelation.objects.filter(claim__status="published").first()
    body = _same(client, "/api/entities/graph/", "/bench/baseline/graph/", {"entity": relation.engaged_id})
    assert body["edges"]


@pytest.mark.parametrize("params", [{}, {"limit": 7}])
def test_timeline_baseline_is_byte_identical(client, bench_urls, archive, params):
    items = _same(client, "/api/timeline/", "/bench/baseline/timeline/", params)
    if not params:
        assert {item["kind"] for item in items} >= {"knowledge", "event", "contract_start", "contract_end"}
        assert {item["date_basis"] for item in items} >= {"stated", "reported"}
        assert "a claim not yet published" not in {item["summary"] for item in items}


@pytest.mark.parametrize("params", [{}, {"limit": 3}, {"limit": 3, "offset": 3}, {"limit": 3, "offset": 7}])
def test_conflicts_baseline_is_byte_identical(client, bench_urls, archive, params):
    body = _same(client, "/api/conflicts/", "/bench/baseline/conflicts/", params)
    assert body["results"]
    if params:
        assert body["next"] or body["previous"]


@pytest.mark.parametrize("path", ["/bench/baseline/graph/", "/bench/baseline/timeline/", "/bench/baseline/conflicts/"])
def test_each_facts_baseline_runs_one_query(client, bench_urls, archive, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    assert len(ctx.captured_queries) == 1
