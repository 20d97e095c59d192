"""Re-checks: a published verdict whose evidence changed, or whose re-check date passed.

Opened by re-anchoring a new document version (`reanchor_evidence_and_open_rechecks`, called by
claims.services.document_reanchor through the REANCHOR_EXTENSIONS setting) and by
`rechecks_open_overdue`; closed by `recheck_confirm`, or by `verdict_correct`/`verdict_retract`
(reviews/services.py), which call `close_open_rechecks`. Every opening and closing bumps the
claim's version and is a Change.Kind.RECHECK row in the same transaction, so the change stream,
the webhooks and the feed's cache keys all see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from claims import changelog
from claims.errors import NotPermitted, TransitionNotAllowed
from claims.models import Appearance, Change, Claim
from claims.reanchor import NEEDS_RECHECK, AnchorState, Reanchorer
from claims.services import ReanchorEntry, ReanchorReport, anchor_of, apply_outcome
from reviews import notifications
from reviews.models import Evidence, Recheck, Verdict

_REASON = {AnchorState.CHANGED: Recheck.Reason.ANCHOR_CHANGED, AnchorState.ORPHANED: Recheck.Reason.ANCHOR_ORPHANED}


def recheck_after(kind: str, start: date) -> date:
    """The default re-check date of a verdict on a claim of `kind` published on `start`."""
    days = settings.RECHECK_AFTER_DAYS.get(kind, settings.RECHECK_AFTER_DAYS["other"])
    return start + timedelta(days=days)


def _bump(claim: Claim, by) -> None:
    # The claim's representation changes (under_recheck): a new version and a history row,
    # which is what the API's ETags and cache keys follow.
    claim.version += 1
    claim._history_user = by
    claim.save(update_fields=["version", "updated_at"])


def _record(claim: Claim, action: str, rechecks: Iterable[Recheck], **extra) -> None:
    changelog.record(
        [claim],
        Change.Kind.RECHECK,
        detail={"action": action, "rechecks": [r.pk for r in rechecks], **extra},
    )


def _open_for_entry(entry: ReanchorEntry, report: ReanchorReport, at) -> Recheck:
    anchor, outcome = entry.anchor, entry.outcome
    selector = outcome.selector
    recheck = Recheck(
        claim=entry.claim,
        reason=_REASON[outcome.state],
        detail=f"{entry.kind.capitalize()} in {report.new}: {outcome.reason}",
        appearance=anchor if isinstance(anchor, Appearance) else None,
        evidence=anchor if isinstance(anchor, Evidence) else None,
        old_document=report.old,
        new_document=report.new,
        old_prefix=anchor.prefix,
        old_exact=anchor.exact,
        old_suffix=anchor.suffix,
        new_prefix=selector.prefix if selector else "",
        new_exact=selector.exact if selector else "",
        new_suffix=selector.suffix if selector else "",
        opened_at=at,
    )
    recheck.full_clean()
    return recheck


def reanchor_evidence_and_open_rechecks(*, report: ReanchorReport, reanchorer: Reanchorer, by, at) -> None:
    """Re-anchor evidence passages of the old version, then open a re-check for every changed or
    orphaned anchor of a published claim (its appearances, or evidence behind its verdict)."""
    evidence = list(
        Evidence.objects.filter(document=report.old).select_related("review__claim").order_by("start", "id")
    )
    for row, outcome in zip(evidence, reanchorer.locate_all([anchor_of(e) for e in evidence]), strict=True):
        old_exact = row.exact
        apply_outcome(row, outcome, new=report.new, at=at)
        row._history_user = by
        row.save()
        report.entries.append(ReanchorEntry("evidence", row, row.review.claim, old_exact, outcome))

    by_claim: dict[int, list[ReanchorEntry]] = {}
    for entry in report.entries:
        if entry.outcome.state in NEEDS_RECHECK and entry.claim.status == Claim.Status.PUBLISHED:
            if entry.kind == "evidence" and entry.anchor.review.status != "submitted":
                continue
            by_claim.setdefault(entry.claim.pk, []).append(entry)
    for entries in by_claim.values():
        claim = Claim.objects.select_for_update().get(pk=entries[0].claim.pk)
        opened = Recheck.objects.bulk_create([_open_for_entry(entry, report, at) for entry in entries])
        _bump(claim, by)
        _record(claim, "opened", opened, document=report.new.pk, reasons=sorted({r.reason for r in opened}))
        notifications.on_recheck_opened(claim=claim, reason=opened[0].get_reason_display().lower())
        report.rechecks.extend(opened)


def close_open_rechecks(claim: Claim, *, by, resolution: str, note: str = "", at=None) -> list[Recheck]:
    """Close every open re-check of a locked claim (a correction or retraction answers them all)."""
    rechecks = list(Recheck.objects.open().filter(claim=claim))
    if not rechecks:
        return []
    at = at or timezone.now()
    for recheck in rechecks:
        recheck.closed_at, recheck.closed_by, recheck.resolution, recheck.note = at, by, resolution, note
        recheck._history_user = by
        recheck.save()
    _record(claim, "closed", rechecks, resolution=resolution)
    return rechecks


def recheck_confirm(*, recheck: Recheck, by: AbstractBaseUser, note: str = "") -> Recheck:
    """An editor confirms the verdict still stands: a changed anchor moves to where it was found
    in the new version; an overdue verdict gets a new re-check date; the re-check closes."""
    if by is None or not by.has_perm("reviews.correct_verdict"):
        raise NotPermitted("recheck_permission", "You do not have permission to resolve re-checks.")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=recheck.claim_id)
        locked = Recheck.objects.select_for_update().get(pk=recheck.pk)
        if not locked.is_open:
            raise TransitionNotAllowed("recheck_closed", "This re-check is already closed.")
        now = timezone.now()
        anchor = locked.appearance or locked.evidence
        if anchor is not None and anchor.candidate_document_id is not None:
            from claims.anchoring import selector_at

            selector = selector_at(anchor.candidate_document.text, anchor.candidate_start, anchor.candidate_end)
            anchor.document = anchor.candidate_document
            for name, value in selector.fields().items():
                setattr(anchor, name, value)
            anchor.anchor_state = AnchorState.MOVED
            anchor.anchor_note = f"new anchor confirmed by {by}"
            anchor.candidate_document = anchor.candidate_start = anchor.candidate_end = None
            anchor.full_clean()
            anchor._history_user = by
            anchor.save()
        if locked.reason == Recheck.Reason.OVERDUE:
            verdict = Verdict.objects.filter(claim=claim).order_by("-version").first()
            verdict.recheck_by = recheck_after(claim.kind, now.date())
            verdict._history_user = by
            verdict.save(update_fields=["recheck_by"])
        locked.closed_at, locked.closed_by = now, by
        locked.resolution, locked.note = Recheck.Resolution.CONFIRMED, note.strip()
        locked.full_clean()
        locked._history_user = by
        locked.save()
        _bump(claim, by)
        _record(claim, "closed", [locked], resolution=locked.resolution)
    return locked


def rechecks_open_overdue(*, by, today: date | None = None) -> list[Recheck]:
    """Open an overdue re-check for every published verdict past its re-check date (idempotent)."""
    today = today or timezone.localdate()
    now = timezone.now()
    opened = []
    with transaction.atomic():
        already = Recheck.objects.open().filter(reason=Recheck.Reason.OVERDUE).values("claim")
        for verdict in Verdict.objects.overdue(today).exclude(claim__in=already).select_related("claim"):
            claim = Claim.objects.select_for_update().get(pk=verdict.claim_id)
            recheck = Recheck(
                claim=claim,
                reason=Recheck.Reason.OVERDUE,
                detail=f"Verdict v{verdict.version} was due for a re-check on {verdict.recheck_by.isoformat()}.",
                opened_at=now,
            )
            recheck.full_clean()
            recheck._history_user = by
            recheck.save()
            _bump(claim, by)
            _record(claim, "opened", [recheck], reasons=[recheck.reason])
            notifications.on_recheck_opened(claim=claim, reason=recheck.detail)
            opened.append(recheck)
    return opened
