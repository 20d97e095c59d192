"""Source documents, the entities they speak of, claims, and where each claim appears."""

from __future__ import annotations

import functools
from urllib.parse import quote

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from simple_history.models import HistoricalRecords

from claims import anchoring
from claims.querysets import AppearanceQuerySet, ChangeQuerySet, ClaimQuerySet, DocumentQuerySet, EntityQuerySet
from claims.reanchor import AnchorState

# A slug no claim has (slugs are lower case), replaced by the real one in Claim.page_path.
_SLUG_MARK = "SLUG-MARK"


@functools.lru_cache(maxsize=16)
def _claim_page_pattern(script_prefix: str, urlconf) -> tuple[str, str]:
    # The URLconf and script prefix are part of the key: tests and sub-path deployments change them.
    path = reverse("public:claim", args=[_SLUG_MARK], urlconf=urlconf)
    prefix, _, suffix = path.partition(_SLUG_MARK)
    return prefix, suffix


# Links readers may follow from the feed: web pages only (no ftp:, file: or others).
web_url = URLValidator(schemes=["http", "https"])


class Entity(models.Model):
    """A person, organisation or group: a claimant, or what a claim is about."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        GOVERNMENT = "government", "Government body"
        PUBLICATION = "publication", "Publication"
        GROUP = "group", "Group of people"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True, max_length=500, validators=[web_url])

    objects = EntityQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name


class SourceDocument(models.Model):
    """A document's text exactly as imported. The text never changes; a new file is a new version."""

    text = models.TextField(editable=False)
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    source_file = models.CharField(max_length=255, help_text="The file name the text was imported from.")
    title = models.CharField(max_length=300, blank=True)
    outlet = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    url = models.URLField(blank=True, max_length=500, validators=[web_url])
    previous_version = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
        help_text="The earlier text of the same file, when the file changed between imports.",
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        ordering = ["source_file", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"),
            models.CheckConstraint(
                condition=~Q(previous_version=models.F("id")), name="document_not_own_previous_version"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.source_file

    def get_absolute_url(self) -> str:
        return reverse("document-detail", args=[self.pk])


class Claim(models.Model):
    """One checkable statement, written neutrally by an editor; never the verdict itself."""

    class Kind(models.TextChoices):
        KNOWLEDGE = "knowledge", "Knowledge (who knew what, when)"
        WAGE = "wage", "Wage or pay figure"
        CONTRACT = "contract", "Contract or relationship"
        QUANTITY = "quantity", "Count or quantity"
        EVENT = "event", "Event"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        IN_REVIEW = "in_review", "In review"
        REVIEWED = "reviewed", "Reviewed"
        PUBLISHED = "published", "Published"
        RETRACTED = "retracted", "Retracted"
        # Folded into another claim (`merged_into`): its URLs answer 301 to the survivor's.
        MERGED = "merged", "Merged into another claim"

    text = models.TextField()
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    claimant = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="claims_made")
    entities = models.ManyToManyField(Entity, blank=True, related_name="claims_about")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # Optimistic locking: every edit through a service bumps it; a stale copy is refused.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by the publishing services so the public feed reads and orders one table:
    # when the first verdict went out, and when the latest verdict version did.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    verdict_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by claims.services.claim_merge: the claim that took this one's appearances and facts.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_claims", editable=False
    )

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[entities])

    class Meta:
        ordering = ["id"]
        # Who sees drafts is a permission (claims.querysets.sees_all_claims), granted to Editors.
        permissions = [("view_all_claims", "Can see every claim, drafts included")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_empty"),
            models.CheckConstraint(condition=Q(version__gte=1), name="claim_version_positive"),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(verdict_updated_at__gte=models.F("published_at")),
                name="claim_verdict_updated_after_published",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False) | (~Q(status="merged") & Q(merged_into=None)),
                name="claim_merged_iff_merged_into",
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("id")), name="claim_not_merged_into_itself"),
        ]
        indexes = [
            # The public feed: published claims in publication or update order, unique by id.
            models.Index(fields=["status", "published_at", "id"], name="claim_feed_published"),
            models.Index(fields=["status", "verdict_updated_at", "id"], name="claim_feed_updated"),
            models.Index(fields=["status", "kind"], name="claim_status_kind"),
            # The desk's claim list, newest first (reviews/claimlist.py): read backwards, the first
            # page is 100 index entries instead of a sort of the whole archive.
            models.Index(fields=["created_at", "id"], name="claim_created"),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:77] + "..."

    def get_absolute_url(self) -> str:
        return Claim.page_path(self.slug)

    @staticmethod
    def page_path(slug: str) -> str:
        """The path of a claim's public page (public/): the ClaimReview `url`, Atom links, "View on site".

        Reversed once per URLconf and script prefix, then filled in: a change page or a feed
        page names a hundred claims, and reverse() cost more than the rest of each event."""
        prefix, suffix = _claim_page_pattern(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
        return prefix + quote(slug, safe=RFC3986_SUBDELIMS + "/~:@") + suffix

    @property
    def first_appearance(self) -> Appearance | None:
        """The earliest appearance: by the document's publication date, then import order and offset.

        Uses prefetched appearances (with their documents) when present.
        """
        appearances = list(self.appearances.all())
        if not appearances:
            return None
        return min(appearances, key=Appearance.chronological_key)


class AnchorCheck(models.Model):
    """What re-anchoring on a newer version of the document last found (Appearance, Evidence).

    An intact or moved anchor follows the new version; a changed or orphaned one stays on the
    text it was made in, and a changed one keeps where it was found for an editor to confirm.
    """

    anchor_state = models.CharField(
        max_length=10,
        choices=AnchorState.choices,
        blank=True,
        editable=False,
        help_text="What re-anchoring on the document's latest new version found; blank if never re-anchored.",
    )
    anchor_note = models.CharField(max_length=500, blank=True, editable=False)
    anchor_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    candidate_document = models.ForeignKey(
        "claims.SourceDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    candidate_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    candidate_end = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class Appearance(AnchorCheck):
    """Where a claim appears: a W3C quote + position selector into one document version."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="appearances")
    document = models.ForeignKey(SourceDocument, on_delete=models.PROTECT, related_name="appearances")
    exact = models.TextField()
    prefix = models.CharField(max_length=anchoring.CONTEXT_CHARS, blank=True)
    suffix = models.CharField(max_length=anchoring.CONTEXT_CHARS, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppearanceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["document_id", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="appearance_start_before_end"),
            models.CheckConstraint(condition=~Q(exact=""), name="appearance_exact_not_empty"),
            models.UniqueConstraint(fields=["claim", "document", "start", "end"], name="appearance_unique_span"),
        ]

    def __str__(self) -> str:
        return f"{self.document} @{self.start}-{self.end}"

    def clean(self) -> None:
        if self.document_id is None or self.start is None or self.end is None:
            return
        try:
            anchoring.check_selector(self.document.text, exact=self.exact, start=self.start, end=self.end)
        except anchoring.AnchorError as exc:
            raise ValidationError({"exact": str(exc)}) from exc

    @staticmethod
    def chronological_key(appearance: Appearance) -> tuple:
        doc = appearance.document
        return (doc.published_on is None, doc.published_on or doc.imported_at.date(), doc.pk, appearance.start)


class Change(models.Model):
    """One write that something outside the desk can see, in commit order: the change log.

    Written by claims.changelog.record() inside the write's own transaction, one row per claim
    the write touches. `position` is the reader's clock: see claims/changelog.py for why a
    reader can never see position N+1 while a transaction that will get N can still commit.
    """

    class Kind(models.TextChoices):
        CLAIM = "claim", "Claim edited"
        APPEARANCE = "appearance", "Appearance added, moved or removed"
        DOCUMENT = "document", "Source document changed"
        ENTITY = "entity", "Entity renamed"
        FACT = "fact", "Structured fact changed"
        CONFLICT = "conflict", "Conflict triaged"
        STATUS = "status", "Workflow status changed"
        PUBLISHED = "published", "Verdict published"
        CORRECTED = "corrected", "Verdict corrected"
        RETRACTED = "retracted", "Verdict retracted"
        RECHECK = "recheck", "Re-check opened or closed"
        MERGED = "merged", "Merged into another claim"
        RATING = "rating", "Rating scale edited"

    position = models.BigAutoField(primary_key=True)
    # No foreign key: the log outlives what it speaks of (a deleted or merged claim).
    claim_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The claim's workflow status after the write, and whether the public could see the claim
    # before and after it: a claim leaving the public view is an event of its own.
    status = models.CharField(max_length=20, choices=Claim.Status.choices)
    public_before = models.BooleanField()
    public_after = models.BooleanField()
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        indexes = [
            models.Index(fields=["claim_id", "position"], name="change_claim_position"),
            # The public clock (ETags, the public change stream) reads the newest public position.
            models.Index(
                fields=["position"],
                condition=models.Q(public_before=True) | models.Q(public_after=True),
                name="change_public_position",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.kind} claim {self.claim_id}"


class ClaimSearch(models.Model):
    """One full-text search document per claim (PostgreSQL): its text, every verdict summary
    and every appearance's quote, as one tsvector with a GIN index, for the feed's `q`.

    Written only by PostgreSQL triggers (reviews migration 0018 defines them and the document):
    whatever code path edits a claim's text, a verdict or an appearance, the document is
    recomputed in the same transaction, so it is never stale. On SQLite the table stays empty
    (the feed searches with substring matches there). The foreign key is PostgreSQL's own,
    ON DELETE CASCADE (claims migration 0013), so deleting a claim costs Django no query.
    """

    claim = models.OneToOneField(
        Claim, on_delete=models.DO_NOTHING, primary_key=True, db_constraint=False, related_name="+"
    )
    document = SearchVectorField()

    def __str__(self) -> str:
        return f"search document of claim {self.claim_id}"


# The structured facts and conflicts live in claims/facts/; importing them here registers them
# with the `claims` app (their app label) when Django loads this module.
from claims.facts.models import (  # noqa: E402
    FACT_AMOUNT_LIMIT,
    Conflict,
    ContractRelation,
    ContractRole,
    ContractStatus,
    Currency,
    EventFact,
    KnowledgeFact,
    KnowledgePolarity,
    Period,
    Qualifier,
    QuantityFact,
    WageFigure,
)

__all__ = [
    "FACT_AMOUNT_LIMIT",
    "AnchorCheck",
    "AnchorState",
    "Appearance",
    "Change",
    "Claim",
    "Conflict",
    "ContractRelation",
    "ContractRole",
    "ContractStatus",
    "Currency",
    "Entity",
    "EventFact",
    "KnowledgeFact",
    "KnowledgePolarity",
    "Period",
    "Qualifier",
    "QuantityFact",
    "SourceDocument",
    "WageFigure",
]
