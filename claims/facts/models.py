"""Structured facts of claims (wage figures, contracts, knowledge, quantities, events) and the
conflicts the detector finds between claims. App label `claims`: these live in a subpackage for
order, not as an app of their own, so moving them here needed no migration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from claims.facts.querysets import ConflictQuerySet, FactQuerySet, KnowledgeQuerySet, WageQuerySet
from claims.models import Claim, Entity


class Conflict(models.Model):
    """Two claims that disagree on one field, found by the detector and triaged by an editor.

    The pair is stored in canonical order (claim_a.id < claim_b.id) so it is found once.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"

    claim_a = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="conflicts_as_a")
    claim_b = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="conflicts_as_b")
    field = models.CharField(max_length=40, help_text="The structured field on which the claims differ.")
    value_a = models.CharField(max_length=300)
    value_b = models.CharField(max_length=300)
    explanation = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    triage_note = models.TextField(blank=True, help_text="Why it was dismissed, or what confirmed it.")
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)

    objects = ConflictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim_a_id", "claim_b_id", "field"]
        constraints = [
            models.UniqueConstraint(fields=["claim_a", "claim_b", "field"], name="conflict_unique_pair_field"),
            models.CheckConstraint(condition=Q(claim_a__lt=models.F("claim_b")), name="conflict_pair_canonical_order"),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(triage_note=""), name="conflict_dismissal_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Claims {self.claim_a_id} and {self.claim_b_id} differ on {self.field}"


# --- Structured facts -----------------------------------------------------------------
# Each checkable claim of kind wage, contract, knowledge, quantity or event can carry one
# structure, so the detector in claims/conflicts.py can compare claims across documents.
# Writes go through claims/facts.py; the constraints below hold even if they do not.

# Largest amount or quantity the desk accepts: far above any figure in the articles
# ($55.9 billion), low enough that a slipped keystroke is refused rather than stored.
FACT_AMOUNT_LIMIT = 10**12


class Currency(models.TextChoices):
    """ISO 4217 codes the desk has needed so far; add one here (and a migration) when a story needs it."""

    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
    CAD = "CAD", "Canadian dollar"
    AUD = "AUD", "Australian dollar"
    MXN = "MXN", "Mexican peso"
    JPY = "JPY", "Japanese yen"
    CHF = "CHF", "Swiss franc"
    INR = "INR", "Indian rupee"
    CNY = "CNY", "Chinese yuan"


class Period(models.TextChoices):
    HOUR = "hour", "per hour"
    DAY = "day", "per day"
    WEEK = "week", "per week"
    MONTH = "month", "per month"
    YEAR = "year", "per year"
    LUMP_SUM = "lump_sum", "lump sum"


class Qualifier(models.TextChoices):
    EXACTLY = "exactly", "exactly"
    AT_MOST = "at_most", "at most"
    AT_LEAST = "at_least", "at least"
    ABOUT = "about", "about"
    UP_TO = "up_to", "up to"


def _dates_in_order(instance, start_field: str, end_field: str) -> dict[str, str]:
    start, end = getattr(instance, start_field), getattr(instance, end_field)
    if isinstance(start, date) and isinstance(end, date) and start > end:
        return {end_field: f"{end_field.replace('_', ' ').capitalize()} ({end}) is before {start_field} ({start})."}
    return {}


class WageFigure(models.Model):
    """A pay figure as a number: how much, in what currency, per what period, who pays whom."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="wage")
    amount = models.DecimalField(max_digits=15, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    period = models.CharField(max_length=10, choices=Period.choices)
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, default=Qualifier.EXACTLY)
    payer = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="wages_paid")
    payee = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="wages_received")
    stated_by = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(
        max_length=120,
        blank=True,
        help_text="Short text shared by every claim about the same pay, e.g. 'inmate pay for call-center work'.",
    )
    refers_from = models.DateField(null=True, blank=True)
    refers_to = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    objects = WageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lt=FACT_AMOUNT_LIMIT), name="wage_amount_in_range"
            ),
            models.CheckConstraint(condition=Q(currency__in=Currency.values), name="wage_currency_known"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name="wage_period_known"),
            models.CheckConstraint(condition=Q(qualifier__in=Qualifier.values), name="wage_qualifier_known"),
            models.CheckConstraint(
                condition=Q(refers_from__isnull=True)
                | Q(refers_to__isnull=True)
                | Q(refers_from__lte=models.F("refers_to")),
                name="wage_refers_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_qualifier_display()} {self.amount} {self.currency} {self.get_period_display()}"

    def clean(self) -> None:
        errors = _dates_in_order(self, "refers_from", "refers_to")
        # clean() runs even when clean_fields() rejected the value, so check the type first.
        if isinstance(self.amount, Decimal) and self.amount >= FACT_AMOUNT_LIMIT:
            errors["amount"] = f"{self.amount} is implausibly large; amounts must be below {FACT_AMOUNT_LIMIT:,}."
        if isinstance(self.amount, Decimal) and self.amount < 0:
            errors["amount"] = "An amount cannot be negative."
        if errors:
            raise ValidationError(errors)


class ContractRole(models.TextChoices):
    CLIENT = "client", "client"
    VENDOR = "vendor", "vendor"
    SUBCONTRACTOR = "subcontractor", "subcontractor"
    OPERATOR = "operator", "operator"
    EMPLOYER = "employer", "employer"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "active"
    ENDED = "ended", "ended"
    UNKNOWN = "unknown", "unknown"


class ContractRelation(models.Model):
    """Who engaged whom, in what role, whether it is still active, and since/until when."""

    Role = ContractRole
    Status = ContractStatus

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="contract")
    engager = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="engagements_made")
    engaged = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="engagements_received")
    role = models.CharField(
        max_length=20, choices=Role.choices, help_text="The role of the engaged party towards the engager."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    stated_by = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    objects = FactQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(engager=models.F("engaged")), name="contract_not_with_itself"),
            models.CheckConstraint(condition=Q(role__in=ContractRole.values), name="contract_role_known"),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values), name="contract_status_known"),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__isnull=True) | Q(since__lte=models.F("until")),
                name="contract_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engager} engaged {self.engaged} ({self.role}, {self.status})"

    def clean(self) -> None:
        errors = _dates_in_order(self, "since", "until")
        if self.engager_id is not None and self.engager_id == self.engaged_id:
            errors["engaged"] = "An entity cannot have a contract relationship with itself."
        if errors:
            raise ValidationError(errors)


class KnowledgePolarity(models.TextChoices):
    KNEW = "knew", "knew"
    DID_NOT_KNOW = "did_not_know", "did not know"
    LEARNED = "learned", "learned"


class KnowledgeFact(models.Model):
    """What an actor knew, did not know, or learned, about what, and when."""

    Polarity = KnowledgePolarity

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="knowledge")
    actor = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="knowledge_facts")
    subject_claim = models.ForeignKey(
        Claim,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="knowledge_about",
        help_text="The claim (fact) the knowledge is about, when the desk has it as a claim.",
    )
    subject_text = models.CharField(max_length=300, blank=True)
    polarity = models.CharField(max_length=20, choices=Polarity.choices)
    known_on = models.DateField(null=True, blank=True)
    when_event = models.CharField(
        max_length=300, blank=True, help_text="When, as an event: e.g. 'after a reporter's inquiry'."
    )
    stated_by = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    objects = KnowledgeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(polarity__in=KnowledgePolarity.values), name="knowledge_polarity_known"),
            models.CheckConstraint(
                condition=Q(subject_claim__isnull=False) | ~Q(subject_text=""), name="knowledge_has_subject"
            ),
            models.CheckConstraint(condition=~Q(subject_claim=models.F("claim")), name="knowledge_not_about_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_polarity_display()} {self.subject}"

    @property
    def subject(self) -> str:
        """What was known; a linked claim the reader may not see (see KnowledgeQuerySet.with_subject_shown)
        is not named."""
        if self.subject_text:
            return self.subject_text
        return str(self.subject_claim) if getattr(self, "subject_shown", True) else "a claim not yet published"

    def clean(self) -> None:
        errors = {}
        if self.subject_claim_id is None and not self.subject_text:
            errors["subject_text"] = "Say what the knowledge is about: link the claim or describe it."
        if self.subject_claim_id is not None and self.subject_claim_id == self.claim_id:
            errors["subject_claim"] = "A knowledge claim cannot be about itself."
        if errors:
            raise ValidationError(errors)


class QuantityFact(models.Model):
    """A count or quantity: e.g. 'at least 2 call centers'."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="quantity")
    measure = models.CharField(max_length=120, help_text="Shared by every claim counting the same thing.")
    value = models.DecimalField(max_digits=18, decimal_places=4)
    unit = models.CharField(max_length=40, blank=True)
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, default=Qualifier.EXACTLY)

    history = HistoricalRecords()

    objects = FactQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(measure=""), name="quantity_measure_not_empty"),
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(value__lt=FACT_AMOUNT_LIMIT), name="quantity_value_in_range"
            ),
            models.CheckConstraint(condition=Q(qualifier__in=Qualifier.values), name="quantity_qualifier_known"),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {self.get_qualifier_display()} {self.value.normalize()} {self.unit}".strip()

    def clean(self) -> None:
        if isinstance(self.value, Decimal) and not (0 <= self.value < FACT_AMOUNT_LIMIT):
            raise ValidationError({"value": f"A quantity must be between 0 and {FACT_AMOUNT_LIMIT:,}."})


class EventFact(models.Model):
    """Who did what to whom, and when."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="event")
    actor = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="events_done")
    action = models.CharField(max_length=120, help_text="A short verb phrase shared by accounts of the same event.")
    recipient = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="events_received"
    )
    object = models.CharField(max_length=300, blank=True)
    occurred_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    objects = FactQuerySet.as_manager()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(action=""), name="event_action_not_empty")]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.recipient or ''} {self.object}".strip()
