"""API test helpers: users in each role and claims brought to each state through the services."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from reviews import services
from reviews.services import EvidenceInput
from tests.factories import AppearanceFactory, make_user, rating


@pytest.fixture
def admin_user(db):
    return make_user("boss", superuser=True)


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def drive(editor, reviewer1, reviewer2):
    """drive(state, rating=..., **factory kwargs) -> a claim brought to `state` by the services."""

    def _drive(state: str = "draft", rating_slug: str = "true", claim=None, **claim_kwargs):
        claim = claim or AppearanceFactory(**{f"claim__{k}": v for k, v in claim_kwargs.items()}).claim
        if state == "draft":
            return claim
        services.claim_submit_for_review(claim=claim, by=editor)
        if state == "submitted":
            return claim
        services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2])
        if state == "in_review":
            return claim
        appearance = claim.appearances.first()
        for reviewer in (reviewer1, reviewer2):
            evidence = EvidenceInput(
                stance="supports", document=appearance.document, start=appearance.start, end=appearance.end
            )
            services.review_record(
                claim=claim, reviewer=reviewer, rating=rating(rating_slug), rationale="Checked.", evidence=[evidence]
            )
        if state == "reviewed":
            return claim
        services.claim_publish(claim=claim, by=editor, rating=rating(rating_slug), summary="The public summary.")
        if state == "published":
            return claim
        if state == "corrected":
            services.verdict_correct(
                claim=claim, by=editor, rating=rating("mostly-true"), summary="Corrected summary.", note="Fixed a date."
            )
            return claim
        services.verdict_retract(claim=claim, by=editor, reason="Source withdrawn.")
        assert state == "retracted"
        return claim

    return _drive
