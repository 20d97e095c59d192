"""The graph, timeline and conflicts endpoints: content, visibility, and fixed query counts."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from claims.facts.services import conflict_confirm, contract_set, event_set, knowledge_set, wage_set
from claims.models import Claim, Conflict
from claims.services import system_user
from tests.factories import AppearanceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def publish(claim):
    # The workflow's publishing services are another helper's; the status is all these reads need.
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.PUBLISHED)


def chain(people, make_claim, n: int = 1):
    """The campaign -> vendor -> ProCom chain, n claims per link, each with an appearance."""
    claims = []
    for _ in range(n):
        for engager, engaged, role, status in [
            ("campaign", "vendor", "vendor", "ended"),
            ("vendor", "procom", "subcontractor", "unknown"),
            ("procom", "inmates", "employer", "active"),
        ]:
            claim = make_claim("contract")
            AppearanceFactory(claim=claim)
            contract_set(
                claim=claim,
                engager=people[engager],
                engaged=people[engaged],
                role=role,
                status=status,
                by=system_user(),
            )
            claims.append(claim)
    return claims


def test_graph_has_nodes_in_chain_order_and_edges_with_their_claims(people, make_claim, staff_client):
    claims = chain(people, make_claim)

    body = staff_client.get("/api/entities/graph/").json()

    layers = {node["slug"]: node["layer"] for node in body["nodes"]}
    assert layers == {"campaign": 0, "vendor": 1, "procom": 2, "inmates": 3}
    first = next(e for e in body["edges"] if e["source"] == people["campaign"].pk)
    assert (first["target"], first["status"], first["roles"]) == (people["vendor"].pk, "ended", ["vendor"])
    assert first["relations"][0]["claim"]["id"] == claims[0].pk
    assert first["relations"][0]["claim"]["appearances"][0]["exact"] == "$7.25 an hour"


def test_graph_edge_is_disputed_when_claims_disagree_on_status(people, make_claim, staff_client):
    pair = {"engager": people["campaign"], "engaged": people["vendor"], "role": "vendor"}
    contract_set(claim=make_claim("contract"), status="active", **pair, by=system_user())
    contract_set(
        claim=make_claim("contract"),
        status="ended",
        since=date(2019, 11, 1),
        until=date(2019, 12, 23),
        **pair,
        by=system_user(),
    )

    edge = staff_client.get("/api/entities/graph/").json()["edges"][0]

    assert (edge["status"], edge["since"], edge["until"]) == ("disputed", "2019-11-01", "2019-12-23")
    assert len(edge["relations"]) == 2


def test_anonymous_graph_shows_only_published_claims(people, make_claim):
    claims = chain(people, make_claim)
    publish(claims[0])

    body = APIClient().get("/api/entities/graph/").json()

    assert [(e["source"], e["target"]) for e in body["edges"]] == [(people["campaign"].pk, people["vendor"].pk)]


def test_graph_is_bounded_to_the_newest_relationships(people, make_claim, staff_client):
    claims = chain(people, make_claim)

    body = staff_client.get("/api/entities/graph/", {"limit": 2}).json()

    shown = {r["claim"]["id"] for e in body["edges"] for r in e["relations"]}
    assert shown == {claims[-1].pk, claims[-2].pk}
    assert body["truncated"] is True
    assert staff_client.get("/api/entities/graph/").json()["truncated"] is False


def test_graph_can_be_narrowed_to_one_entity(people, make_claim, staff_client):
    chain(people, make_claim)

    body = staff_client.get("/api/entities/graph/", {"entity": people["campaign"].pk}).json()

    assert {(e["source"], e["target"]) for e in body["edges"]} == {(people["campaign"].pk, people["vendor"].pk)}


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 100000}, {"entity": "x"}, {"entity": str(2**64)}])
def test_graph_parameters_out_of_range_are_a_400_naming_the_field(staff_client, params):
    response = staff_client.get("/api/entities/graph/", params)

    assert response.status_code == 400
    assert set(params) <= set(response.json()["fields"])


@pytest.mark.parametrize("n", [1, 4])
def test_graph_query_count_is_fixed(people, make_claim, staff_client, django_assert_num_queries, n):
    chain(people, make_claim, n)

    # session-less token auth: contracts (1) + appearances with documents (1)
    with django_assert_num_queries(2):
        assert staff_client.get("/api/entities/graph/").status_code == 200


def test_timeline_is_chronological_with_sources(people, make_claim, staff_client):
    learned = make_claim("knowledge")
    AppearanceFactory(claim=learned)
    knowledge_set(
        claim=learned, actor=people["campaign"], subject_text="prison labor", polarity="learned",
        known_on=date(2019, 12, 23), when_event="after The Intercept's inquiry", by=system_user()
    )  # fmt: skip
    ended = make_claim("contract")
    contract_set(
        claim=ended, engager=people["campaign"], engaged=people["vendor"], role="vendor", status="ended",
        since=date(2019, 11, 1), until=date(2019, 12, 23), by=system_user()
    )  # fmt: skip
    event_set(claim=make_claim("event"), actor=people["campaign"], action="apologized", by=system_user())

    items = staff_client.get("/api/timeline/").json()

    assert [(i["date"], i["kind"]) for i in items] == [
        ("2019-11-01", "contract_start"),
        ("2019-12-23", "knowledge"),
        ("2019-12-23", "contract_end"),
        (None, "event"),
    ]
    assert items[1]["when"] == "after The Intercept's inquiry"
    assert items[1]["claim"]["appearances"][0]["source_file"].startswith("doc_")
    assert items[3]["date_basis"] == "unknown"


def test_timeline_uses_the_reporting_date_when_the_claim_gives_none(people, make_claim, staff_client):
    claim = make_claim("event")
    appearance = AppearanceFactory(claim=claim)
    appearance.document.published_on = date(2019, 12, 24)
    appearance.document.save()
    event_set(claim=claim, actor=people["campaign"], action="apologized", by=system_user())

    item = staff_client.get("/api/timeline/").json()[0]

    assert (item["date"], item["date_basis"]) == ("2019-12-24", "reported")


def test_timeline_shows_the_facts_of_the_newest_claims_up_to_limit(people, make_claim, staff_client):
    events = [make_claim("event") for _ in range(3)]
    for n, claim in enumerate(events):
        event_set(claim=claim, actor=people["campaign"], action=f"apologized {n}", by=system_user())
    make_claim("knowledge")  # no fact recorded: does not take a place in the limit

    items = staff_client.get("/api/timeline/", {"limit": 2}).json()

    assert sorted(i["claim"]["id"] for i in items) == sorted(c.pk for c in events[1:])
    assert len(staff_client.get("/api/timeline/").json()) == 3


@pytest.mark.parametrize("limit", ["0", "2001", "many"])
def test_timeline_refuses_a_bad_limit_naming_it(staff_client, limit):
    response = staff_client.get("/api/timeline/", {"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["fields"]


@pytest.mark.parametrize("n", [1, 3])
def test_timeline_query_count_is_fixed(people, make_claim, staff_client, django_assert_num_queries, n):
    chain(people, make_claim, n)
    for _ in range(n):
        claim = make_claim("knowledge")
        AppearanceFactory(claim=claim)
        knowledge_set(claim=claim, actor=people["campaign"], subject_text="x", polarity="learned", by=system_user())
        event_set(claim=make_claim("event"), actor=people["procom"], action="made calls", by=system_user())

    # knowledge, contracts and events: one query each, plus one for all their appearances
    with django_assert_num_queries(4):
        assert staff_client.get("/api/timeline/").status_code == 200


@pytest.fixture
def conflicting(people, make_claim):
    def make():
        cap, daily = make_claim("wage"), make_claim("wage")
        AppearanceFactory(claim=cap)
        measure = f"pay {cap.pk}"  # each pair its own pay, so pairs do not conflict with each other
        wage_set(claim=cap, amount="20", period="month", qualifier="up_to", measure=measure, by=system_user())
        wage_set(claim=daily, amount="20", period="day", measure=measure, by=system_user())
        return cap, daily

    return make


def test_staff_see_open_conflicts_and_can_filter_by_status(conflicting, staff_client):
    cap, daily = conflicting()

    body = staff_client.get("/api/conflicts/", {"status": "open"}).json()

    assert body["count"] == 1
    result = body["results"][0]
    assert (result["claim_a"]["id"], result["claim_b"]["id"], result["field"]) == (cap.pk, daily.pk, "period")
    assert result["claim_a"]["appearances"][0]["exact"] == "$7.25 an hour"
    assert staff_client.get("/api/conflicts/", {"status": "confirmed"}).json()["count"] == 0


def test_anonymous_see_only_confirmed_conflicts_between_published_claims(conflicting, staff):
    cap, daily = conflicting()
    anonymous = APIClient()
    assert anonymous.get("/api/conflicts/").json()["count"] == 0

    conflict_confirm(conflict=Conflict.objects.get(), by=staff)
    publish(cap)
    assert anonymous.get("/api/conflicts/").json()["count"] == 0

    publish(daily)
    assert anonymous.get("/api/conflicts/").json()["count"] == 1


def test_conflicts_filter_by_claim_on_either_side(conflicting, staff_client):
    conflicting()
    other_cap, _ = conflicting()

    assert staff_client.get("/api/conflicts/", {"claim": other_cap.pk}).json()["count"] == 1


@pytest.mark.parametrize("claim", [str(2**64), "1.5", "-3"])
def test_a_claim_id_out_of_range_is_a_400_naming_the_field(staff_client, claim):
    response = staff_client.get("/api/conflicts/", {"claim": claim})

    assert response.status_code == 400
    assert "claim" in response.json()["fields"]


def test_an_offset_past_the_end_is_an_empty_page(staff_client):
    response = staff_client.get("/api/conflicts/", {"offset": str(10**30)})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_unknown_status_filter_is_a_400(staff_client):
    assert staff_client.get("/api/conflicts/", {"status": "maybe"}).status_code == 400


@pytest.mark.parametrize("n", [1, 4])
def test_conflicts_query_count_is_fixed(conflicting, staff_client, django_assert_num_queries, n):
    for _ in range(n):
        conflicting()

    # count, conflicts with both claims, the appearances of both sides
    with django_assert_num_queries(3):
        assert staff_client.get("/api/conflicts/").status_code == 200


def test_schema_documents_the_fact_endpoints(staff_client):
    schema = staff_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()

    for path in ("/api/entities/graph/", "/api/timeline/", "/api/conflicts/"):
        assert path in schema


def test_undated_knowledge_is_ordered_by_its_wording_before_and_after(people, make_claim, staff_client):
    for polarity, when in [("learned", "after The Intercept's inquiry"), ("did_not_know", "before the inquiry")]:
        knowledge_set(
            claim=make_claim("knowledge"),
            actor=people["campaign"],
            subject_text="x",
            polarity=polarity,
            when_event=when,
            by=system_user(),
        )

    items = staff_client.get("/api/timeline/").json()

    assert [i["when"] for i in items] == ["before the inquiry", "after The Intercept's inquiry"]


def test_the_api_and_the_admin_agree_on_graph_and_timeline(people, make_claim, staff_client):
    # api.fact_rows builds the API's answers from rows; the admin draws claims.facts.graph's
    # model-based ones. Same data, same nodes, edges, items and order.
    from claims.facts.graph import build_graph, graph_contracts, timeline

    chain(people, make_claim, 2)
    contract_set(
        claim=make_claim("contract"), engager=people["procom"], engaged=people["vendor"], role="vendor",
        status="ended", since=date(2019, 1, 1), until=date(2019, 6, 1), by=system_user(),
    )  # fmt: skip
    about = make_claim("event", text="x" * 100)  # with a fact: among the claims the timeline shows, so named
    event_set(claim=about, actor=people["wood"], action="called", by=system_user())
    for when, polarity in [("before the inquiry", "knew"), ("after it", "learned")]:
        knowledge_set(
            claim=make_claim("knowledge"), actor=people["campaign"], subject_claim=about, polarity=polarity,
            when_event=when, by=system_user(),
        )  # fmt: skip
    event_set(
        claim=make_claim("event"), actor=people["procom"], action="made calls", recipient=people["odoc"],
        object="for the campaign", occurred_on=date(2019, 12, 1), by=system_user(),
    )  # fmt: skip
    claims = Claim.objects.all()

    graph = build_graph(graph_contracts(claims)[0])
    body = staff_client.get("/api/entities/graph/").json()
    assert [(n["id"], n["layer"]) for n in body["nodes"]] == [(n.pk, graph.layer[n.pk]) for n in graph.nodes]
    assert [(e["source"], e["target"], e["status"], e["roles"], [r["claim"]["id"] for r in e["relations"]])
            for e in body["edges"]] == [
        (e.source.pk, e.target.pk, e.status, e.roles, [r.claim_id for r in e.relations]) for e in graph.edges
    ]  # fmt: skip
    items = staff_client.get("/api/timeline/").json()
    assert [(i["date"], i["date_basis"], i["kind"], i["summary"], i["when"], i["claim"]["id"]) for i in items] == [
        (i.date and i.date.isoformat(), i.date_basis, i.kind, i.summary, i.when, i.claim.pk) for i in timeline(claims)
    ]
    assert any(i["summary"].endswith("x" * 77 + "...") for i in items)
