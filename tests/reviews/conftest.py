"""Users in each role and claims driven to each state, through the services themselves."""

import pytest

from reviews import services
from reviews.services import EvidenceInput
from tests.factories import AppearanceFactory, make_user, rating


@pytest.fixture
def editor2(db):
    return make_user("editor2", "Editors")


@pytest.fixture
def reviewer3(db):
    return make_user("reviewer3", "Reviewers")


@pytest.fixture
def nobody(db):
    """A logged-in user without any group: the anonymous-equivalent role."""
    return make_user("nobody", staff=False)


def passage(claim, quote: str = "$7.25 an hour", stance: str = "supports") -> EvidenceInput:
    appearance = claim.appearances.first()
    return EvidenceInput(stance=stance, document=appearance.document, quote=quote)


@pytest.fixture
def drive(editor, reviewer1, reviewer2):
    """drive(state, **ratings) -> a claim brought to `state` by the services."""

    def _drive(state: str = "draft", first: str = "true", second: str = "true"):
        claim = AppearanceFactory().claim
        if state == "draft":
            return claim
        services.claim_submit_for_review(claim=claim, by=editor)
        if state == "submitted":
            return claim
        services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2])
        if state == "in_review":
            return claim
        for reviewer, slug in ((reviewer1, first), (reviewer2, second)):
            services.review_record(
                claim=claim, reviewer=reviewer, rating=rating(slug), rationale="Checked.", evidence=[passage(claim)]
            )
        if state == "reviewed":
            return claim
        resolution = "" if first == second else "Editor sided with the documents."
        services.claim_publish(claim=claim, by=editor, rating=rating(first), summary="It is so.", resolution=resolution)
        if state == "published":
            return claim
        services.verdict_retract(claim=claim, by=editor, reason="Source withdrawn.")
        assert state == "retracted"
        return claim

    return _drive
