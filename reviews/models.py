"""Ratings, independent reviews with evidence, verdict versions and the transition log."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from claims import anchoring
from claims.models import AnchorCheck, Claim, SourceDocument
from reviews.querysets import (
    AssignmentQuerySet,
    EvidenceQuerySet,
    ExternalReviewQuerySet,
    NoteQuerySet,
    NotificationQuerySet,
    RecheckQuerySet,
    ReviewQuerySet,
    TransitionQuerySet,
    VerdictQuerySet,
)

# Rating badges are white text on the rating's colour; WCAG AA asks 4.5:1 for normal text.
MIN_CONTRAST = 4.5
DEFAULT_RATING_COLOUR = "#5f6368"


def contrast_with_white(colour: str) -> float:
    """The WCAG 2 contrast ratio of white text on `colour` (#rrggbb)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)


class Rating(models.Model):
    """One step of the rating scale. `value` places it on the truth scale (higher is truer);
    ratings off the scale (e.g. "Unproven") have no value."""

    label = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=300, blank=True)
    value = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Position in pickers, lowest first.")
    colour = models.CharField(
        max_length=7,
        default=DEFAULT_RATING_COLOUR,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #rrggbb.")],
        help_text="The badge colour on the public site, as #rrggbb. White text is written on it, so it "
        f"must be dark enough for a contrast of at least {MIN_CONTRAST}:1 (WCAG AA).",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            # schema.org wants worstRating >= 1.
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=1), name="rating_value_at_least_one"),
            models.CheckConstraint(condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="rating_colour_hex"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if re.fullmatch(r"#[0-9a-fA-F]{6}", self.colour or "") and contrast_with_white(self.colour) < MIN_CONTRAST:
            raise ValidationError(
                {
                    "colour": f"White text on {self.colour} has a contrast of {contrast_with_white(self.colour):.1f}:1; "
                    f"pick a darker colour (at least {MIN_CONTRAST}:1)."
                }
            )


class Assignment(models.Model):
    """A reviewer asked to review a claim. Reassigning deactivates the old row; none is deleted."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    # When the review is due: ASSIGNMENT_DUE_DAYS after assigning unless the editor picks a date.
    due_at = models.DateTimeField(null=True, blank=True)
    # Set when the reviewer and the assigning editor were told it is overdue (once).
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)

    objects = AssignmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["assigned_at", "id"]
        # Who may be assigned: the Reviewers group holds it (migration 0007); code checks it, not the group.
        permissions = [("review_claims", "Can be assigned claims to review")]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "reviewer"], condition=Q(active=True), name="assignment_one_active_per_reviewer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on claim {self.claim_id}"


class Review(models.Model):
    """A reviewer's independent rating of a claim, with a rationale and evidence."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="reviews")
    rationale = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim_id", "submitted_at", "id"]
        permissions = [
            # Editors see every review; everyone else is held to the blind-review rule.
            ("view_all_reviews", "Can see every reviewer's review of any claim"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["claim", "reviewer"], name="review_one_per_reviewer_per_claim"),
            models.CheckConstraint(condition=~Q(rationale=""), name="review_rationale_required"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False), name="review_submitted_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on claim {self.claim_id}: {self.rating}"


class Evidence(AnchorCheck):
    """A passage of a source document, or an outside URL, that supports, refutes or contextualises."""

    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        REFUTES = "refutes", "Refutes"
        CONTEXT = "context", "Context"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="evidence")
    stance = models.CharField(max_length=10, choices=Stance.choices)
    # A passage: anchored exactly like an appearance.
    document = models.ForeignKey(
        SourceDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    exact = models.TextField(blank=True)
    prefix = models.CharField(max_length=anchoring.CONTEXT_CHARS, blank=True)
    suffix = models.CharField(max_length=anchoring.CONTEXT_CHARS, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    # Or an outside source.
    url = models.URLField(blank=True, max_length=1000)
    title = models.CharField(max_length=300, blank=True)
    excerpt = models.TextField(blank=True)

    objects = EvidenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["review_id", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(document__isnull=False, start__isnull=False, end__isnull=False, url="", start__lt=models.F("end"))
                    & ~Q(exact="")
                )
                | Q(document__isnull=True, start__isnull=True, end__isnull=True, exact="") & ~Q(url=""),
                name="evidence_passage_xor_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stance_display()}: {self.url or self.document}"

    def clean(self) -> None:
        if self.document_id is not None and self.start is not None and self.end is not None:
            try:
                anchoring.check_selector(self.document.text, exact=self.exact, start=self.start, end=self.end)
            except anchoring.AnchorError as exc:
                raise ValidationError({"exact": str(exc)}) from exc


class Verdict(models.Model):
    """One published version of the desk's verdict on a claim. Never edited after it is written:
    a correction or a retraction is a new version."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original verdict"
        CORRECTION = "correction", "Correction"
        RETRACTION = "retraction", "Retraction"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verdicts")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ORIGINAL)
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="verdicts")
    summary = models.TextField()
    # How the editor settled the reviewers' disagreement, when they disagreed.
    resolution = models.TextField(blank=True)
    correction_note = models.TextField(blank=True, help_text="What a correction changed, or why it was retracted.")
    cited_conflicts = models.ManyToManyField(
        "claims.Conflict",
        blank=True,
        related_name="cited_by_verdicts",
        help_text="Confirmed conflicts the verdict rests on.",
    )
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    # How long the verdict holds, and when the desk looks at it again (RECHECK_AFTER_DAYS by kind).
    valid_until = models.DateField(null=True, blank=True)
    recheck_by = models.DateField(null=True, blank=True)

    objects = VerdictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim_id", "version"]
        get_latest_by = "version"
        permissions = [
            ("publish_verdict", "Can publish a reviewed claim's verdict"),
            ("correct_verdict", "Can correct a published verdict"),
            ("retract_verdict", "Can retract a published verdict"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["claim", "version"], name="verdict_one_per_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="verdict_version_positive"),
            models.CheckConstraint(condition=~Q(summary=""), name="verdict_summary_required"),
            models.CheckConstraint(
                condition=Q(kind="original", version=1)
                | (~Q(kind="original") & Q(version__gt=1) & ~Q(correction_note="")),
                name="verdict_later_versions_explain_themselves",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.claim_id} v{self.version}: {self.rating}"


class Transition(models.Model):
    """One workflow step of a claim: who moved it from which state to which, when, and why."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Claim.Status.choices)
    to_status = models.CharField(max_length=20, choices=Claim.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    objects = TransitionQuerySet.as_manager()

    class Meta:
        ordering = ["claim_id", "at", "id"]
        # The claim workflow's own permissions live here, beside the log they write to.
        permissions = [
            ("submit_claim", "Can submit a draft claim for review"),
            ("assign_reviewers", "Can assign reviewers to a claim"),
            ("send_back_claim", "Can send a claim back to draft"),
        ]
        indexes = [models.Index(fields=["claim", "at"], name="transition_claim_at")]

    def __str__(self) -> str:
        return f"Claim {self.claim_id}: {self.from_status} → {self.to_status}"


class Recheck(models.Model):
    """A published verdict that needs another look: its evidence changed, or it is overdue.

    Opened by re-anchoring (an anchor changed or orphaned) or by `open_overdue_rechecks`;
    closed by an editor confirming the new anchor, or by a correction or a retraction.
    """

    class Reason(models.TextChoices):
        ANCHOR_CHANGED = "anchor_changed", "A quote or its context changed"
        ANCHOR_ORPHANED = "anchor_orphaned", "A quote is gone from the new version"
        OVERDUE = "overdue", "The verdict's re-check date has passed"

    class Resolution(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CORRECTED = "corrected", "Corrected"
        RETRACTED = "retracted", "Retracted"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="rechecks")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True)
    # The anchor that changed (one of them), with its text before and after.
    appearance = models.ForeignKey(
        "claims.Appearance", null=True, blank=True, on_delete=models.SET_NULL, related_name="rechecks"
    )
    evidence = models.ForeignKey(Evidence, null=True, blank=True, on_delete=models.SET_NULL, related_name="rechecks")
    old_document = models.ForeignKey(SourceDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    new_document = models.ForeignKey(SourceDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    old_prefix = models.TextField(blank=True)
    old_exact = models.TextField(blank=True)
    old_suffix = models.TextField(blank=True)
    new_prefix = models.TextField(blank=True)
    new_exact = models.TextField(blank=True)
    new_suffix = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    note = models.TextField(blank=True)

    objects = RecheckQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, resolution="") | Q(closed_at__isnull=False) & ~Q(resolution=""),
                name="recheck_closed_with_resolution",
            ),
            # `open_overdue_rechecks` may run any number of times: one open overdue re-check a claim.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(reason="overdue", closed_at__isnull=True),
                name="recheck_one_open_overdue_per_claim",
            ),
        ]
        indexes = [models.Index(fields=["closed_at", "opened_at"], name="recheck_queue")]

    def __str__(self) -> str:
        return f"Re-check of claim {self.claim_id}: {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


def rating_key(text: str) -> str:
    """How a publisher's rating text is compared: case, spacing and a trailing full stop ignored."""
    return " ".join(text.casefold().split()).rstrip(".!")


class RatingMapping(models.Model):
    """An editable row of the table from other fact-checkers' rating texts to our scale.

    `publisher` blank applies to every publisher; a row naming the publisher wins over it.
    """

    publisher = models.CharField(max_length=200, blank=True, help_text="Blank: any publisher.")
    text = models.CharField(max_length=200, help_text='The rating as the publisher writes it, e.g. "Pants on Fire".')
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="mappings")
    # Stored keys so the mapping is a plain equality join (see ExternalReviewQuerySet.with_normalised_rating).
    publisher_key = models.CharField(max_length=200, blank=True, editable=False)
    text_key = models.CharField(max_length=200, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["text_key", "publisher_key"]
        constraints = [
            models.UniqueConstraint(fields=["publisher_key", "text_key"], name="rating_mapping_unique_text"),
            models.CheckConstraint(condition=~Q(text_key=""), name="rating_mapping_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.text} ({self.publisher or 'any publisher'}) → {self.rating}"

    def clean(self) -> None:
        self.publisher_key = rating_key(self.publisher)
        self.text_key = rating_key(self.text)
        if not self.text_key:
            raise ValidationError({"text": "Give the rating text."})


class ExternalReview(models.Model):
    """Another fact-checker's ClaimReview, imported as context (import_claimreview); one per URL."""

    url = models.URLField(max_length=1000, unique=True, help_text="The fact-check's own page.")
    publisher = models.CharField(max_length=200, blank=True)
    publisher_url = models.URLField(max_length=500, blank=True)
    date_published = models.DateField(null=True, blank=True)
    claim_reviewed = models.TextField()
    claimant = models.CharField(max_length=300, blank=True)
    appearance_url = models.URLField(max_length=1000, blank=True)
    rating_text = models.CharField(max_length=200, blank=True)
    rating_value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    best_rating = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    worst_rating = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    publisher_key = models.CharField(max_length=200, blank=True, editable=False)
    rating_key = models.CharField(max_length=200, blank=True, editable=False)
    # The claim of ours the matcher found closest, as a suggestion for the desk (never merged).
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="external_reviews")
    match_score = models.FloatField(null=True, blank=True)
    raw = models.JSONField(help_text="The record as it was read.")
    source = models.CharField(max_length=1000, help_text="The file or URL it was imported from.")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExternalReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-date_published", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(claim_reviewed=""), name="external_review_claim_not_empty"),
            models.CheckConstraint(
                condition=~Q(rating_text="") | Q(rating_value__isnull=False), name="external_review_has_rating"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publisher or self.url}: {self.rating_text or self.rating_value}"


class Note(models.Model):
    """One message in a claim's discussion thread (reviews/notes.py). Never edited or deleted."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Written by a reviewer (not an editor): hidden from the claim's other reviewers until they
    # have submitted their own review, since it may speak of a rating (the blind rule).
    by_reviewer = models.BooleanField(default=False)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    objects = NoteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim_id", "created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="note_text_not_empty")]

    def __str__(self) -> str:
        return f"{self.author} on claim {self.claim_id}"


class Notification(models.Model):
    """Something that waits for `recipient`: shown in the admin (unread counts) and e-mailed,
    one by one or in a daily digest (reviews/notifications.py)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to review"
        REVIEW_SUBMITTED = "review_submitted", "Review submitted"
        READY_TO_PUBLISH = "ready_to_publish", "Ready to publish"
        SENT_BACK = "sent_back", "Sent back to draft"
        OVERDUE = "overdue", "Review overdue"
        RECHECK_OPENED = "recheck_opened", "Re-check opened"
        MENTIONED = "mentioned", "Mentioned in a note"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When it went out by e-mail, alone or in a digest; null until then.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["emailed_at"], name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"


class NotificationPreference(models.Model):
    """How a user hears of notifications by e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    daily_digest = models.BooleanField(
        default=False, help_text="One e-mail a day with everything new, instead of an e-mail per notification."
    )

    def __str__(self) -> str:
        return f"{self.user}: {'daily digest' if self.daily_digest else 'each notification'}"
