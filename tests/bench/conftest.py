"""Helpers for the benchmark's tests: a claim taken to published through the workflow services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from reviews import services
from reviews.models import Rating
from reviews.services import EvidenceInput
from tests.factories import AppearanceFactory, UserFactory


@pytest.fixture
def bench_urls(settings):
    """The tracker's URLs plus the baseline views (bench/urls.py)."""
    settings.ROOT_URLCONF = "bench.urls"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher would dominate the run time of tests that make users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username: str, group: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    return _user("bench-test-editor", "Editors")


@pytest.fixture
def publish(editor):
    """publish(rating_slug) -> a new claim reviewed twice and published by the services."""
    reviewers = [_user("bench-test-reviewer-1", "Reviewers"), _user("bench-test-reviewer-2", "Reviewers")]

    def _publish(rating_slug: str = "true"):
        claim = AppearanceFactory().claim
        services.claim_submit_for_review(claim=claim, by=editor)
        services.claim_assign_reviewers(claim=claim, by=editor, reviewers=reviewers)
        appearance = claim.appearances.get()
        rating = Rating.objects.get(slug=rating_slug)
        for reviewer in reviewers:
            evidence = EvidenceInput(
                stance="supports", document=appearance.document, start=appearance.start, end=appearance.end
            )
            services.review_record(
                claim=claim, reviewer=reviewer, rating=rating, rationale="Checked.", evidence=[evidence]
            )
        services.claim_publish(claim=claim, by=editor, rating=rating, summary="It is so.")
        claim.refresh_from_db()
        return claim

    return _publish
