import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from claims.models import Claim, Conflict
from reviews import services
from reviews.models import Assignment, Evidence, Review, Transition, Verdict
from reviews.services import EvidenceInput
from tests.factories import AppearanceFactory, ClaimFactory, make_user, rating
from tests.reviews.conftest import passage

pytestmark = pytest.mark.django_db

STATES = ["draft", "submitted", "in_review", "reviewed", "published", "retracted"]

# action -> (states it is allowed from, state it leads to, the rule named when the state is wrong)
ACTIONS = {
    "submit": (["draft"], "submitted", "submit_requires_draft"),
    "assign": (["submitted", "in_review"], "in_review", "assign_requires_submitted"),
    "review": (["in_review"], "in_review", "review_requires_in_review"),
    "send_back": (["submitted", "in_review", "reviewed"], "draft", "send_back_requires_unpublished"),
    "publish": (["reviewed"], "published", "publish_requires_reviewed"),
    "correct": (["published"], "published", "correct_requires_published"),
    "retract": (["published"], "retracted", "retract_requires_published"),
}


def act(action: str, claim: Claim, user, *, reviewers=()):
    if action == "submit":
        return services.claim_submit_for_review(claim=claim, by=user)
    if action == "assign":
        return services.claim_assign_reviewers(claim=claim, by=user, reviewers=list(reviewers))
    if action == "review":
        return services.review_record(
            claim=claim, reviewer=user, rating=rating("false"), rationale="Because.", evidence=[passage(claim)]
        )
    if action == "send_back":
        return services.claim_send_back(claim=claim, by=user, reason="Reword the claim.")
    if action == "publish":
        return services.claim_publish(claim=claim, by=user, rating=rating("true"), summary="True.")
    if action == "correct":
        return services.verdict_correct(
            claim=claim, by=user, rating=rating("mostly-true"), summary="Mostly.", note="Figure fixed."
        )
    if action == "retract":
        return services.verdict_retract(claim=claim, by=user, reason="Withdrawn.")
    raise AssertionError(action)


def reviews_for_assign(state, reviewer1, reviewer2, reviewer3):
    # Reassigning in review keeps the two and adds a third; the first assignment sets two.
    return [reviewer1, reviewer2, reviewer3] if state == "in_review" else [reviewer1, reviewer2]


ALLOWED = [(action, state) for action, (states, _, _) in ACTIONS.items() for state in states]
FORBIDDEN_STATES = [
    (action, state) for action, (states, _, _) in ACTIONS.items() for state in STATES if state not in states
]


@pytest.mark.parametrize(("action", "state"), ALLOWED)
def test_allowed_transition_by_its_role_moves_the_claim(action, state, drive, editor, reviewer1, reviewer2, reviewer3):
    claim = drive(state)
    actor = reviewer1 if action == "review" else make_user("chief", "Editors")
    before = claim.version
    act(action, claim, actor, reviewers=reviews_for_assign(state, reviewer1, reviewer2, reviewer3))
    claim.refresh_from_db()
    assert claim.status == ACTIONS[action][1]
    if action != "review":
        assert claim.version == before + 1
        last = Transition.objects.filter(claim=claim).last()
        assert (last.from_status, last.to_status, last.by) == (state, ACTIONS[action][1], actor)


@pytest.mark.parametrize(("action", "state"), FORBIDDEN_STATES)
def test_transition_from_wrong_state_is_refused_naming_the_rule(action, state, drive, reviewer1, reviewer2, reviewer3):
    claim = drive(state)
    actor = reviewer1 if action == "review" else make_user("chief", "Editors")
    transitions, version = Transition.objects.count(), claim.version
    with pytest.raises(TransitionNotAllowed) as err:
        act(action, claim, actor, reviewers=reviews_for_assign(state, reviewer1, reviewer2, reviewer3))
    assert err.value.rule == ACTIONS[action][2]
    claim.refresh_from_db()
    assert (claim.status, claim.version, Transition.objects.count()) == (state, version, transitions)


EDITOR_ACTIONS = [a for a in ACTIONS if a != "review"]


@pytest.mark.parametrize("role", ["reviewer", "nobody", "anonymous"])
@pytest.mark.parametrize("action", EDITOR_ACTIONS)
def test_editor_transitions_are_refused_to_other_roles(action, role, drive, reviewer1, reviewer2, reviewer3, nobody):
    state = ACTIONS[action][0][0]
    claim = drive(state)
    user = {"reviewer": reviewer3, "nobody": nobody, "anonymous": AnonymousUser()}[role]
    with pytest.raises(NotPermitted) as err:
        act(action, claim, user, reviewers=[reviewer1, reviewer2])
    assert err.value.rule == f"{action}_permission"
    claim.refresh_from_db()
    assert claim.status == state


@pytest.mark.parametrize(
    ("role", "rule"),
    [
        ("editor", "review_permission"),
        ("nobody", "review_permission"),
        ("anonymous", "review_permission"),
        ("unassigned_reviewer", "reviewer_not_assigned"),
    ],
)
def test_review_is_refused_to_anyone_but_an_assigned_reviewer(role, rule, drive, editor, reviewer3, nobody):
    claim = drive("in_review")
    user = {"editor": editor, "nobody": nobody, "anonymous": AnonymousUser(), "unassigned_reviewer": reviewer3}[role]
    with pytest.raises(NotPermitted) as err:
        act("review", claim, user)
    assert err.value.rule == rule
    assert not Review.objects.filter(claim=claim).exists()


def test_superuser_may_drive_the_workflow(drive):
    claim = drive("draft")
    admin = make_user("root", superuser=True)
    services.claim_submit_for_review(claim=claim, by=admin)
    assert claim.status == "submitted"


# --- the log, versions and optimistic locking ----------------------------------------------


def test_every_transition_is_logged_with_who_from_to_and_note(drive, editor, reviewer1, reviewer2):
    claim = drive("published")
    rows = list(Transition.objects.filter(claim=claim).values_list("from_status", "to_status", "by__username"))
    assert rows == [
        ("draft", "submitted", "editor"),
        ("submitted", "in_review", "editor"),
        ("in_review", "reviewed", "reviewer2"),
        ("reviewed", "published", "editor"),
    ]
    completed = Transition.objects.get(claim=claim, to_status="reviewed")
    assert completed.note == "required reviews in"
    assert all(t.at is not None for t in Transition.objects.filter(claim=claim))


def test_stale_expected_version_is_refused_and_nothing_written(drive, editor):
    claim = drive("draft")
    with pytest.raises(StaleVersion) as err:
        services.claim_submit_for_review(claim=claim, by=editor, expected_version=claim.version + 1)
    assert err.value.current_version == claim.version
    claim.refresh_from_db()
    assert claim.status == "draft"
    assert not Transition.objects.filter(claim=claim).exists()


def test_matching_expected_version_is_accepted_and_bumped(drive, editor):
    claim = drive("draft")
    services.claim_submit_for_review(claim=claim, by=editor, expected_version=1)
    assert Claim.objects.get(pk=claim.pk).version == 2
    with pytest.raises(StaleVersion):
        services.claim_send_back(claim=claim, by=editor, reason="x", expected_version=1)


def test_service_updates_the_callers_claim_instance(drive, editor):
    claim = drive("draft")
    services.claim_submit_for_review(claim=claim, by=editor)
    assert (claim.status, claim.version) == ("submitted", 2)


# --- assignment ------------------------------------------------------------------------------


def test_assign_requires_members_of_the_reviewers_group(drive, editor, reviewer1, nobody):
    claim = drive("submitted")
    with pytest.raises(ValidationError) as err:
        services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, nobody])
    assert "nobody may not be assigned claims to review (not a reviewer)." in err.value.message_dict["reviewers"]
    assert not Assignment.objects.exists()
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_assign_requires_as_many_reviewers_as_reviews_required(drive, editor, reviewer1):
    claim = drive("submitted")
    with pytest.raises(ValidationError) as err:
        services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1])
    assert "reviewers" in err.value.message_dict


def test_reassigning_replaces_the_active_set_and_keeps_the_old_rows(drive, editor, reviewer1, reviewer2, reviewer3):
    claim = drive("in_review")
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer3])
    active = set(Assignment.objects.active().filter(claim=claim).values_list("reviewer__username", flat=True))
    assert active == {"reviewer1", "reviewer3"}
    assert Assignment.objects.filter(claim=claim, reviewer=reviewer2, active=False).exists()
    with pytest.raises(NotPermitted):
        act("review", claim, reviewer2)


def test_reviewer_who_already_reviewed_cannot_be_unassigned(drive, editor, reviewer1, reviewer2, reviewer3):
    claim = drive("in_review")
    act("review", claim, reviewer1)
    with pytest.raises(ValidationError) as err:
        services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer2, reviewer3])
    assert "reviewer1 has already submitted" in err.value.message_dict["reviewers"][0]
    assert Assignment.objects.active().filter(claim=claim).count() == 2


# --- reviews -----------------------------------------------------------------------------------


def test_review_needs_rationale_and_evidence_and_writes_nothing_without(drive, reviewer1):
    claim = drive("in_review")
    with pytest.raises(ValidationError) as err:
        services.review_record(claim=claim, reviewer=reviewer1, rating=rating("true"), rationale="  ", evidence=[])
    assert set(err.value.message_dict) == {"rationale", "evidence"}
    assert not Review.objects.exists()
    assert not Evidence.objects.exists()


def test_review_with_an_unanchorable_quote_says_which_item_and_writes_nothing(drive, reviewer1):
    claim = drive("in_review")
    good, bad = passage(claim), passage(claim, quote="words that are not in the text")
    with pytest.raises(ValidationError) as err:
        services.review_record(
            claim=claim, reviewer=reviewer1, rating=rating("true"), rationale="x", evidence=[good, bad]
        )
    [message] = err.value.message_dict["evidence"]
    assert message.startswith("Evidence 2:") and "does not occur" in message
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (dict(stance="maybe", url="https://example.org", title="t"), "stance"),
        (dict(stance="supports"), "exactly one"),
        (dict(stance="supports", url="not a url", title="t"), "not a valid"),
        (dict(stance="supports", url="https://example.org"), "title"),
        (dict(stance="supports", document=-1, quote="x"), "no document"),
    ],
)
def test_bad_evidence_items_are_explained(item, expected, drive, reviewer1):
    claim = drive("in_review")
    with pytest.raises(ValidationError) as err:
        services.review_record(
            claim=claim, reviewer=reviewer1, rating=rating("true"), rationale="x", evidence=[EvidenceInput(**item)]
        )
    assert expected in err.value.message_dict["evidence"][0]


def test_review_anchors_quotes_offsets_and_urls(drive, reviewer1):
    claim = drive("in_review")
    doc = claim.appearances.first().document
    start = doc.text.index("up to $20")
    review = services.review_record(
        claim=claim,
        reviewer=reviewer1,
        rating=rating("mixed"),
        rationale="Half of it.",
        evidence=[
            EvidenceInput(stance="supports", document=doc, quote="didn't know about this"),  # straight quote
            EvidenceInput(stance="refutes", document=doc.pk, start=start, end=start + 9),
            EvidenceInput(stance="context", url="https://example.org/report", title="Report", excerpt="A line."),
        ],
    )
    passages = list(review.evidence.order_by("id"))
    assert (
        passages[0].exact == "didn’t know about this"
        and doc.text[passages[0].start : passages[0].end] == passages[0].exact
    )
    assert passages[1].exact == "up to $20" and passages[1].prefix.endswith("pays inmates ")
    assert passages[2].url == "https://example.org/report" and passages[2].document is None


def test_a_second_review_by_the_same_reviewer_is_refused(drive, reviewer1):
    claim = drive("in_review")
    act("review", claim, reviewer1)
    with pytest.raises(TransitionNotAllowed) as err:
        act("review", claim, reviewer1)
    assert err.value.rule == "one_review_per_reviewer"
    assert Review.objects.filter(claim=claim).count() == 1


def test_database_refuses_two_reviews_by_one_reviewer(drive, reviewer1):
    claim = drive("in_review")
    review = act("review", claim, reviewer1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            claim=claim, reviewer=reviewer1, rating=review.rating, rationale="again", submitted_at=review.submitted_at
        )


def test_database_refuses_a_review_without_rationale(drive, reviewer1):
    claim = drive("in_review")
    review = act("review", claim, reviewer1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(rationale="")


def test_first_review_leaves_the_claim_in_review_and_the_last_required_completes_it(drive, reviewer1, reviewer2):
    claim = drive("in_review")
    act("review", claim, reviewer1)
    assert Claim.objects.get(pk=claim.pk).status == "in_review"
    act("review", claim, reviewer2)
    claim.refresh_from_db()
    assert claim.status == "reviewed"
    assert Transition.objects.filter(claim=claim, to_status="reviewed", by=reviewer2).count() == 1


def test_reviews_required_is_a_setting(settings, drive, editor, reviewer1, reviewer2, reviewer3):
    settings.REVIEWS_REQUIRED = 3
    claim = drive("submitted")
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2, reviewer3])
    act("review", claim, reviewer1)
    act("review", claim, reviewer2)
    assert Claim.objects.get(pk=claim.pk).status == "in_review"
    act("review", claim, reviewer3)
    assert Claim.objects.get(pk=claim.pk).status == "reviewed"


def test_send_back_ends_assignments_and_reopens_reviews_for_revision(drive, editor, reviewer1, reviewer2):
    claim = drive("reviewed")
    services.claim_send_back(claim=claim, by=editor, reason="Claim text was too broad.")
    assert not Assignment.objects.active().filter(claim=claim).exists()
    assert set(Review.objects.filter(claim=claim).values_list("status", flat=True)) == {"draft"}
    assert Transition.objects.filter(claim=claim).last().note == "Claim text was too broad."
    services.claim_submit_for_review(claim=claim, by=editor)
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2])
    revised = act("review", claim, reviewer1)
    assert revised.version == 2 and revised.history.count() >= 3
    assert Review.objects.filter(claim=claim).count() == 2


def test_send_back_needs_a_reason(drive, editor):
    claim = drive("submitted")
    with pytest.raises(ValidationError) as err:
        services.claim_send_back(claim=claim, by=editor, reason="")
    assert "reason" in err.value.message_dict
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


# --- publishing, four eyes, corrections ------------------------------------------------------


def test_publish_creates_version_one_and_sets_claim_dates(drive, editor):
    claim = drive("published")
    verdict = Verdict.objects.get(claim=claim)
    claim.refresh_from_db()
    assert (verdict.version, verdict.kind, verdict.published_by) == (1, "original", editor)
    assert claim.published_at == claim.verdict_updated_at == verdict.published_at


def test_editor_who_reviewed_the_claim_cannot_publish_it(drive, editor, reviewer1):
    both = make_user("both", "Editors", "Reviewers")
    claim = drive("submitted")
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, both])
    act("review", claim, reviewer1)
    act("review", claim, both)
    with pytest.raises(TransitionNotAllowed) as err:
        act("publish", claim, both)
    assert err.value.rule == "four_eyes"
    assert not Verdict.objects.exists()
    act("publish", claim, editor)


def test_editor_once_assigned_cannot_publish_even_after_reassignment(drive, editor, reviewer1, reviewer2):
    both = make_user("both", "Editors", "Reviewers")
    claim = drive("submitted")
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, both])
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2])
    act("review", claim, reviewer1)
    act("review", claim, reviewer2)
    with pytest.raises(TransitionNotAllowed) as err:
        act("publish", claim, both)
    assert err.value.rule == "four_eyes"


def test_disagreeing_reviews_require_a_resolution(drive, editor):
    claim = drive("reviewed", first="true", second="false")
    with pytest.raises(ValidationError) as err:
        services.claim_publish(claim=claim, by=editor, rating=rating("mixed"), summary="Both.")
    assert "resolution" in err.value.message_dict
    verdict = services.claim_publish(
        claim=claim, by=editor, rating=rating("mixed"), summary="Both.", resolution="Weighed the payroll records."
    )
    assert verdict.resolution == "Weighed the payroll records."


def test_publish_validates_summary_and_rating_and_writes_nothing(drive, editor):
    claim = drive("reviewed")
    with pytest.raises(ValidationError) as err:
        services.claim_publish(claim=claim, by=editor, rating=None, summary="")
    assert set(err.value.message_dict) == {"rating", "summary"}
    claim.refresh_from_db()
    assert claim.status == "reviewed" and claim.published_at is None
    assert not Verdict.objects.exists()


def test_cited_conflicts_must_be_confirmed_and_involve_the_claim(drive, editor):
    claim = drive("reviewed")
    other, unrelated = ClaimFactory(), ClaimFactory()
    a, b = sorted([claim, other], key=lambda c: c.pk)

    def conflict(a, b, status):
        return Conflict.objects.create(
            claim_a=a, claim_b=b, field="amount", value_a="1", value_b="2", explanation="differ", status=status
        )

    confirmed = conflict(a, b, "confirmed")
    open_one = Conflict.objects.create(
        claim_a=a, claim_b=b, field="period", value_a="h", value_b="d", explanation="differ"
    )
    elsewhere = conflict(*sorted([other, unrelated], key=lambda c: c.pk), "confirmed")
    with pytest.raises(ValidationError) as err:
        services.claim_publish(
            claim=claim, by=editor, rating=rating("false"), summary="No.", cited_conflicts=[open_one, elsewhere]
        )
    assert len(err.value.message_dict["cited_conflicts"]) == 2
    verdict = services.claim_publish(
        claim=claim, by=editor, rating=rating("false"), summary="No.", cited_conflicts=[confirmed]
    )
    assert list(verdict.cited_conflicts.all()) == [confirmed]


def test_correction_is_a_new_version_and_leaves_the_old_one_untouched(drive, editor2):
    claim = drive("published")
    original = Verdict.objects.get(claim=claim)
    published_at = Claim.objects.get(pk=claim.pk).published_at
    correction = services.verdict_correct(
        claim=claim,
        by=editor2,
        rating=rating("mostly-true"),
        summary="Mostly true after all.",
        note="Pay period fixed.",
    )
    claim.refresh_from_db()
    old = Verdict.objects.get(pk=original.pk)
    assert (old.version, old.kind, old.rating.slug, old.summary) == (1, "original", "true", "It is so.")
    assert old.history.count() == 1
    assert (correction.version, correction.kind, correction.correction_note) == (2, "correction", "Pay period fixed.")
    assert claim.published_at == published_at
    assert claim.verdict_updated_at == correction.published_at > published_at
    assert list(Verdict.objects.current().filter(claim=claim)) == [correction]


def test_correction_needs_a_note(drive, editor):
    claim = drive("published")
    with pytest.raises(ValidationError) as err:
        services.verdict_correct(claim=claim, by=editor, rating=rating("true"), summary="s", note="")
    assert "note" in err.value.message_dict
    assert Verdict.objects.filter(claim=claim).count() == 1


def test_retraction_records_the_reason_and_keeps_every_version(drive, editor):
    claim = drive("published")
    services.verdict_correct(claim=claim, by=editor, rating=rating("false"), summary="False.", note="Fixed.")
    retraction = services.verdict_retract(claim=claim, by=editor, reason="The source was fabricated.")
    claim.refresh_from_db()
    assert claim.status == "retracted"
    versions = list(Verdict.objects.filter(claim=claim).values_list("version", "kind", "rating__slug"))
    assert versions == [(1, "original", "true"), (2, "correction", "false"), (3, "retraction", "false")]
    assert retraction.correction_note == "The source was fabricated."
    assert claim.verdict_updated_at == retraction.published_at


# --- history ---------------------------------------------------------------------------------


def test_history_records_the_acting_user_for_every_change(drive, editor, reviewer1, reviewer2):
    claim = drive("published")
    assert [h.history_user for h in claim.history.order_by("history_id")][-4:] == [
        editor,
        editor,
        reviewer2,
        editor,
    ]
    for assignment in Assignment.objects.filter(claim=claim):
        assert assignment.history.get().history_user == editor
    review = Review.objects.get(claim=claim, reviewer=reviewer1)
    assert review.history.get().history_user == reviewer1
    assert Verdict.objects.get(claim=claim).history.get().history_user == editor


def test_bulk_inserts_and_updates_produce_history_rows(drive, editor, reviewer1):
    claim = drive("in_review")
    review = services.review_record(
        claim=claim,
        reviewer=reviewer1,
        rating=rating("true"),
        rationale="x",
        evidence=[passage(claim), passage(claim, quote="Jane Roe", stance="context")],
    )
    evidence = list(review.evidence.all())
    assert len(evidence) == 2
    for item in evidence:
        [row] = item.history.all()
        assert (row.history_type, row.history_user) == ("+", reviewer1)
    services.claim_send_back(claim=claim, by=editor, reason="Again.")
    for assignment in Assignment.objects.filter(claim=claim):
        latest = assignment.history.order_by("-history_id").first()
        assert (latest.active, latest.history_type, latest.history_user) == (False, "~", editor)
    latest_review = review.history.order_by("-history_id").first()
    assert (latest_review.status, latest_review.history_user) == ("draft", editor)


def test_appearances_keep_history_too():
    appearance = AppearanceFactory()
    assert appearance.history.count() == 1
