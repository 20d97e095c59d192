"""Read vocabulary for structured facts and conflicts between claims."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from claims.querysets import PUBLIC_STATUSES, claim_visibility, sees_all_claims


class FactQuerySet(models.QuerySet):
    def visible_to(self, user) -> FactQuerySet:
        """The facts (wage figures, contracts, knowledge, quantities, events) of claims `user` may see."""
        return self.filter(claim_visibility(user, "claim__"))


class WageQuerySet(FactQuerySet):
    def rates(self, *, currency: str, per: str, at_least=None, at_most=None) -> WageQuerySet:
        """Wage rates in `currency` worth at least / at most the given amount per `per` (e.g. hour
        or month) once converted with the desk's assumptions (figures.period_factor), compared
        before rounding. Lump sums are not rates and never match."""
        from claims.facts.figures import period_factor
        from claims.models import Period

        # amount * numerator compared with bound * denominator: no division, so no integer
        # division on SQLite and no rounding anywhere.
        matches = models.Q()
        for period in Period.values:
            if period == Period.LUMP_SUM:
                continue
            factor = period_factor(period, per)
            scaled = models.ExpressionWrapper(
                models.F("amount") * factor.numerator, output_field=models.DecimalField(max_digits=40, decimal_places=4)
            )
            condition = models.Q(period=period)
            if at_least is not None:
                condition &= models.Q(GreaterThanOrEqual(scaled, Decimal(at_least) * factor.denominator))
            if at_most is not None:
                condition &= models.Q(LessThanOrEqual(scaled, Decimal(at_most) * factor.denominator))
            matches |= condition
        return self.filter(matches, currency=currency)


class KnowledgeQuerySet(FactQuerySet):
    def with_subject_shown(self, claims) -> KnowledgeQuerySet:
        """Annotate `subject_shown`: whether the claim known about is among `claims` (those the
        reader may see), so a fact about a hidden claim does not name it."""
        from django.db.models import Exists, OuterRef

        return self.annotate(subject_shown=Exists(claims.filter(pk=OuterRef("subject_claim_id"))))


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

    def confirmed_of(self, claim) -> ConflictQuerySet:
        """A claim's confirmed conflicts: the ones shown on it and citable by its verdicts."""
        return self.confirmed().for_claims([claim.pk])

    def between_published(self) -> ConflictQuerySet:
        """Conflicts whose two claims are both public."""
        return self.filter(claim_a__status__in=PUBLIC_STATUSES, claim_b__status__in=PUBLIC_STATUSES)

    def visible_to(self, user) -> ConflictQuerySet:
        """Editors see every conflict, open and dismissed ones included; everyone else sees the
        confirmed conflicts whose two claims they may see (for the public: both published)."""
        if sees_all_claims(user):
            return self
        return self.confirmed().filter(claim_visibility(user, "claim_a__"), claim_visibility(user, "claim_b__"))

    def with_details(self) -> ConflictQuerySet:
        """The two claims (with claimants) and the triaging user, in one query."""
        return self.select_related("claim_a__claimant", "claim_b__claimant", "triaged_by")
