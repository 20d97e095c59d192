"""The detector: true and false cases for each kind of fact, storage without duplicates, triage."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from claims.errors import NotPermitted, TransitionNotAllowed
from claims.facts.services import (
    conflict_confirm,
    conflict_dismiss,
    conflict_reopen,
    contract_set,
    detect_all,
    detect_for_claim,
    event_set,
    knowledge_set,
    quantity_set,
    wage_set,
)
from claims.models import Conflict
from claims.services import system_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def wage(people, make_claim):
    def make(amount, period, qualifier="exactly", measure="inmate pay", payer="odoc", payee="inmates"):
        claim = make_claim("wage")
        wage_set(
            claim=claim,
            amount=amount,
            period=period,
            qualifier=qualifier,
            measure=measure,
            payer=people[payer] if payer else None,
            payee=people[payee] if payee else None,
            by=system_user(),
        )
        return claim

    return make


@pytest.fixture
def editor(db):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_conflict"))
    return user


def only_conflict():
    return Conflict.objects.get()


# --- wages -----------------------------------------------------------------------------------


def test_two_different_caps_for_the_same_pay_conflict(wage):
    twenty = wage("20", "month", "at_most")
    wage("27.09", "month", "at_most")

    conflict = only_conflict()
    assert conflict.claim_a == twenty
    assert (conflict.field, conflict.value_a, conflict.value_b) == (
        "amount",
        "at most 20.00 USD per month",
        "at most 27.09 USD per month",
    )
    assert "only one can be the maximum" in conflict.explanation


def test_up_to_and_at_most_are_the_same_cap(wage):
    wage("20", "month", "up_to")
    wage("20", "month", "at_most")

    assert not Conflict.objects.exists()


def test_a_daily_figure_above_a_monthly_cap_conflicts_after_conversion(wage, settings):
    settings.WAGE_DAYS_PER_MONTH = 22
    wage("20", "month", "up_to")
    wage("20", "day")

    conflict = only_conflict()
    assert conflict.field == "period"
    assert "440.00 USD" in conflict.explanation
    assert "22 working days a month" in conflict.explanation


def test_an_hourly_rate_within_a_monthly_cap_is_compatible(wage):
    wage("20", "month", "up_to")
    wage("0.10", "hour")  # 17.60 a month

    assert not Conflict.objects.exists()


def test_an_hourly_rate_over_a_monthly_cap_only_at_full_time_is_not_a_conflict(wage, settings):
    settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_MONTH = 8, 22
    wage("20", "month", "at_most")
    wage("0.20", "hour")  # 35.20 a month full-time, but 8.80 at a quarter of that

    assert not Conflict.objects.exists()


def test_an_hourly_rate_over_a_monthly_cap_even_part_time_conflicts(wage, settings):
    settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_MONTH = 8, 22
    wage("27.09", "month", "at_most")
    wage("7.25", "hour")  # 319 a month even at a quarter of full time

    assert only_conflict().field == "amount"


def test_same_figure_in_different_periods_is_compatible(wage, settings):
    settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_MONTH = 8, 22
    wage("7.25", "hour")
    wage("1276", "month")

    assert not Conflict.objects.exists()


def test_two_exact_figures_that_differ_conflict(wage):
    wage("7.25", "hour")
    wage("15", "hour")

    assert only_conflict().field == "amount"


def test_about_allows_some_slack(wage):
    wage("20", "day", "about")
    wage("22", "day")

    assert not Conflict.objects.exists()


def test_floor_above_a_cap_conflicts(wage):
    wage("20", "month", "at_most")
    wage("30", "month", "at_least")

    assert only_conflict().field == "amount"


def test_wages_about_different_pay_are_not_compared(wage):
    wage("7.25", "hour", payer="procom", payee="odoc", measure="ProCom payment to the department")
    wage("20", "month", "up_to", measure="inmate pay")

    assert not Conflict.objects.exists()


def test_wages_with_different_payers_are_not_compared(wage):
    wage("0.54", "hour", "at_most", payer="procom")
    wage("20", "day", payer="odoc")

    assert not Conflict.objects.exists()


def test_an_unknown_payer_matches_any_payer(wage):
    wage("20", "month", "up_to", payer=None)
    wage("20", "day", payer="procom")

    assert Conflict.objects.count() == 1


def test_a_lump_sum_is_not_compared_with_a_rate(wage):
    wage("55900000000", "lump_sum")
    wage("20", "day")

    assert not Conflict.objects.exists()


# --- contracts -------------------------------------------------------------------------------


def test_same_engaged_party_with_a_different_engager_conflicts(people, make_claim):
    direct = make_claim("contract")
    contract_set(claim=direct, engager=people["campaign"], engaged=people["procom"], role="vendor", by=system_user())
    contract_set(
        claim=make_claim("contract"),
        engager=people["vendor"],
        engaged=people["procom"],
        role="subcontractor",
        by=system_user(),
    )

    conflict = only_conflict()
    assert (conflict.field, conflict.value_a, conflict.value_b) == (
        "engager",
        "Bloomberg 2020 campaign",
        "Undisclosed vendor",
    )


def test_active_against_ended_conflicts_but_unknown_does_not(people, make_claim):
    pair = {"engager": people["campaign"], "engaged": people["vendor"], "role": "vendor"}
    contract_set(claim=make_claim("contract"), status="active", **pair, by=system_user())
    contract_set(claim=make_claim("contract"), status="unknown", **pair, by=system_user())
    assert not Conflict.objects.exists()

    contract_set(claim=make_claim("contract"), status="ended", **pair, by=system_user())

    assert list(Conflict.objects.values_list("field", flat=True)) == ["status"]


def test_same_pair_with_a_different_role_conflicts(people, make_claim):
    pair = {"engager": people["procom"], "engaged": people["odoc"]}
    contract_set(claim=make_claim("contract"), role="client", **pair, by=system_user())
    contract_set(claim=make_claim("contract"), role="operator", **pair, by=system_user())

    assert only_conflict().field == "role"


def test_different_relationships_in_the_chain_do_not_conflict(people, make_claim):
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["vendor"],
        role="vendor",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["vendor"],
        engaged=people["procom"],
        role="subcontractor",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["procom"],
        engaged=people["inmates"],
        role="employer",
        by=system_user(),
    )

    assert not Conflict.objects.exists()


def test_different_end_dates_conflict(people, make_claim):
    pair = {"engager": people["campaign"], "engaged": people["vendor"], "role": "vendor", "status": "ended"}
    contract_set(claim=make_claim("contract"), until=date(2019, 12, 23), **pair, by=system_user())
    contract_set(claim=make_claim("contract"), until=date(2019, 12, 24), **pair, by=system_user())

    assert only_conflict().field == "until"


# --- quantities ------------------------------------------------------------------------------


def test_two_different_lower_bounds_for_the_same_count_are_flagged(make_claim):
    quantity_set(claim=make_claim("quantity"), measure="prisons used", value=2, qualifier="at_least", by=system_user())
    quantity_set(claim=make_claim("quantity"), measure="prisons used", value=1, qualifier="at_least", by=system_user())

    assert "lower bounds" in only_conflict().explanation


def test_an_exact_count_within_a_bound_is_compatible(make_claim):
    quantity_set(claim=make_claim("quantity"), measure="prisons used", value=2, qualifier="exactly", by=system_user())
    quantity_set(claim=make_claim("quantity"), measure="prisons used", value=1, qualifier="at_least", by=system_user())

    assert not Conflict.objects.exists()


def test_two_exact_counts_that_differ_conflict(make_claim):
    quantity_set(claim=make_claim("quantity"), measure="prison call centers", value=2, by=system_user())
    quantity_set(claim=make_claim("quantity"), measure="prison call centers", value=3, by=system_user())

    assert only_conflict().value_b == "3"


def test_counts_of_different_things_are_not_compared(make_claim):
    quantity_set(claim=make_claim("quantity"), measure="prison call centers", value=2, by=system_user())
    quantity_set(
        claim=make_claim("quantity"), measure="prison capacity", value=900, qualifier="at_least", by=system_user()
    )

    assert not Conflict.objects.exists()


# --- events ----------------------------------------------------------------------------------


def test_same_event_with_a_different_recipient_conflicts(people, make_claim):
    event_set(
        claim=make_claim("event"),
        actor=people["campaign"],
        action="ended relationship",
        recipient=people["procom"],
        by=system_user(),
    )
    event_set(
        claim=make_claim("event"),
        actor=people["campaign"],
        action="ended relationship",
        recipient=people["vendor"],
        by=system_user(),
    )

    assert only_conflict().field == "recipient"


def test_same_event_with_a_different_actor_conflicts(people, make_claim):
    event_set(
        claim=make_claim("event"),
        actor=people["campaign"],
        action="hired",
        recipient=people["procom"],
        by=system_user(),
    )
    event_set(
        claim=make_claim("event"), actor=people["vendor"], action="hired", recipient=people["procom"], by=system_user()
    )

    assert only_conflict().field == "actor"


def test_different_actions_are_different_events(people, make_claim):
    event_set(claim=make_claim("event"), actor=people["campaign"], action="apologized", by=system_user())
    event_set(claim=make_claim("event"), actor=people["campaign"], action="ended relationship", by=system_user())

    assert not Conflict.objects.exists()


# --- knowledge -------------------------------------------------------------------------------


def test_knew_against_did_not_know_conflicts(people, make_claim):
    subject = make_claim("other")
    knowledge_set(
        claim=make_claim("knowledge"),
        actor=people["campaign"],
        subject_claim=subject,
        polarity="did_not_know",
        by=system_user(),
    )
    knowledge_set(
        claim=make_claim("knowledge"),
        actor=people["campaign"],
        subject_claim=subject,
        polarity="knew",
        by=system_user(),
    )

    assert only_conflict().field == "polarity"


def test_learned_after_not_knowing_is_compatible(people, make_claim):
    facts = {"actor": people["campaign"], "subject_text": "prison labor was used"}
    knowledge_set(claim=make_claim("knowledge"), polarity="did_not_know", **facts, by=system_user())
    knowledge_set(
        claim=make_claim("knowledge"),
        polarity="learned",
        when_event="after The Intercept's inquiry",
        **facts,
        by=system_user(),
    )

    assert not Conflict.objects.exists()


def test_knowledge_of_different_actors_is_not_compared(people, make_claim):
    knowledge_set(
        claim=make_claim("knowledge"),
        actor=people["campaign"],
        subject_text="x",
        polarity="did_not_know",
        by=system_user(),
    )
    knowledge_set(
        claim=make_claim("knowledge"), actor=people["procom"], subject_text="x", polarity="knew", by=system_user()
    )

    assert not Conflict.objects.exists()


# --- storage and re-detection ----------------------------------------------------------------


def test_redetection_does_not_duplicate(wage):
    claim = wage("20", "month", "up_to")
    wage("20", "day")

    detect_for_claim(claim=claim, by=system_user())
    detect_all(by=system_user())

    assert Conflict.objects.count() == 1


def test_redetection_keeps_a_dismissal(wage, editor):
    claim = wage("20", "month", "up_to")
    wage("20", "day")
    conflict_dismiss(conflict=only_conflict(), by=editor, reason="Different programmes.")

    counts = detect_all(by=system_user())

    assert only_conflict().status == "dismissed"
    assert counts == {"created": 0, "updated": 0, "kept": 1, "removed": 0}
    assert detect_for_claim(claim=claim, by=system_user())[0].triage_note == "Different programmes."


def test_an_open_conflict_that_no_longer_holds_is_removed(people, wage):
    wage("20", "month", "up_to")
    daily = wage("20", "day")

    wage_set(claim=daily, amount="0.5", period="day", measure="inmate pay", payee=people["inmates"], by=system_user())

    assert not Conflict.objects.exists()


def test_detect_conflicts_command_prints_a_summary(wage):
    wage("20", "month", "up_to")
    wage("20", "day")
    Conflict.objects.all().delete()
    from io import StringIO

    out = StringIO()
    call_command("detect_conflicts", stdout=out)

    assert "1 created" in out.getvalue()
    assert "1 open" in out.getvalue()


# --- triage ----------------------------------------------------------------------------------


def test_confirm_records_who_and_when(wage, editor):
    wage("20", "month", "up_to")
    wage("20", "day")

    conflict = conflict_confirm(conflict=only_conflict(), by=editor, note="Scallan's figure is per day.")

    assert (conflict.status, conflict.triaged_by) == ("confirmed", editor)
    assert conflict.triaged_at is not None
    assert Conflict.objects.confirmed().count() == 1


def test_dismissal_needs_a_reason(wage, editor):
    wage("20", "month", "up_to")
    wage("20", "day")

    with pytest.raises(ValidationError):
        conflict_dismiss(conflict=only_conflict(), by=editor, reason="  ")
    assert only_conflict().status == "open"


def test_triage_needs_the_permission(wage):
    wage("20", "month", "up_to")
    wage("20", "day")

    with pytest.raises(NotPermitted):
        conflict_confirm(conflict=only_conflict(), by=UserFactory())


def test_confirming_twice_is_refused_and_reopen_works(wage, editor):
    wage("20", "month", "up_to")
    wage("20", "day")
    conflict_confirm(conflict=only_conflict(), by=editor)

    with pytest.raises(TransitionNotAllowed):
        conflict_confirm(conflict=only_conflict(), by=editor)
    assert conflict_reopen(conflict=only_conflict(), by=editor).status == "open"


def test_for_claims_finds_conflicts_on_either_side(wage):
    first = wage("20", "month", "up_to")
    second = wage("20", "day")
    wage("7", "hour", measure="other pay")

    assert Conflict.objects.for_claims([second.pk]).count() == 1
    assert Conflict.objects.for_claims([first.pk]).count() == 1


def test_caps_on_different_periods_are_different_rules_and_compatible(wage):
    wage("20", "month", "at_most")
    wage("0.54", "hour", "at_most")

    assert not Conflict.objects.exists()


def test_a_floor_meeting_a_cap_conflicts_on_the_qualifier(wage):
    wage("20", "month", "at_most")
    wage("20", "month", "at_least")

    assert only_conflict().field == "qualifier"


def test_knew_and_did_not_know_at_different_times_are_compatible(people, make_claim):
    facts = {"actor": people["campaign"], "subject_text": "prison labor was used"}
    knowledge_set(
        claim=make_claim("knowledge"),
        polarity="did_not_know",
        when_event="before the inquiry",
        **facts,
        by=system_user(),
    )
    knowledge_set(
        claim=make_claim("knowledge"),
        polarity="knew",
        when_event="in its reply to the inquiry",
        **facts,
        by=system_user(),
    )

    assert not Conflict.objects.exists()


def test_subcontractor_through_a_vendor_agrees_with_the_vendor_hiring_it(people, make_claim):
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["procom"],
        role="subcontractor",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["vendor"],
        engaged=people["procom"],
        role="subcontractor",
        by=system_user(),
    )

    assert not Conflict.objects.exists()


def test_two_different_vendors_of_the_same_engager_conflict(people, make_claim):
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["vendor"],
        role="vendor",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["procom"],
        role="vendor",
        by=system_user(),
    )

    assert only_conflict().field == "engaged"


def test_employers_are_not_a_single_role(people, make_claim):
    contract_set(
        claim=make_claim("contract"),
        engager=people["inmates"],
        engaged=people["odoc"],
        role="employer",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["inmates"],
        engaged=people["procom"],
        role="employer",
        by=system_user(),
    )

    assert not Conflict.objects.exists()


def test_event_objects_worded_differently_do_not_conflict_when_parties_differ(people, make_claim):
    action = "gave the statement"
    event_set(
        claim=make_claim("event"),
        actor=people["wood"],
        action=action,
        recipient=people["procom"],
        object="a",
        by=system_user(),
    )
    event_set(claim=make_claim("event"), actor=people["wood"], action=action, object="b", by=system_user())

    assert not Conflict.objects.exists()


def test_counts_in_different_units_of_the_same_measure_are_compared(make_claim):
    quantity_set(
        claim=make_claim("quantity"),
        measure="prisons used",
        value=2,
        unit="centers",
        qualifier="at_least",
        by=system_user(),
    )
    quantity_set(
        claim=make_claim("quantity"),
        measure="prisons used",
        value=1,
        unit="prisons",
        qualifier="at_least",
        by=system_user(),
    )

    assert only_conflict().field == "value"


def test_a_conflict_a_verdict_cites_is_kept_even_when_it_no_longer_holds(people, wage, editor):
    from django.utils import timezone

    from reviews.models import Rating, Verdict

    cap = wage("20", "month", "up_to")
    daily = wage("20", "day")
    conflict = conflict_confirm(conflict=only_conflict(), by=editor)
    # The workflow's publishing service is another helper's; a verdict row is all this needs.
    verdict = Verdict.objects.create(
        claim=cap, version=1, rating=Rating.objects.first(), summary="Capped.", published_by=editor,
        published_at=timezone.now(),
    )  # fmt: skip
    verdict.cited_conflicts.add(conflict)
    conflict_reopen(conflict=conflict, by=editor)

    wage_set(claim=daily, amount="0.5", period="day", measure="inmate pay", payee=people["inmates"], by=system_user())

    assert verdict.cited_conflicts.get() == conflict
