"""Services that give claims their structure, and the bad inputs they refuse with nothing saved."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims.errors import NotPermitted
from claims.facts.services import contract_set, event_set, knowledge_set, quantity_set, structure_set, wage_set
from claims.models import Conflict, ContractRelation, KnowledgeFact, WageFigure
from claims.services import system_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_wage_set_stores_the_figure_as_numbers(people, make_claim):
    claim = make_claim("wage")

    wage = wage_set(
        claim=claim,
        amount="7.25",
        period="hour",
        payer=people["procom"],
        payee=people["odoc"],
        measure="ProCom pay",
        by=system_user(),
    )

    wage.refresh_from_db()
    assert (wage.amount, wage.currency, wage.period, wage.qualifier) == (Decimal("7.25"), "USD", "hour", "exactly")
    assert wage.history.count() == 1


def test_wage_set_replaces_the_claims_figure(make_claim):
    claim = make_claim("wage")
    wage_set(claim=claim, amount="7.25", period="hour", by=system_user())

    wage_set(claim=claim, amount="20", period="month", qualifier="up_to", by=system_user())

    assert WageFigure.objects.get(claim=claim).amount == Decimal("20")
    assert WageFigure.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": "-1", "period": "hour"}, "amount", "cannot be negative"),
        ({"amount": "5000000000000", "period": "hour"}, "amount", "implausibly large"),
        ({"amount": "7.25", "period": "hour", "currency": "XYZ"}, "currency", "not a valid choice"),
        ({"amount": "7.25", "period": "fortnight"}, "period", "not a valid choice"),
        ({"amount": "7.25", "period": "hour", "qualifier": "perhaps"}, "qualifier", "not a valid choice"),
        ({"amount": "lots", "period": "hour"}, "amount", "must be a decimal number"),
        (
            {"amount": "1", "period": "day", "refers_from": date(2019, 12, 1), "refers_to": date(2019, 1, 1)},
            "refers_to",
            "before refers_from",
        ),
    ],
)
def test_bad_wage_is_a_field_error_and_nothing_is_saved(make_claim, values, field, message):
    claim = make_claim("wage")

    with pytest.raises(ValidationError) as caught:
        wage_set(claim=claim, **values, by=system_user())

    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert not WageFigure.objects.exists()


def test_contract_of_an_entity_with_itself_is_refused(people, make_claim):
    with pytest.raises(ValidationError) as caught:
        contract_set(
            claim=make_claim("contract"),
            engager=people["procom"],
            engaged=people["procom"],
            role="vendor",
            by=system_user(),
        )

    assert "with itself" in " ".join(caught.value.message_dict["engaged"])
    assert not ContractRelation.objects.exists()


def test_contract_dates_in_the_wrong_order_are_refused(people, make_claim):
    with pytest.raises(ValidationError) as caught:
        contract_set(
            claim=make_claim("contract"),
            engager=people["campaign"],
            engaged=people["vendor"],
            role="vendor",
            since=date(2019, 12, 24),
            until=date(2019, 11, 1),
            by=system_user(),
        )

    assert "until" in caught.value.message_dict
    assert not ContractRelation.objects.exists()


def test_database_refuses_a_self_contract_even_without_the_service(people, make_claim):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractRelation.objects.create(
            claim=make_claim("contract"), engager=people["odoc"], engaged=people["odoc"], role="operator"
        )


def test_database_refuses_a_negative_amount_even_without_the_service(make_claim):
    with pytest.raises(IntegrityError), transaction.atomic():
        WageFigure.objects.create(claim=make_claim("wage"), amount=Decimal("-5"), period="hour")


def test_knowledge_needs_a_subject(people, make_claim):
    with pytest.raises(ValidationError) as caught:
        knowledge_set(claim=make_claim("knowledge"), actor=people["campaign"], polarity="knew", by=system_user())

    assert "subject_text" in caught.value.message_dict
    assert not KnowledgeFact.objects.exists()


def test_quantity_and_event_are_stored(people, make_claim):
    quantity = quantity_set(
        claim=make_claim("quantity"), measure="prison call centers", value=2, qualifier="at_least", by=system_user()
    )
    event = event_set(
        claim=make_claim("event"),
        actor=people["campaign"],
        action="ended relationship",
        recipient=people["procom"],
        by=system_user(),
    )

    assert str(quantity) == "prison call centers: at least 2"
    assert event.recipient == people["procom"]


def test_a_user_without_permission_cannot_structure_a_claim(make_claim):
    with pytest.raises(NotPermitted):
        wage_set(claim=make_claim("wage"), amount="1", period="day", by=UserFactory())
    assert not WageFigure.objects.exists()


def test_structure_set_resolves_entity_and_claim_keys(people, make_claim):
    subject = make_claim("other", slug="prison-labor-used")
    claim = make_claim("knowledge")

    fact = structure_set(
        claim=claim,
        block="knowledge",
        data={
            "actor": "campaign",
            "subject": "prison-labor-used",
            "subject_text": "prison labor was used",
            "polarity": "did_not_know",
            "when": None,
            "when_event": "until The Intercept's inquiry",
            "stated_by": "wood",
        },
        entities=people,
        by=system_user(),
    )

    assert (fact.actor, fact.subject_claim, fact.stated_by) == (people["campaign"], subject, people["wood"])
    assert fact.known_on is None


def test_structure_set_accepts_a_full_wage_block(people, make_claim):
    wage = structure_set(
        claim=make_claim("wage"),
        block="wage",
        data={
            "amount": "20",
            "currency": "USD",
            "period": "month",
            "qualifier": "up_to",
            "payer": "odoc",
            "payee": "inmates",
            "stated_by": "odoc",
            "measure": "inmate pay",
            "refers_from": None,
            "refers_to": "2019-12-24",
        },
        entities=people,
        by=system_user(),
    )

    assert wage.refers_to == date(2019, 12, 24)
    assert wage.payee == people["inmates"]


@pytest.mark.parametrize(
    ("block", "data", "field"),
    [
        ("wage", {"amount": "1", "period": "day", "payer": "nobody"}, "payer"),
        ("wage", {"period": "day"}, "amount"),
        ("wage", {"amount": "1", "period": "day", "colour": "red"}, "wage"),
        ("knowledge", {"actor": "campaign", "polarity": "knew", "subject": "no-such-claim"}, "subject"),
        ("mood", {}, "block"),
    ],
)
def test_structure_set_names_the_bad_field_and_saves_nothing(people, make_claim, block, data, field):
    with pytest.raises(ValidationError) as caught:
        structure_set(claim=make_claim(), block=block, data=data, entities=people, by=system_user())

    assert field in caught.value.message_dict
    assert not WageFigure.objects.exists()
    assert not KnowledgeFact.objects.exists()


def test_saving_a_fact_detects_its_conflicts(people, make_claim):
    cap = make_claim("wage")
    wage_set(
        claim=cap,
        amount="20",
        period="month",
        qualifier="up_to",
        payee=people["inmates"],
        measure="inmate pay",
        by=system_user(),
    )
    daily = make_claim("wage")

    wage_set(claim=daily, amount="20", period="day", payee=people["inmates"], measure="inmate pay", by=system_user())

    conflict = Conflict.objects.get()
    assert (conflict.claim_a, conflict.claim_b, conflict.field) == (cap, daily, "period")


def test_fact_services_refuse_a_write_that_names_nobody(make_claim):
    with pytest.raises(NotPermitted) as err:
        wage_set(claim=make_claim("wage"), measure="pay", amount="7.25", period="hour", by=None)
    assert err.value.rule == "user_required"
