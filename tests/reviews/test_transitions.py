"""The admin's buttons and the services read one transitions table: they must agree for every
state, action and role."""

import dataclasses

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory

from claims.errors import NotPermitted, TransitionNotAllowed
from claims.models import Claim
from reviews import services
from reviews.admin import WORKFLOW_ACTIONS
from reviews.models import Assignment
from reviews.transitions import TRANSITIONS
from tests.factories import make_user, rating
from tests.reviews.conftest import passage

pytestmark = pytest.mark.django_db

STATES = ["draft", "submitted", "in_review", "reviewed", "published", "retracted"]


class _Rollback(Exception):
    pass


def _call(action: str, claim: Claim, user, reviewers) -> None:
    true = rating("true")
    calls = {
        "submit": lambda: services.claim_submit_for_review(claim=claim, by=user),
        "assign": lambda: services.claim_assign_reviewers(claim=claim, by=user, reviewers=reviewers),
        "review": lambda: services.review_record(
            claim=claim, reviewer=user, rating=true, rationale="Checked.", evidence=[passage(claim)]
        ),
        "send_back": lambda: services.claim_send_back(claim=claim, by=user, reason="Reword."),
        "publish": lambda: services.claim_publish(claim=claim, by=user, rating=true, summary="S.", resolution="R."),
        "correct": lambda: services.verdict_correct(claim=claim, by=user, rating=true, summary="S.", note="N."),
        "retract": lambda: services.verdict_retract(claim=claim, by=user, reason="Withdrawn."),
    }
    calls[action]()


def service_accepts(action: str, claim: Claim, user, reviewers) -> bool:
    """Whether the service takes the step (with valid input); nothing it writes is kept."""
    try:
        with transaction.atomic():
            _call(action, Claim.objects.get(pk=claim.pk), user, reviewers)
            raise _Rollback
    except _Rollback:
        return True
    except (NotPermitted, TransitionNotAllowed):
        return False


def admin_buttons(claim: Claim, user) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    return [action["name"] for action in admin.site._registry[Claim].workflow_actions(request, claim)]


def test_every_action_of_the_table_has_a_button():
    assert set(TRANSITIONS) == set(WORKFLOW_ACTIONS) | {"review"}


@pytest.mark.parametrize("state", STATES)
def test_buttons_show_exactly_the_steps_the_services_accept(state, drive, editor, reviewer1, reviewer2):
    claim = drive(state)
    # An editor who was once assigned to the claim: four eyes bars publishing and correcting.
    involved = make_user("involved", "Editors", "Reviewers")
    Assignment.objects.create(claim=claim, reviewer=involved, assigned_by=editor, active=False)
    roles = {
        "editor": editor,
        "involved editor": involved,
        "superuser": make_user("root", superuser=True),
        "assigned reviewer": reviewer1,
        "unassigned reviewer": make_user("reviewer3", "Reviewers"),
        "no role": make_user("nobody", staff=False),
    }
    for role, user in roles.items():
        accepted = [a for a in TRANSITIONS if service_accepts(a, claim, user, [reviewer1, reviewer2])]
        assert services.allowed_actions(claim=claim, user=user) == accepted, role
        assert sorted(admin_buttons(claim, user)) == sorted(accepted), role


def test_changing_the_table_changes_service_and_buttons_alike(drive, editor, monkeypatch):
    claim = drive("reviewed")
    involved = make_user("involved", "Editors", "Reviewers")
    Assignment.objects.create(claim=claim, reviewer=involved, assigned_by=editor, active=False)
    assert not service_accepts("publish", claim, involved, [])
    assert "publish" not in services.allowed_actions(claim=claim, user=involved)

    monkeypatch.setitem(TRANSITIONS, "publish", dataclasses.replace(TRANSITIONS["publish"], guards=()))
    assert service_accepts("publish", claim, involved, [])
    assert "publish" in services.allowed_actions(claim=claim, user=involved)
