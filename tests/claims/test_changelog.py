"""Every write that something public or role-visible shows appends to the change log, in its own
transaction: one row per claim it touches, none when the write rolls back."""

import pytest
from django.db import transaction

from claims import services
from claims.facts import services as facts
from claims.models import Change, Claim, Conflict, WageFigure
from reviews import services as workflow
from tests.factories import AppearanceFactory, ClaimFactory, DocumentFactory, EntityFactory, drive_claim, rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {key: EntityFactory(slug=key) for key in ("campaign", "procom", "odoc", "inmates")}


@pytest.fixture
def make_claim(db):
    return lambda kind: ClaimFactory(kind=kind)


@pytest.fixture
def drive_to(editor, reviewer1, reviewer2):
    """drive_to(state, claim=None) -> the claim (a new one by default) taken to `state` by the services."""

    def drive(state: str, claim=None):
        claim = claim or ClaimFactory()
        if not claim.appearances.exists():
            AppearanceFactory(claim=claim)
        return drive_claim(claim, state, editor=editor, reviewers=[reviewer1, reviewer2])

    return drive


class Rollback(Exception):
    pass


def changes(claim=None) -> list[tuple]:
    rows = Change.objects.order_by("position")
    if claim is not None:
        rows = rows.filter(claim_id=claim.pk)
    return list(rows.values_list("claim_id", "kind", "status", "public_before", "public_after"))


def logged(write) -> list[tuple]:
    """The rows `write()` appends; and, run again and rolled back, that it appends none."""
    before = Change.objects.count()
    with pytest.raises(Rollback), transaction.atomic():
        write()
        raise Rollback
    assert Change.objects.count() == before, "a rolled-back write left change-log rows"
    start = Change.objects.order_by("-position").values_list("position", flat=True).first() or 0
    write()
    return [
        c[:5]
        for c in Change.objects.filter(position__gt=start).values_list(
            "claim_id", "kind", "status", "public_before", "public_after"
        )
    ]


def test_claim_create_logs_the_new_draft(editor):
    claimant = EntityFactory()
    services.claim_create(text="A new claim.", kind="other", claimant=claimant, by=editor)
    claim = Claim.objects.get(text="A new claim.")
    assert changes(claim) == [(claim.pk, "claim", "draft", False, False)]


def test_claim_update_logs_an_edit(editor):
    claim = ClaimFactory()
    entity = EntityFactory()
    rows = logged(
        lambda: services.claim_update(
            claim=claim, by=editor, expected_version=Claim.objects.get(pk=claim.pk).version, entities=[entity]
        )
    )
    assert rows == [(claim.pk, "claim", "draft", False, False)]
    assert Change.objects.get().detail == {"fields": ["entities"]}


def test_appearance_add_and_remove_are_logged(editor):
    claim = ClaimFactory()
    document = DocumentFactory()
    rows = logged(lambda: services.appearance_add(claim=claim, document=document, quote="$7.25 an hour", by=editor))
    assert rows == [(claim.pk, "appearance", "draft", False, False)]
    appearance = claim.appearances.get()
    rows = logged(lambda: services.appearance_remove(appearance=claim.appearances.get(), by=editor))
    assert rows == [(claim.pk, "appearance", "draft", False, False)]
    assert Change.objects.order_by("position").last().detail["appearance"] == appearance.pk


def test_document_metadata_logs_every_claim_quoted_from_it(editor):
    first = AppearanceFactory()
    second = AppearanceFactory(document=first.document, quote="up to $20 per month")
    AppearanceFactory()  # another document: untouched
    rows = logged(
        lambda: services.document_update_metadata(
            document=first.document, title="New", outlet="O", author="A", published_on=None, url="", by=editor
        )
    )
    assert sorted(row[0] for row in rows) == sorted([first.claim_id, second.claim_id])
    assert {row[1] for row in rows} == {"document"}


def test_entity_rename_logs_claims_naming_it_as_claimant_subject_or_fact_party(editor, people, make_claim):
    as_claimant = ClaimFactory(claimant=people["procom"])
    as_subject = ClaimFactory()
    as_subject.entities.add(people["procom"])
    in_fact = make_claim("contract")
    facts.contract_set(
        claim=in_fact, engager=people["campaign"], engaged=people["procom"], role="vendor", by=services.system_user()
    )
    ClaimFactory()  # not naming it
    Change.objects.all().delete()
    rows = logged(lambda: services.entity_update(entity=people["procom"], name="ProCom Inc.", by=editor))
    assert sorted(row[0] for row in rows) == sorted([as_claimant.pk, as_subject.pk, in_fact.pk])


def test_fact_set_and_remove_are_logged(people, make_claim):
    claim = make_claim("wage")
    rows = logged(lambda: facts.wage_set(claim=claim, amount="7.25", period="hour", by=services.system_user()))
    assert rows == [(claim.pk, "fact", "draft", False, False)]
    rows = logged(lambda: facts.fact_remove(fact=WageFigure.objects.get(claim=claim), by=services.system_user()))
    assert rows == [(claim.pk, "fact", "draft", False, False)]


def _conflicting_pair(people, make_claim):
    a, b = make_claim("wage"), make_claim("wage")
    for claim, amount in ((a, "20"), (b, "27.09")):
        facts.wage_set(
            claim=claim, amount=amount, period="month", qualifier="at_most", measure="pay",
            payer=people["odoc"], payee=people["inmates"], by=services.system_user(),
        )  # fmt: skip
    return a, b, Conflict.objects.get()


def test_conflict_triage_logs_both_claims(people, make_claim, editor):
    a, b, _ = _conflicting_pair(people, make_claim)
    rows = logged(lambda: facts.conflict_confirm(conflict=Conflict.objects.get(), by=services.system_user()))
    assert sorted(row[0] for row in rows) == sorted([a.pk, b.pk])
    assert {row[1] for row in rows} == {"conflict"}


def test_a_fact_change_logs_the_partners_of_its_confirmed_conflicts(people, make_claim):
    a, b, conflict = _conflicting_pair(people, make_claim)
    facts.conflict_confirm(conflict=conflict, by=services.system_user())
    rows = logged(
        lambda: facts.wage_set(
            claim=a, amount="21", period="month", qualifier="at_most", measure="pay", by=services.system_user()
        )
    )
    assert (a.pk, "fact") in {row[:2] for row in rows}
    assert (b.pk, "conflict") in {row[:2] for row in rows}


@pytest.mark.parametrize(
    ("state", "step", "expected"),
    [
        ("draft", "submit", ("status", "submitted", False, False)),
        ("submitted", "assign", ("status", "in_review", False, False)),
        ("in_review", "send_back", ("status", "draft", False, False)),
        ("reviewed", "publish", ("published", "published", False, True)),
        ("published", "correct", ("corrected", "published", True, True)),
        ("published", "retract", ("retracted", "retracted", True, True)),
    ],
)
def test_workflow_steps_are_logged(drive_to, editor, reviewer1, reviewer2, state, step, expected):
    claim = drive_to(state)
    steps = {
        "submit": lambda: workflow.claim_submit_for_review(claim=claim, by=editor),
        "assign": lambda: workflow.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2]),
        "send_back": lambda: workflow.claim_send_back(claim=claim, by=editor, reason="Reword it."),
        "publish": lambda: workflow.claim_publish(claim=claim, by=editor, rating=rating("true"), summary="So."),
        "correct": lambda: workflow.verdict_correct(
            claim=claim, by=editor, rating=rating("false"), summary="Not so.", note="New source."
        ),
        "retract": lambda: workflow.verdict_retract(claim=claim, by=editor, reason="Withdrawn."),
    }
    assert logged(steps[step]) == [(claim.pk, *expected)]


def test_the_last_required_review_logs_the_move_to_reviewed(drive_to, reviewer1, reviewer2):
    claim = drive_to("in_review")
    drive_claim(claim, "reviewed", editor=None, reviewers=[reviewer1, reviewer2])
    assert changes(claim)[-1] == (claim.pk, "status", "reviewed", False, False)


def test_publishing_logs_the_partners_of_its_confirmed_conflicts(people, make_claim, drive_to, editor):
    a, b, conflict = _conflicting_pair(people, make_claim)
    facts.conflict_confirm(conflict=conflict, by=services.system_user())
    published = drive_to("reviewed", claim=a)
    workflow.claim_publish(claim=published, by=editor, rating=rating("true"), summary="So.")
    assert changes(b)[-1][:2] == (b.pk, "conflict")
