"""Read vocabulary for claims and documents: chainable querysets."""

from __future__ import annotations

from django.db import models
from django.db.models import Prefetch


class EntityQuerySet(models.QuerySet):
    pass


class DocumentQuerySet(models.QuerySet):
    def latest_versions(self) -> DocumentQuerySet:
        """Documents that have not been superseded by a newer import of the same file."""
        return self.filter(next_version__isnull=True)


class AppearanceQuerySet(models.QuerySet):
    def with_document(self) -> AppearanceQuerySet:
        return self.select_related("document")


class ClaimQuerySet(models.QuerySet):
    def published(self) -> ClaimQuerySet:
        """Claims whose verdict is public (retracted ones stay public, marked as retracted)."""
        return self.filter(status__in=["published", "retracted"])

    def visible_to(self, user) -> ClaimQuerySet:
        """Staff see every claim; everyone else sees published ones only."""
        if user is not None and user.is_authenticated and user.is_staff:
            return self
        return self.published()

    def with_details(self) -> ClaimQuerySet:
        """Everything a claim's read representation needs, in a fixed number of queries."""
        from claims.models import Appearance

        return self.select_related("claimant").prefetch_related(
            "entities",
            Prefetch(
                "appearances", queryset=Appearance.objects.select_related("document").order_by("document_id", "start")
            ),
        )


class ConflictQuerySet(models.QuerySet):
    def open(self) -> ConflictQuerySet:
        """Conflicts nobody has triaged yet."""
        return self.filter(status="open")

    def confirmed(self) -> ConflictQuerySet:
        """Conflicts an editor confirmed: the ones shown on claims and citable by verdicts."""
        return self.filter(status="confirmed")

    def for_claims(self, ids) -> ConflictQuerySet:
        """Conflicts in which any of the given claim ids takes part, on either side."""
        ids = list(ids)
        return self.filter(models.Q(claim_a_id__in=ids) | models.Q(claim_b_id__in=ids))

    def between_published(self) -> ConflictQuerySet:
        """Conflicts whose two claims are both public."""
        public = ["published", "retracted"]
        return self.filter(claim_a__status__in=public, claim_b__status__in=public)

    def visible_to(self, user) -> ConflictQuerySet:
        """Staff see every conflict; everyone else only confirmed ones between published claims."""
        if user is not None and user.is_authenticated and user.is_staff:
            return self
        return self.confirmed().between_published()

    def with_details(self) -> ConflictQuerySet:
        """The two claims (with claimants) and the triaging user, in one query."""
        return self.select_related("claim_a__claimant", "claim_b__claimant", "triaged_by")
