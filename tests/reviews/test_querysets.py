import pytest
from django.contrib.auth.models import AnonymousUser

from claims.models import Claim
from reviews import services
from reviews.models import Review, Verdict
from reviews.querysets import (
    claim_reviewers_disagree,
    claims_assigned_to,
    claims_in_queue_of,
    claims_with_disagreement,
)
from tests.factories import make_user, rating
from tests.reviews.conftest import passage

pytestmark = pytest.mark.django_db


def record(claim, reviewer, slug="true"):
    return services.review_record(
        claim=claim, reviewer=reviewer, rating=rating(slug), rationale="r", evidence=[passage(claim)]
    )


def visible(user, claim) -> set[str]:
    return set(Review.objects.visible_to(user).filter(claim=claim).values_list("reviewer__username", flat=True))


def test_a_reviewer_sees_only_their_own_review_until_they_submit(drive, reviewer1, reviewer2):
    claim = drive("in_review")
    record(claim, reviewer1)
    assert visible(reviewer2, claim) == set()
    assert visible(reviewer1, claim) == {"reviewer1"}
    record(claim, reviewer2)
    assert visible(reviewer2, claim) == {"reviewer1", "reviewer2"}


def test_editors_see_all_reviews_unless_they_review_the_claim_themselves(drive, editor, reviewer1):
    both = make_user("both", "Editors", "Reviewers")
    watched = drive("in_review")
    record(watched, reviewer1)
    assert visible(editor, watched) == {"reviewer1"}
    reviewing = drive("submitted")
    services.claim_assign_reviewers(claim=reviewing, by=editor, reviewers=[reviewer1, both])
    record(reviewing, reviewer1)
    assert visible(both, reviewing) == set()
    assert visible(both, watched) == {"reviewer1"}


def test_anonymous_and_groupless_users_see_no_reviews(drive, nobody):
    claim = drive("reviewed")
    assert visible(AnonymousUser(), claim) == set()
    assert visible(nobody, claim) == set()


def test_reopened_reviews_are_blind_again(drive, editor, reviewer1, reviewer2):
    claim = drive("reviewed")
    services.claim_send_back(claim=claim, by=editor, reason="Reword.")
    assert visible(reviewer2, claim) == {"reviewer2"}


def test_queue_lists_claims_awaiting_the_reviewers_review(drive, reviewer1, reviewer2):
    waiting, done_by_one = drive("in_review"), drive("in_review")
    drive("reviewed")
    record(done_by_one, reviewer1)
    assert set(claims_in_queue_of(reviewer1, Claim.objects.all())) == {waiting}
    assert set(claims_in_queue_of(reviewer2, Claim.objects.all())) == {waiting, done_by_one}
    assert claims_assigned_to(reviewer1, Claim.objects.all()).count() == 3


def test_disagreement_means_different_ratings_among_submitted_reviews(drive):
    split = drive("reviewed", first="true", second="unproven")
    drive("reviewed", first="false", second="false")
    assert list(claims_with_disagreement(Claim.objects.all())) == [split]


def test_current_verdict_is_the_latest_version(drive, editor):
    claim = drive("published")
    services.verdict_correct(claim=claim, by=editor, rating=rating("false"), summary="F.", note="n")
    assert list(Verdict.objects.current().values_list("claim_id", "version")) == [(claim.pk, 2)]


def test_current_of_is_the_claims_latest_verdict_or_none(drive, editor):
    claim, unpublished = drive("published"), drive("reviewed")
    assert Verdict.objects.current_of(unpublished) is None
    services.verdict_correct(claim=claim, by=editor, rating=rating("false"), summary="F.", note="n")
    assert Verdict.objects.current_of(claim).version == 2


def test_claim_reviewers_disagree_agrees_with_the_disagreement_filter(drive):
    split, agreed = drive("reviewed", first="true", second="unproven"), drive("reviewed")
    assert claim_reviewers_disagree(split) and not claim_reviewers_disagree(agreed)
