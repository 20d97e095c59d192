"""Structured facts in the feed: typed, converted, filterable, in a fixed number of queries."""

from __future__ import annotations

import pytest

from api.serializers import FactsOutSerializer
from claims.facts import services as facts
from reviews import services as review_services
from tests.api.test_feed import ANONYMOUS_LIST_QUERIES
from tests.factories import EntityFactory, rating

pytestmark = pytest.mark.django_db

NO_FACTS = {"wage": None, "contract": None, "knowledge": None, "quantity": None, "event": None}


@pytest.fixture
def wage_claim(drive, editor):
    """A published claim paying $7.25 an hour, ProCom to inmates."""
    claim = drive("published", kind="wage")
    payer, payee = EntityFactory(name="ProCom", slug="procom"), EntityFactory(name="Inmates", slug="inmates")
    facts.wage_set(claim=claim, amount="7.25", period="hour", payer=payer, payee=payee, measure="inmate pay", by=editor)
    return claim


def fact_of(client, claim, kind: str) -> dict:
    return client.get(f"/api/claims/{claim.pk}/").json()["facts"][kind]


def test_wage_is_typed_with_hourly_and_monthly_figures_and_their_assumptions(client, wage_claim, settings):
    settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_MONTH = 8, 22
    wage = fact_of(client, wage_claim, "wage")
    assert wage["amount"] == "7.25"
    assert (wage["currency"], wage["period"], wage["qualifier"], wage["measure"]) == (
        "USD",
        "hour",
        "exactly",
        "inmate pay",
    )
    assert wage["payer"]["slug"] == "procom" and wage["payee"]["name"] == "Inmates"
    assert wage["hourly"] == {"amount": "7.25", "assumptions": "no conversion"}
    assert wage["monthly"] == {
        "amount": "1276.00",
        "assumptions": "assuming 8 working hours a day and 22 working days a month",
    }


def test_monthly_wage_converts_to_an_hourly_figure_rounded_half_up(client, drive, editor):
    claim = drive("published", kind="wage")
    facts.wage_set(claim=claim, amount="20", period="month", qualifier="up_to", by=editor)
    wage = fact_of(client, claim, "wage")
    assert wage["amount"] == "20.00" and wage["qualifier"] == "up_to"
    # 20 / 176 = 0.1136…
    assert wage["hourly"]["amount"] == "0.11"
    assert wage["monthly"] == {"amount": "20.00", "assumptions": "no conversion"}
    assert wage["payer"] is None


def test_lump_sum_has_no_rates(client, drive, editor):
    claim = drive("published", kind="wage")
    facts.wage_set(claim=claim, amount="55900000000", period="lump_sum", by=editor)
    wage = fact_of(client, claim, "wage")
    assert wage["amount"] == "55900000000.00"
    assert wage["hourly"] is None and wage["monthly"] is None


def test_contract_knowledge_quantity_and_event_are_typed(client, drive, editor):
    campaign, procom = EntityFactory(name="Campaign"), EntityFactory(name="ProCom")
    contract = drive("published", kind="contract")
    facts.contract_set(
        claim=contract, engager=campaign, engaged=procom, role="subcontractor", status="ended", until="2019-12-24",
        by=editor,
    )  # fmt: skip
    knowledge = drive("published", kind="knowledge")
    facts.knowledge_set(
        claim=knowledge, actor=campaign, polarity="did_not_know", subject_claim=contract,
        subject_text="that inmates made the calls", when_event="after a reporter's inquiry", by=editor,
    )  # fmt: skip
    quantity = drive("published", kind="quantity")
    facts.quantity_set(claim=quantity, measure="call centers", value=2, qualifier="at_least", by=editor)
    event = drive("published", kind="event")
    facts.event_set(claim=event, actor=campaign, action="ended the contract", occurred_on="2019-12-24", by=editor)

    assert fact_of(client, contract, "contract") == {
        "engager": {"id": campaign.pk, "name": "Campaign", "slug": campaign.slug, "kind": campaign.kind},
        "engaged": {"id": procom.pk, "name": "ProCom", "slug": procom.slug, "kind": procom.kind},
        "role": "subcontractor",
        "status": "ended",
        "since": None,
        "until": "2019-12-24",
    }
    known = fact_of(client, knowledge, "knowledge")
    assert (known["actor"]["name"], known["polarity"], known["date"]) == ("Campaign", "did_not_know", None)
    assert (known["event"], known["about"], known["about_claim"]) == (
        "after a reporter's inquiry",
        "that inmates made the calls",
        contract.pk,
    )
    assert fact_of(client, quantity, "quantity") == {
        "measure": "call centers",
        "value": "2.0000",
        "unit": "",
        "qualifier": "at_least",
    }
    happened = fact_of(client, event, "event")
    assert (happened["actor"]["name"], happened["action"], happened["recipient"], happened["date"]) == (
        "Campaign",
        "ended the contract",
        None,
        "2019-12-24",
    )


def test_knowledge_about_a_hidden_claim_does_not_name_it(client, drive, editor):
    draft = drive("draft")
    claim = drive("published", kind="knowledge")
    facts.knowledge_set(claim=claim, actor=EntityFactory(), polarity="knew", subject_claim=draft, by=editor)
    assert fact_of(client, claim, "knowledge")["about_claim"] is None
    client.force_authenticate(editor)
    assert fact_of(client, claim, "knowledge")["about_claim"] == draft.pk


def test_a_claim_without_facts_has_every_kind_null(client, drive):
    claim = drive("published")
    assert client.get(f"/api/claims/{claim.pk}/").json()["facts"] == NO_FACTS


def test_facts_have_the_documented_keys(client, wage_claim, drive, editor):
    out = FactsOutSerializer()
    wage = fact_of(client, wage_claim, "wage")
    assert set(wage) == set(out.fields["wage"].fields)
    assert set(wage["hourly"]) == set(out.fields["wage"].fields["hourly"].fields)
    assert set(client.get(f"/api/claims/{wage_claim.pk}/").json()["facts"]) == set(out.fields)


def test_list_with_facts_costs_the_same_queries_for_one_claim_or_many(client, drive, editor, django_assert_num_queries):
    def add_structured_claim():
        claim = drive("published", kind="wage")
        facts.wage_set(claim=claim, amount="1", period="day", payer=EntityFactory(), by=editor)
        other = drive("published", kind="contract")
        facts.contract_set(claim=other, engager=EntityFactory(), engaged=EntityFactory(), role="vendor", by=editor)

    add_structured_claim()
    with django_assert_num_queries(ANONYMOUS_LIST_QUERIES):
        assert len(client.get("/api/claims/", {"page_size": 1}).json()["results"]) == 1
    for _ in range(3):
        add_structured_claim()
    with django_assert_num_queries(ANONYMOUS_LIST_QUERIES):
        results = client.get("/api/claims/", {"page_size": 100}).json()["results"]
    assert len(results) == 8
    assert sum(1 for c in results if c["facts"]["wage"]) == 4


# --- Filters ----------------------------------------------------------------------------------


@pytest.fixture
def wages(drive, editor):
    """Published wage claims: $7.25/hour, $20/month, $1,276/month (= $7.25/hour), 100 MXN/day, a lump sum."""
    made = {}
    for name, amount, period, currency in [
        ("hourly", "7.25", "hour", "USD"),
        ("low_monthly", "20", "month", "USD"),
        ("full_monthly", "1276", "month", "USD"),
        ("pesos", "100", "day", "MXN"),
        ("lump", "5000", "lump_sum", "USD"),
    ]:
        claim = drive("published", kind="wage")
        facts.wage_set(claim=claim, amount=amount, period=period, currency=currency, by=editor)
        made[name] = claim.pk
    contract = drive("published", kind="contract")
    facts.contract_set(claim=contract, engager=EntityFactory(), engaged=EntityFactory(), role="vendor", by=editor)
    made["contract"] = contract.pk
    drive("published")
    return made


def ids(client, **params) -> set[int]:
    response = client.get("/api/claims/", {"page_size": 100, **params})
    assert response.status_code == 200, response.json()
    return {claim["id"] for claim in response.json()["results"]}


def test_fact_filter_keeps_claims_with_that_kind_of_fact(client, wages):
    assert ids(client, fact="contract") == {wages["contract"]}
    assert ids(client, fact="wage") == {wages[k] for k in ("hourly", "low_monthly", "full_monthly", "pesos", "lump")}
    assert ids(client, fact="event") == set()


def test_amount_filters_compare_rates_converted_to_the_same_period(client, wages):
    assert ids(client, amount_min="7.25", per="hour", currency="USD") == {wages["hourly"], wages["full_monthly"]}
    assert ids(client, amount_max="7.24", per="hour", currency="USD") == {wages["low_monthly"]}
    assert ids(client, amount_min="100", amount_max="1276", per="month", currency="USD") == {
        wages["hourly"],
        wages["full_monthly"],
    }
    assert ids(client, amount_min="0", per="hour", currency="MXN") == {wages["pesos"]}


def test_currency_filter_alone_keeps_wages_in_that_currency(client, wages):
    assert ids(client, currency="MXN") == {wages["pesos"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fact": "opinion"}, "fact"),
        ({"amount_min": "cheap", "per": "hour", "currency": "USD"}, "amount_min"),
        ({"amount_max": "-1", "per": "hour", "currency": "USD"}, "amount_max"),
        ({"amount_min": "1e400", "per": "hour", "currency": "USD"}, "amount_min"),
        ({"amount_min": "NaN", "per": "hour", "currency": "USD"}, "amount_min"),
        ({"amount_min": "5", "per": "fortnight", "currency": "USD"}, "per"),
        ({"amount_min": "5", "currency": "USD"}, "per"),
        ({"amount_max": "5", "per": "hour"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
    ],
)
def test_bad_fact_filters_are_a_400_naming_the_field(client, db, params, field):
    response = client.get("/api/claims/", params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_publishing_the_claim_a_knowledge_fact_is_about_is_a_change_of_the_knowledge_claim(client, drive, editor):
    subject = drive("reviewed")
    claim = drive("published", kind="knowledge")
    facts.knowledge_set(claim=claim, actor=EntityFactory(), polarity="knew", subject_claim=subject, by=editor)
    before = client.get(f"/api/claims/{claim.pk}/")
    assert before.json()["facts"]["knowledge"]["about_claim"] is None
    review_services.claim_publish(claim=subject, by=editor, rating=rating("true"), summary="It is so.")
    after = client.get(f"/api/claims/{claim.pk}/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["facts"]["knowledge"]["about_claim"] == subject.pk
    changes = client.get("/api/changes/", {"page_size": 1000}).json()["results"]
    assert {"claim": claim.pk, "kind": "fact"} in [{"claim": c["claim"], "kind": c["kind"]} for c in changes]
