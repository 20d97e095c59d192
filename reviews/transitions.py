"""The workflow's transitions, in one table: the statuses each action starts from, the status it
leads to, the permission it needs and the rules that guard it.

The services enforce a step with `require_permission` and `require_state`; the admin's buttons
come from `allowed`, which runs the very same checks, so a button is shown exactly when the
service would accept (the input aside).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from claims.errors import NotPermitted, TransitionNotAllowed
from claims.models import Claim
from reviews.models import Assignment, Review

Status = Claim.Status


def four_eyes(claim: Claim, user) -> None:
    """An editor who reviewed or was ever assigned to the claim may not publish or correct its verdict."""
    involved = (
        Review.objects.filter(claim=claim, reviewer=user).exists()
        or Assignment.objects.filter(claim=claim, reviewer=user).exists()
    )
    if involved:
        raise TransitionNotAllowed(
            "four_eyes", "Four eyes: an editor who reviewed or was assigned to this claim may not publish its verdict."
        )


def assigned_reviewer(claim: Claim, user) -> None:
    """Only a reviewer currently assigned to the claim may review it, once."""
    if not Assignment.objects.active().filter(claim=claim, reviewer=user).exists():
        raise NotPermitted("reviewer_not_assigned", "Only a reviewer assigned to this claim may review it.")
    if Review.objects.submitted().filter(claim=claim, reviewer=user).exists():
        raise TransitionNotAllowed(
            "one_review_per_reviewer", "You have already submitted your review of this claim; one review each."
        )


def anchored(claim: Claim, user) -> None:
    """A claim goes to review only with a source: at least one appearance."""
    if not claim.appearances.exists():
        raise TransitionNotAllowed(
            "submit_requires_appearance",
            "Cannot submit for review: anchor the claim to at least one quote in a source document first.",
        )


@dataclass(frozen=True)
class Step:
    """One workflow action: where it starts, where it leads, who may take it and what else guards it."""

    name: str
    sources: tuple[str, ...]
    target: str
    permission: str
    permission_rule: str
    state_rule: str
    # Completes "You do not have permission to ..." and "Cannot ...: the claim is ...".
    permitted_to: str
    doing: str
    guards: tuple[Callable[[Claim, object], None], ...] = ()


TRANSITIONS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "submit",
            (Status.DRAFT,),
            Status.SUBMITTED,
            "reviews.submit_claim",
            "submit_permission",
            "submit_requires_draft",
            "submit claims for review",
            "submit for review",
            guards=(anchored,),
        ),
        Step(
            "assign",
            (Status.SUBMITTED, Status.IN_REVIEW),
            Status.IN_REVIEW,
            "reviews.assign_reviewers",
            "assign_permission",
            "assign_requires_submitted",
            "assign reviewers",
            "assign reviewers",
        ),
        # The claim moves on to reviewed when the last required review is in.
        Step(
            "review",
            (Status.IN_REVIEW,),
            Status.REVIEWED,
            "reviews.add_review",
            "review_permission",
            "review_requires_in_review",
            "review claims",
            "record a review",
            guards=(assigned_reviewer,),
        ),
        Step(
            "send_back",
            (Status.SUBMITTED, Status.IN_REVIEW, Status.REVIEWED),
            Status.DRAFT,
            "reviews.send_back_claim",
            "send_back_permission",
            "send_back_requires_unpublished",
            "send claims back",
            "send back",
        ),
        Step(
            "publish",
            (Status.REVIEWED,),
            Status.PUBLISHED,
            "reviews.publish_verdict",
            "publish_permission",
            "publish_requires_reviewed",
            "publish verdicts",
            "publish",
            guards=(four_eyes,),
        ),
        Step(
            "correct",
            (Status.PUBLISHED,),
            Status.PUBLISHED,
            "reviews.correct_verdict",
            "correct_permission",
            "correct_requires_published",
            "correct verdicts",
            "correct the verdict",
            guards=(four_eyes,),
        ),
        Step(
            "retract",
            (Status.PUBLISHED,),
            Status.RETRACTED,
            "reviews.retract_verdict",
            "retract_permission",
            "retract_requires_published",
            "retract verdicts",
            "retract the verdict",
        ),
    )
}


def require_permission(step: Step, user) -> None:
    """NotPermitted unless `user` holds the step's permission."""
    if user is None or not user.is_authenticated or not user.has_perm(step.permission):
        raise NotPermitted(step.permission_rule, f"You do not have permission to {step.permitted_to}.")


def require_state(step: Step, claim: Claim, user) -> None:
    """TransitionNotAllowed (or NotPermitted) unless the step may start from the claim's state
    and its guards (four eyes, assignment) let `user` take it."""
    if claim.status not in step.sources:
        names = " or ".join(str(Status(s).label).lower() for s in step.sources)
        raise TransitionNotAllowed(
            step.state_rule,
            f"Cannot {step.doing}: the claim is {claim.get_status_display().lower()}, and must be {names}.",
        )
    for guard in step.guards:
        guard(claim, user)


def allowed(*, claim: Claim, user) -> list[str]:
    """The actions `user` may take on `claim` now: exactly those the services' checks accept."""
    names = []
    for step in TRANSITIONS.values():
        try:
            require_permission(step, user)
            require_state(step, claim, user)
        except (NotPermitted, TransitionNotAllowed):
            continue
        names.append(step.name)
    return names
