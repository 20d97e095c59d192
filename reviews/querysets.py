"""Read vocabulary for the review workflow: chainable querysets and claim filters."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from claims.querysets import claim_visibility, sees_all_claims
from reviews.roles import is_editor


class AssignmentQuerySet(models.QuerySet):
    def active(self) -> AssignmentQuerySet:
        """Assignments that reassigning or sending back has not ended."""
        return self.filter(active=True)

    def of(self, user) -> AssignmentQuerySet:
        """Assignments given to `user`."""
        return self.filter(reviewer=user)

    def pending(self) -> AssignmentQuerySet:
        """Active assignments of claims in review whose reviewer has not submitted a review yet."""
        from reviews.models import Review

        done = Review.objects.submitted().filter(claim=OuterRef("claim"), reviewer=OuterRef("reviewer"))
        return self.active().filter(claim__status="in_review").filter(~Exists(done))

    def with_outstanding(self) -> AssignmentQuerySet:
        """Each assignment with `outstanding`: whether it is pending (see `pending`), in the same query."""
        from reviews.models import Review

        pending = Q(active=True, claim__status="in_review") & ~Exists(
            Review.objects.submitted().filter(claim=OuterRef("claim"), reviewer=OuterRef("reviewer"))
        )
        return self.annotate(outstanding=models.ExpressionWrapper(pending, output_field=models.BooleanField()))

    def overdue(self, now) -> AssignmentQuerySet:
        """Pending assignments whose due date has passed."""
        return self.pending().filter(due_at__lt=now)

    def visible_to(self, user) -> AssignmentQuerySet:
        """Editors see who was asked to review what; everyone else only their own assignments."""
        if sees_all_claims(user):
            return self
        if user is None or not user.is_authenticated:
            return self.none()
        return self.of(user)


class NoteQuerySet(models.QuerySet):
    def visible_to(self, user) -> NoteQuerySet:
        """Editors read every claim's notes; a reviewer those of the claims they were ever assigned,
        except other reviewers' notes before submitting their own review (the blind rule)."""
        from reviews.models import Assignment, Review

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_editor(user):
            return self.filter(claim_visibility(user, "claim__"))
        assigned = Assignment.objects.filter(reviewer=user).values("claim")
        reviewed = Review.objects.submitted().filter(reviewer=user).values("claim")
        return self.filter(claim__in=assigned).filter(Q(by_reviewer=False) | Q(author=user) | Q(claim__in=reviewed))


class NotificationQuerySet(models.QuerySet):
    def of(self, user) -> NotificationQuerySet:
        """The user's own notifications: nobody reads anyone else's."""
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class ReviewQuerySet(models.QuerySet):
    def submitted(self) -> ReviewQuerySet:
        """Reviews that count: submitted and not reopened by a send-back."""
        return self.filter(status="submitted")

    def visible_to(self, user) -> ReviewQuerySet:
        """The blind-review rule: a user sees other reviewers' reviews of a claim only after
        submitting their own; editors see every review of claims they are not reviewing."""
        from reviews.models import Assignment, Review

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        own = Q(reviewer=user)
        after_own = Q(claim__in=Review.objects.filter(reviewer=user, status="submitted").values("claim"))
        if not is_editor(user):
            return self.filter(own | after_own)
        # An editor who is also an assigned reviewer is as blind as any other reviewer.
        reviewing = Assignment.objects.active().of(user).values("claim")
        return self.filter(own | after_own | ~Q(claim__in=reviewing))

    def with_details(self) -> ReviewQuerySet:
        """A review with its claim, reviewer, rating and evidence, in a fixed number of queries."""
        return self.select_related("claim", "reviewer", "rating").prefetch_related("evidence__document")


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user) -> EvidenceQuerySet:
        """Evidence of the reviews `user` may see (the blind-review rule of ReviewQuerySet.visible_to)."""
        from reviews.models import Review

        return self.filter(review__in=Review.objects.visible_to(user).values("pk"))


class TransitionQuerySet(models.QuerySet):
    def visible_to(self, user) -> TransitionQuerySet:
        """The transition log of the claims `user` may see."""
        return self.filter(claim_visibility(user, "claim__"))


class VerdictQuerySet(models.QuerySet):
    def visible_to(self, user) -> VerdictQuerySet:
        """Verdict versions of the claims `user` may see."""
        return self.filter(claim_visibility(user, "claim__"))

    def as_of(self, moment) -> VerdictQuerySet:
        """Versions published up to `moment`."""
        return self.filter(published_at__lte=moment)

    def overdue(self, today) -> VerdictQuerySet:
        """Current verdicts of published claims whose re-check date has passed."""
        return self.current().filter(claim__status="published", recheck_by__lt=today)

    def current(self) -> VerdictQuerySet:
        """The latest version of each claim's verdict."""
        from reviews.models import Verdict

        later = Verdict.objects.filter(claim=OuterRef("claim"), version__gt=OuterRef("version"))
        return self.filter(~Exists(later))

    def current_of(self, claim):
        """The claim's current verdict (its latest version), or None before publication."""
        return self.filter(claim=claim).current().first()


class RecheckQuerySet(models.QuerySet):
    def visible_to(self, user) -> RecheckQuerySet:
        """Re-checks of the claims `user` may see."""
        return self.filter(claim_visibility(user, "claim__"))

    def open(self) -> RecheckQuerySet:
        """Re-checks nobody has closed yet: the queue."""
        return self.filter(closed_at__isnull=True)

    def queue(self) -> RecheckQuerySet:
        """The open re-checks with what the queue shows, oldest first."""
        return (
            self.open()
            .select_related("claim", "appearance", "evidence", "old_document", "new_document")
            .order_by("opened_at", "id")
        )


def reviewers_disagree() -> Exists:
    """An expression true for claims whose submitted reviews carry different ratings."""
    from reviews.models import Review

    other_rating = Review.objects.filter(claim=OuterRef("claim"), status="submitted").exclude(rating=OuterRef("rating"))
    return Exists(Review.objects.filter(claim=OuterRef("pk"), status="submitted").filter(Exists(other_rating)))


def claims_with_disagreement(claims: models.QuerySet) -> models.QuerySet:
    """The claims among `claims` whose reviewers disagree (different ratings)."""
    return claims.filter(reviewers_disagree())


def claim_reviewers_disagree(claim) -> bool:
    """Whether the submitted reviews of `claim` carry different ratings."""
    return claims_with_disagreement(type(claim).objects.filter(pk=claim.pk)).exists()


def claims_in_queue_of(user, claims: models.QuerySet) -> models.QuerySet:
    """Claims in review that `user` is assigned to and has not yet submitted a review of."""
    from reviews.models import Assignment, Review

    assigned = Assignment.objects.active().of(user).values("claim")
    done = Review.objects.submitted().filter(reviewer=user).values("claim")
    return claims.filter(status="in_review", pk__in=assigned).exclude(pk__in=done)


def claims_assigned_to(user, claims: models.QuerySet) -> models.QuerySet:
    """Claims `user` has ever been asked to review."""
    from reviews.models import Assignment

    return claims.filter(pk__in=Assignment.objects.of(user).values("claim"))


class ExternalReviewQuerySet(models.QuerySet):
    def with_normalised_rating(self) -> ExternalReviewQuerySet:
        """Each review's rating on our scale through the mapping table (`normalised_rating_id`,
        `_slug`, `_label`, `_colour`): a row naming the publisher wins
        over a row for any publisher; null when no row maps the text."""
        from reviews.models import RatingMapping

        rows = (
            RatingMapping.objects.filter(text_key=OuterRef("rating_key"))
            .filter(Q(publisher_key=OuterRef("publisher_key")) | Q(publisher_key=""))
            .order_by("-publisher_key")
        )
        return self.annotate(
            normalised_rating_id=models.Subquery(rows.values("rating_id")[:1]),
            normalised_rating_slug=models.Subquery(rows.values("rating__slug")[:1]),
            normalised_rating_label=models.Subquery(rows.values("rating__label")[:1]),
            normalised_rating_colour=models.Subquery(rows.values("rating__colour")[:1]),
        )

    def matched_to(self, claim_id: int) -> ExternalReviewQuerySet:
        """Reviews the matcher found closest to the claim, best match first."""
        return self.filter(claim_id=claim_id).order_by("-match_score", "-date_published", "id")
