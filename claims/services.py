"""Writes for documents, entities, claims and appearances. The admin, the commands and the
API call these; each runs in one transaction and validates before it writes."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify

from claims import anchoring, changelog, fetch
from claims.errors import NotPermitted, ServiceError, StaleVersion, TransitionNotAllowed
from claims.models import AnchorCheck, Appearance, Change, Claim, Entity, KnowledgeFact, SourceDocument
from claims.querysets import PUBLIC_STATUSES
from claims.reanchor import Anchor, AnchorState, Outcome, Reanchorer

# C0 controls other than tab, newline and carriage return, DEL, and the C1 range: none of
# them belongs in an article, and their presence means a binary file or a wrong encoding.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_SLUG_MAX = 80


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


class DocumentRefused(ServiceError):
    """A file that cannot be imported as a source document (empty, binary, not UTF-8, too large)."""


@dataclass(frozen=True)
class ReanchorEntry:
    """One anchor of the old version and what re-anchoring found for it in the new one."""

    kind: Literal["appearance", "evidence"]
    anchor: AnchorCheck  # the Appearance or Evidence row, after the re-anchoring
    claim: Claim
    old_exact: str
    outcome: Outcome


@dataclass
class ReanchorReport:
    """What `document_reanchor` did: one entry per anchor, and the re-checks it opened."""

    old: SourceDocument
    new: SourceDocument
    entries: list[ReanchorEntry] = field(default_factory=list)
    # Filled by the REANCHOR_EXTENSIONS (reviews opens re-check records).
    rechecks: list = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for entry in self.entries if entry.outcome.state == state)

    def summary(self) -> str:
        states = ", ".join(f"{self.count(state)} {state.label.lower()}" for state in AnchorState)
        return f"{len(self.entries)} anchors in the previous version: {states}; {len(self.rechecks)} re-checks opened"


@dataclass(frozen=True)
class ImportResult:
    document: SourceDocument
    status: Literal["created", "unchanged", "new_version"]
    # For a new version: how the previous version's anchors fared in the new text.
    reanchoring: ReanchorReport | None = None


# The account commands act as when no person does (imports, loaders, conflict detection).
SYSTEM_USERNAME = "system"


def system_user():
    """The system account, created on first use: no usable password (nobody logs in as it), not
    staff, holding every permission of the claims app, so history names it rather than nobody."""
    user, created = get_user_model().objects.get_or_create(username=SYSTEM_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    # Granted on every call, so permissions of models added since are held too.
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims"))
    return get_user_model().objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


def require_user(by, perm: str) -> None:
    """NotPermitted unless `by` is a user holding `perm`: every write names who makes it."""
    if by is None or not getattr(by, "is_authenticated", False):
        raise NotPermitted(
            "user_required",
            "Say who makes this change (by=<user>); commands act as claims.services.system_user().",
        )
    if not by.has_perm(perm):
        raise NotPermitted("permission_required", f"You need the {perm!r} permission to do this.")


def _record_by(instance, user) -> None:
    # simple_history attributes the next history row to this user outside a request.
    instance._history_user = user


# --- Source documents ---------------------------------------------------------------


def document_check_text(text: str, *, name: str) -> str:
    """Return `text` if it can be stored as a source document; raise DocumentRefused naming `name`."""
    limit = settings.DOCUMENT_MAX_BYTES
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limit:
        raise DocumentRefused(
            "document_too_large", f"{name}: {size} bytes is larger than the {limit}-byte limit (DOCUMENT_MAX_BYTES)"
        )
    if not text.strip():
        raise DocumentRefused("document_empty", f"{name}: the text is empty")
    if "\x00" in text:
        raise DocumentRefused("document_binary", f"{name}: looks binary (contains NUL bytes), not a text file")
    bad = _CONTROL_CHARS.search(text)
    if bad:
        raise DocumentRefused(
            "document_binary",
            f"{name}: contains control character U+{ord(bad.group()):04X} at offset {bad.start()}, not plain text",
        )
    return text


def document_check_bytes(raw: bytes, *, name: str) -> str:
    """Decode an uploaded or read file as UTF-8 text and check it (document_check_text)."""
    limit = settings.DOCUMENT_MAX_BYTES
    if len(raw) > limit:
        raise DocumentRefused(
            "document_too_large",
            f"{name}: {len(raw)} bytes is larger than the {limit}-byte limit (DOCUMENT_MAX_BYTES)",
        )
    if not raw.strip():
        raise DocumentRefused("document_empty", f"{name}: the file is empty")
    if b"\x00" in raw:
        raise DocumentRefused("document_binary", f"{name}: looks binary (contains NUL bytes), not a text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentRefused(
            "document_not_utf8", f"{name}: not valid UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start})"
        ) from exc
    return document_check_text(text, name=name)


def document_check_file(path: Path) -> str:
    """Return the file's text if it can be imported; raise DocumentRefused naming the file otherwise."""
    path = Path(path)
    limit = settings.DOCUMENT_MAX_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentRefused(
                "document_too_large", f"{path}: {size} bytes is larger than the {limit}-byte limit (DOCUMENT_MAX_BYTES)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentRefused("document_unreadable", f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return document_check_bytes(raw, name=str(path))


@dataclass(frozen=True)
class DocumentMetadata:
    """What an import knows about a text besides the text; blank fields are carried over from
    the previous version (an editor's metadata survives a re-import)."""

    title: str = ""
    outlet: str = ""
    author: str = ""
    published_on: date | None = None
    url: str = ""


NO_METADATA = DocumentMetadata()
_METADATA_FIELDS = ("title", "outlet", "author", "published_on", "url")


def document_import(*, text: str, source_file: str, metadata: DocumentMetadata = NO_METADATA, by) -> ImportResult:
    """Store a text (from a file, an upload, a paste or a fetched URL): unchanged when the text is
    known, else a new document, or a new version of the latest document from the same source.

    The source is the URL when one is given (an article fetched again), else `source_file`.
    A new version re-anchors the previous version's quotes in the same transaction.
    """
    require_user(by, "claims.add_sourcedocument")
    text = document_check_text(text, name=source_file)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with transaction.atomic():
        existing = SourceDocument.objects.filter(sha256=sha256).first()
        if existing is not None:
            return ImportResult(document=existing, status="unchanged")
        same_source = {"url": metadata.url} if metadata.url else {"source_file": source_file}
        # Lock the source's latest version so two imports of a changed text cannot both
        # claim to succeed it (the one-to-one link would refuse the second anyway).
        previous = (
            SourceDocument.objects.select_for_update(of=("self",))
            .latest_versions()
            .filter(**same_source)
            .order_by("-id")
            .first()
        )
        document = SourceDocument(text=text, sha256=sha256, source_file=source_file[:255], previous_version=previous)
        for name in _METADATA_FIELDS:
            value = getattr(metadata, name)
            if not value and previous is not None:
                # A new version describes the same article: carry the editors' metadata over.
                value = getattr(previous, name)
            setattr(document, name, value)
        document.full_clean()
        _record_by(document, by)
        document.save()
        if previous is None:
            return ImportResult(document=document, status="created")
        report = document_reanchor(old=previous, new=document, by=by)
    return ImportResult(document=document, status="new_version", reanchoring=report)


def apply_outcome(anchor: AnchorCheck, outcome: Outcome, *, new: SourceDocument, at) -> None:
    """Write a re-anchoring outcome onto an Appearance or Evidence row (not saved).

    Intact and moved anchors follow the new version; changed and orphaned ones stay on the
    text they were made in, a changed one noting where it was found for an editor to confirm.
    """
    anchor.anchor_state = outcome.state
    anchor.anchor_note = outcome.reason[:500]
    anchor.anchor_checked_at = at
    anchor.candidate_document = anchor.candidate_start = anchor.candidate_end = None
    if outcome.state in (AnchorState.INTACT, AnchorState.MOVED):
        anchor.document = new
        for name, value in outcome.selector.fields().items():
            setattr(anchor, name, value)
    elif outcome.state == AnchorState.CHANGED:
        anchor.candidate_document = new
        anchor.candidate_start, anchor.candidate_end = outcome.selector.start, outcome.selector.end


def anchor_of(row: AnchorCheck) -> Anchor:
    return Anchor(exact=row.exact, prefix=row.prefix, suffix=row.suffix, start=row.start, end=row.end)


def document_reanchor(*, old: SourceDocument, new: SourceDocument, by) -> ReanchorReport:
    """Re-anchor every quote anchored in `old` in the text of `new` (its next version).

    Appearances here; the REANCHOR_EXTENSIONS setting names what the apps above add in the same
    transaction (reviews re-anchors evidence passages with the same Reanchorer and opens re-checks).
    """
    require_user(by, "claims.add_sourcedocument")
    report = ReanchorReport(old=old, new=new)
    reanchorer = Reanchorer(old.text, new.text)
    now = timezone.now()
    with transaction.atomic():
        appearances = list(old.appearances.select_related("claim").order_by("start", "id"))
        outcomes = reanchorer.locate_all([anchor_of(a) for a in appearances])
        taken = set(Appearance.objects.filter(document=new).values_list("claim_id", "start", "end"))
        followed: list[Claim] = []
        for appearance, outcome in zip(appearances, outcomes, strict=True):
            old_exact = appearance.exact
            moving = outcome.state in (AnchorState.INTACT, AnchorState.MOVED)
            span = (appearance.claim_id, outcome.selector.start, outcome.selector.end) if moving else None
            if span in taken:
                # The claim is already anchored there in the new version: note it, move nothing.
                outcome = Outcome(
                    outcome.state, outcome.selector, outcome.method, "already anchored in the new version"
                )
                appearance.anchor_state, appearance.anchor_note = outcome.state, outcome.reason
                appearance.anchor_checked_at = now
            else:
                apply_outcome(appearance, outcome, new=new, at=now)
                if moving:
                    taken.add(span)
                    followed.append(appearance.claim)
            _record_by(appearance, by)
            appearance.save()
            report.entries.append(ReanchorEntry("appearance", appearance, appearance.claim, old_exact, outcome))
        if followed:
            changelog.record(
                {claim.pk: claim for claim in followed}.values(),
                Change.Kind.APPEARANCE,
                detail={"reanchored": {"from_document": old.pk, "to_document": new.pk}},
            )
        for path in settings.REANCHOR_EXTENSIONS:
            import_string(path)(report=report, reanchorer=reanchorer, by=by, at=now)
    return report


def document_import_file(*, path: Path, by) -> ImportResult:
    """Import one UTF-8 text file, versioned by its file name (import_documents)."""
    path = Path(path)
    return document_import(text=document_check_file(path), source_file=path.name, by=by)


def _source_name(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path)[:255] or url[:255]


def document_import_upload(*, name: str, raw: bytes, metadata: DocumentMetadata = NO_METADATA, by):
    """Import an uploaded .txt file (stored exactly) or .html page (its article text extracted)."""
    require_user(by, "claims.add_sourcedocument")
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm"):
        return _import_html(raw=raw, name=name, source_file=name, metadata=metadata, by=by)
    if suffix != ".txt":
        raise DocumentRefused("document_type", f"{name}: only .txt and .html files can be imported")
    return document_import(text=document_check_bytes(raw, name=name), source_file=name, metadata=metadata, by=by)


def document_import_url(*, url: str, metadata: DocumentMetadata = NO_METADATA, by) -> ImportResult:
    """Fetch an article (claims.fetch: http(s), public addresses, time and size limits) and import
    its main text; the page's title, outlet, author and date fill the metadata not given."""
    require_user(by, "claims.add_sourcedocument")
    url = url.strip()
    page = fetch.fetch(url)
    metadata = replace(metadata, url=metadata.url or page.url[:500])
    if page.content_type.split(";")[0].strip().lower() == "text/plain":
        text = document_check_bytes(page.body, name=url)
        return document_import(text=text, source_file=_source_name(page.url), metadata=metadata, by=by)
    return _import_html(raw=page.body, name=url, source_file=_source_name(page.url), metadata=metadata, by=by)


def _import_html(*, raw: bytes, name: str, source_file: str, metadata: DocumentMetadata, by) -> ImportResult:
    limit = settings.DOCUMENT_MAX_BYTES
    if len(raw) > limit * 5:  # markup is several times the text; the text is checked on its own below
        raise DocumentRefused("document_too_large", f"{name}: {len(raw)} bytes of HTML is too large")
    if b"\x00" in raw:
        raise DocumentRefused("document_binary", f"{name}: looks binary (contains NUL bytes), not a web page")
    article = fetch.extract_article(raw, url=metadata.url or None)
    if not article.text.strip():
        raise DocumentRefused("document_no_article", f"{name}: no article text was found in the page")
    found = DocumentMetadata(
        title=metadata.title or article.title,
        outlet=metadata.outlet or article.outlet,
        author=metadata.author or article.author,
        published_on=metadata.published_on or article.published_on,
        url=metadata.url,
    )
    return document_import(text=article.text, source_file=source_file, metadata=found, by=by)


def document_update_metadata(
    *,
    document: SourceDocument,
    title: str,
    outlet: str,
    author: str,
    published_on: date | None,
    url: str,
    by,
) -> SourceDocument:
    """Change a document's descriptive metadata; its text is never written."""
    require_user(by, "claims.change_sourcedocument")
    with transaction.atomic():
        locked = SourceDocument.objects.select_for_update().get(pk=document.pk)
        locked.title, locked.outlet, locked.author = title, outlet, author
        locked.published_on, locked.url = published_on, url
        locked.full_clean()
        _record_by(locked, by)
        # update_fields: the text column is never part of an UPDATE.
        locked.save(update_fields=["title", "outlet", "author", "published_on", "url"])
        # Every claim quoted from the document shows its title, outlet and date.
        changelog.record(
            Claim.objects.filter(appearances__document=locked).distinct().order_by("pk"),
            Change.Kind.DOCUMENT,
            detail={"document": locked.pk},
        )
    return locked


# --- Entities -----------------------------------------------------------------------


def _unique_slug(model, base: str, *, exclude_pk=None) -> str:
    base = (slugify(base)[:_SLUG_MAX].rstrip("-")) or model._meta.model_name
    taken = set(model.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


# A derived slug lost to a concurrent insert is derived again; after a few lost races a
# random suffix ends the contest.
_SLUG_ATTEMPTS = 8


def _insert_with_unique_slug(instance, *, words: str, explicit: bool) -> None:
    """Insert `instance`, whose unique slug another transaction may take between check and insert.

    full_clean() only sees committed rows, so two requests with the same text both pass it and
    the second insert hits the unique index. A derived slug is then derived again; an explicit
    one is the client's field error, as when the row already existed.
    """
    model = type(instance)
    for attempt in range(_SLUG_ATTEMPTS):
        try:
            # A savepoint: the failed INSERT must not abort the caller's transaction.
            with transaction.atomic():
                instance.save()
            return
        except IntegrityError:
            if not model.objects.filter(slug=instance.slug).exists():
                raise  # some other constraint
            if explicit:
                raise ValidationError({"slug": [f"The slug {instance.slug!r} is already taken."]}) from None
            slug = _unique_slug(model, words)
            if attempt >= 2:
                slug = f"{slug[: _SLUG_MAX - 5]}-{secrets.token_hex(2)}"
            instance.slug = slug
    raise ValidationError({"slug": ["Could not find a free slug; try again or give one."]})


def entity_create(*, name: str, kind: str, slug: str | None = None, description: str = "", url: str = "", by) -> Entity:
    """Create a person, organisation or group; the slug is derived from the name when not given."""
    require_user(by, "claims.add_entity")
    with transaction.atomic():
        entity = Entity(
            name=name,
            kind=kind,
            slug=slug or _unique_slug(Entity, _words(name)),
            description=description,
            url=url,
        )
        entity.full_clean()
        _record_by(entity, by)
        _insert_with_unique_slug(entity, words=_words(name), explicit=bool(slug))
    return entity


def entity_update(*, entity: Entity, by, name=UNSET, kind=UNSET, slug=UNSET, description=UNSET, url=UNSET) -> Entity:
    """Change an entity's fields; only the ones given are written."""
    require_user(by, "claims.change_entity")
    with transaction.atomic():
        locked = Entity.objects.select_for_update().get(pk=entity.pk)
        for field, value in {"name": name, "kind": kind, "slug": slug, "description": description, "url": url}.items():
            if value is not UNSET:
                setattr(locked, field, value)
        locked.full_clean()
        _record_by(locked, by)
        locked.save()
        changelog.record(Claim.objects.naming(locked).order_by("pk"), Change.Kind.ENTITY, detail={"entity": locked.pk})
    return locked


# --- Claims -------------------------------------------------------------------------


def _words(text: str, limit: int = 10) -> str:
    return " ".join(text.split()[:limit])


def claim_create(
    *,
    text: str,
    kind: str,
    claimant: Entity,
    entities: Iterable[Entity] = (),
    slug: str | None = None,
    by,
) -> Claim:
    """Record a claim as a draft; the slug comes from its first words when not given."""
    require_user(by, "claims.add_claim")
    with transaction.atomic():
        claim = Claim(
            text=text,
            kind=kind,
            claimant=claimant,
            slug=slug or _unique_slug(Claim, _words(text)),
            created_by=by,
        )
        claim.full_clean()
        _record_by(claim, by)
        _insert_with_unique_slug(claim, words=_words(text), explicit=bool(slug))
        claim.entities.set(list(entities))
        changelog.record([claim], Change.Kind.CLAIM, detail={"created": True})
    return claim


def claim_update(
    *,
    claim: Claim,
    by,
    expected_version: int,
    text=UNSET,
    kind=UNSET,
    claimant=UNSET,
    entities=UNSET,
) -> Claim:
    """Edit a claim that the caller loaded at `expected_version`; a stale copy is refused."""
    require_user(by, "claims.change_claim")
    with transaction.atomic():
        # The row lock makes the version check and the bump one step: two editors saving
        # at once are serialised, and the second sees the first one's version.
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        check_claim_open(locked)
        if locked.version != expected_version:
            raise StaleVersion(
                message=(
                    f"Someone else saved this claim (now version {locked.version}, you loaded version "
                    f"{expected_version}); nothing was changed. Reload it and apply your change again."
                ),
                current_version=locked.version,
            )
        changes = {"text": text, "kind": kind, "claimant": claimant}
        changes = {field: value for field, value in changes.items() if value is not UNSET}
        # A public claim's wording is what its verdict judged.
        if locked.status in PUBLIC_STATUSES:
            frozen = [f for f, v in changes.items() if getattr(locked, f) != v]
            if frozen:
                raise TransitionNotAllowed(
                    "published_claim_frozen",
                    f"The {' and '.join(frozen)} of a {locked.get_status_display().lower()} claim cannot change; "
                    "correct it through a new verdict version.",
                )
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.full_clean()
        _record_by(locked, by)
        locked.save()
        if entities is not UNSET:
            locked.entities.set(list(entities))
        fields = sorted([*changes, *(["entities"] if entities is not UNSET else [])])
        changelog.record([locked], Change.Kind.CLAIM, detail={"fields": fields})
    return locked


# --- Appearances --------------------------------------------------------------------


def appearance_locate(
    *,
    document: SourceDocument,
    quote: str,
    prefix: str = "",
    suffix: str = "",
    occurrence: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> anchoring.Selector:
    """The selector for a quote in a document (see `anchoring.locate`); ValidationError on the
    `exact` field when it does not fit."""
    try:
        return anchoring.locate(
            document.text, quote=quote, prefix=prefix, suffix=suffix, occurrence=occurrence, start=start, end=end
        )
    except anchoring.AnchorError as exc:
        # Named as the editor knows it (its title), not by the file it was imported from.
        raise ValidationError({"exact": f"In “{document}”: {exc}."}) from exc


def appearance_add(
    *,
    claim: Claim,
    document: SourceDocument,
    quote: str,
    prefix: str = "",
    suffix: str = "",
    occurrence: int | None = None,
    start: int | None = None,
    end: int | None = None,
    by,
) -> Appearance:
    """Anchor a claim to a quote in a document; the stored quote is the document's own text."""
    require_user(by, "claims.add_appearance")
    selector = appearance_locate(
        document=document, quote=quote, prefix=prefix, suffix=suffix, occurrence=occurrence, start=start, end=end
    )
    with transaction.atomic():
        # Serialise anchoring on one claim, so the duplicate-span check below stays true.
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        check_claim_open(locked)
        appearance = Appearance(claim=claim, document=document, **selector.fields())
        try:
            appearance.full_clean()
        except ValidationError as exc:
            if "__all__" in exc.message_dict:
                raise ValidationError(
                    {"exact": f"This claim is already anchored at {selector.start}..{selector.end} of that document."}
                ) from exc
            raise
        _record_by(appearance, by)
        appearance.save()
        changelog.record(
            [locked],
            Change.Kind.APPEARANCE,
            detail={"appearance": appearance.pk, "document": document.pk, "added": True},
        )
    return appearance


def claim_create_from_passage(
    *, document: SourceDocument, start: int, end: int, kind: str = Claim.Kind.OTHER, by
) -> Claim:
    """A draft claim worded as document.text[start:end] and anchored there exactly; its claimant
    is the document's outlet (an editor words and attributes it properly before submitting)."""
    require_user(by, "claims.add_claim")
    require_user(by, "claims.add_appearance")
    selector = appearance_locate(document=document, quote=document.text[start:end], start=start, end=end)
    outlet = document.outlet or "Unattributed source"
    with transaction.atomic():
        claimant = Entity.objects.filter(name=outlet).order_by("pk").first() or entity_create(
            name=outlet, kind=Entity.Kind.PUBLICATION, by=by
        )
        claim = claim_create(text=" ".join(selector.exact.split()), kind=kind, claimant=claimant, by=by)
        appearance_add(claim=claim, document=document, quote=selector.exact, start=start, end=end, by=by)
    return claim


def appearance_remove(*, appearance: Appearance, by) -> None:
    """Remove one anchor of a claim (the document text is untouched)."""
    require_user(by, "claims.delete_appearance")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=appearance.claim_id)
        check_appearance_removable(claim)
        detail = {"appearance": appearance.pk, "document": appearance.document_id, "added": False}
        _record_by(appearance, by)
        appearance.delete()
        changelog.record([claim], Change.Kind.APPEARANCE, detail=detail)


def check_appearance_removable(claim: Claim) -> None:
    """Refuse to drop a source of a published or retracted claim: readers were shown it.

    The desk keeps it and, if the source no longer supports the verdict, corrects or retracts
    the verdict; a changed source is handled through its re-check.
    """
    if claim.status in PUBLIC_STATUSES:
        raise TransitionNotAllowed(
            "published_claim_keeps_sources",
            f"This claim is {claim.get_status_display().lower()}: its appearances were published with the verdict "
            "and cannot be removed or moved. If a source no longer holds, correct or retract the verdict.",
        )


# --- Merge and move -----------------------------------------------------------------

# The structured facts a claim may carry, one of each (their reverse one-to-one names).
_FACT_RELATIONS = ("wage", "contract", "knowledge", "quantity", "event")


@dataclass(frozen=True)
class MergeResult:
    survivor: Claim
    merged: Claim
    appearances_moved: int
    # Spans the survivor already had: the merged claim's copy is dropped (history keeps it).
    appearances_already_there: int
    facts_moved: list[str]
    # Facts of a kind the survivor already carries stay with the merged claim, for an editor to compare.
    facts_kept: list[str]


def _lock_pair(first: Claim, second: Claim) -> tuple[Claim, Claim]:
    # Both rows, always in id order: two merges of the same pair cannot wait on each other.
    locked = {c.pk: c for c in Claim.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk")}
    return locked[first.pk], locked[second.pk]


def check_claim_open(claim: Claim) -> None:
    """Refuse writes to a claim that was merged into another: its survivor takes them."""
    if claim.status == Claim.Status.MERGED:
        raise TransitionNotAllowed(
            "claim_merged",
            f"Claim {claim.slug} was merged into claim {claim.merged_into_id}; work on that claim instead.",
        )


def claim_merge(*, survivor: Claim, merged: Claim, by) -> MergeResult:
    """Fold `merged` into `survivor`: its appearances, entities and facts move, it keeps a
    `merged_into` pointer (its URLs answer 301) and the change log says so for both.

    The apps above add their rules through MERGE_CHECKS (reviews refuses two published verdicts
    that disagree), called with both claims locked, before anything is written.
    """
    require_user(by, "claims.change_claim")
    require_user(by, "claims.change_appearance")
    if survivor.pk == merged.pk:
        raise TransitionNotAllowed("merge_same_claim", "A claim cannot be merged into itself.")
    # claims.facts imports this module: imported when called.
    from claims.facts import conflicts
    from claims.facts.services import _serialize_detection

    with transaction.atomic():
        # Detection below writes conflicts naming other claims: its lock comes before any row lock.
        _serialize_detection()
        survivor, merged = _lock_pair(survivor, merged)
        check_claim_open(survivor)
        check_claim_open(merged)
        if merged.status in PUBLIC_STATUSES and survivor.status not in PUBLIC_STATUSES:
            raise TransitionNotAllowed(
                "merge_keeps_published",
                f"Claim {merged.slug} has a public verdict and {survivor.slug} does not: "
                "keep the published claim as the survivor, so its readers are sent to a verdict.",
            )
        for path in settings.MERGE_CHECKS:
            import_string(path)(survivor=survivor, merged=merged)

        taken = set(Appearance.objects.filter(claim=survivor).values_list("document_id", "start", "end"))
        moved = already = 0
        for appearance in Appearance.objects.filter(claim=merged).order_by("pk"):
            _record_by(appearance, by)
            if (appearance.document_id, appearance.start, appearance.end) in taken:
                appearance.delete()
                already += 1
                continue
            appearance.claim = survivor
            appearance.save()
            moved += 1
        survivor.entities.add(*merged.entities.all())

        facts_moved, facts_kept = [], []
        for relation in _FACT_RELATIONS:
            # A missing reverse one-to-one raises an AttributeError subclass: getattr's default.
            fact = getattr(merged, relation, None)
            if fact is None:
                continue
            if getattr(survivor, relation, None) is not None:
                facts_kept.append(relation)
                continue
            if relation == "knowledge" and fact.subject_claim_id == survivor.pk:
                # About the survivor itself once merged: say what in words instead.
                fact.subject_text = fact.subject_text or survivor.text
                fact.subject_claim = None
            fact.claim = survivor
            _record_by(fact, by)
            fact.save()
            facts_moved.append(relation)
        # Knowledge about the merged claim is now knowledge about the survivor.
        for fact in KnowledgeFact.objects.filter(subject_claim=merged).exclude(claim=survivor):
            fact.subject_claim = survivor
            _record_by(fact, by)
            fact.save()
        # Claims merged into `merged` earlier now point at the survivor: every redirect is one hop.
        for earlier in Claim.objects.filter(merged_into=merged):
            earlier.merged_into = survivor
            _record_by(earlier, by)
            earlier.save(update_fields=["merged_into"])

        status_before = merged.status
        merged.status, merged.merged_into = Claim.Status.MERGED, survivor
        merged.version += 1
        merged._change_reason = f"Merged into claim {survivor.pk} ({survivor.slug})"
        _record_by(merged, by)
        merged.save()
        survivor.version += 1
        survivor._change_reason = f"Took over claim {merged.pk} ({merged.slug})"
        _record_by(survivor, by)
        survivor.save()
        if facts_moved:
            conflicts.detect_for_claim(claim=survivor, by=by)
        conflicts.detect_for_claim(claim=merged, by=by)

        changelog.record(
            [merged],
            Change.Kind.MERGED,
            status_before={merged.pk: status_before},
            detail={"merged_into": survivor.pk, "survivor": survivor.pk},
        )
        changelog.record(
            [survivor],
            Change.Kind.MERGED,
            detail={"survivor": survivor.pk, "absorbed": merged.pk, "appearances_moved": moved},
        )
    return MergeResult(survivor, merged, moved, already, facts_moved, facts_kept)


def appearance_move(*, appearance: Appearance, to: Claim, by) -> Appearance:
    """Move one anchor to another claim (the quote reports that claim, not this one).

    A published or retracted claim keeps its sources (check_appearance_removable).
    """
    require_user(by, "claims.change_appearance")
    with transaction.atomic():
        source, target = _lock_pair(Claim(pk=appearance.claim_id), to)
        if source.pk == target.pk:
            raise ValidationError({"to": "The appearance already belongs to this claim."})
        check_appearance_removable(source)
        check_claim_open(target)
        appearance = Appearance.objects.select_for_update().get(pk=appearance.pk)
        if Appearance.objects.filter(
            claim=target, document_id=appearance.document_id, start=appearance.start, end=appearance.end
        ).exists():
            raise ValidationError({"to": f"Claim {target.slug} is already anchored at this quote."})
        appearance.claim = target
        _record_by(appearance, by)
        appearance.save()
        changelog.record([source], Change.Kind.APPEARANCE, detail={"appearance": appearance.pk, "moved_to": target.pk})
        changelog.record(
            [target], Change.Kind.APPEARANCE, detail={"appearance": appearance.pk, "moved_from": source.pk}
        )
    return appearance
