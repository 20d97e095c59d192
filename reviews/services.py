"""The review workflow: one service per transition, used by the admin, the API and commands.

States: draft → submitted → in_review → reviewed → published (→ retracted). Each service
checks the user's permission (NotPermitted), the claim's state and the step's rules
(TransitionNotAllowed), all read from the table in reviews/transitions.py, then
validates its input (ValidationError with field names), writes, records a Transition
row and bumps the claim's version, all in one transaction. Nothing is half-written.

Every write sets the history user explicitly (`_history_user`, or `default_user` for bulk
writes) so history names who did it even outside a request (commands, tests, the API).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Max, Min
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from claims import anchoring, changelog
from claims.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from claims.models import Change, Claim, Conflict, SourceDocument
from claims.querysets import PUBLIC_STATUSES
from claims.services import require_user
from reviews import notifications, transitions
from reviews.models import Assignment, Evidence, Rating, Recheck, Review, Transition, Verdict
from reviews.querysets import claim_reviewers_disagree
from reviews.rechecks import close_open_rechecks, recheck_after
from reviews.roles import is_reviewer
from reviews.transitions import TRANSITIONS

Status = Claim.Status

# Where a claim sits in the workflow; load_demo_workflow uses it to skip finished claims.
STATUS_ORDER = [Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.REVIEWED, Status.PUBLISHED, Status.RETRACTED]


@dataclass(frozen=True)
class EvidenceInput:
    """One evidence item as a caller gives it: a passage (document + quote, or offsets) or a URL."""

    stance: str
    document: SourceDocument | int | None = None
    quote: str = ""
    occurrence: int | None = None
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    url: str = ""
    title: str = ""
    excerpt: str = ""


# --- helpers ----------------------------------------------------------------------------


def _lock_claim(claim: Claim, expected_version: int | None) -> Claim:
    # Lock the claim row for the whole transition: two simultaneous requests (two publishes,
    # two reviewers completing the review) then run one after the other, and the second
    # sees the first one's state instead of acting on a stale copy.
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current_version=locked.version)
    return locked


def _lock_for(step: transitions.Step, claim: Claim, by, expected_version: int | None) -> Claim:
    """Check `by` may take `step`, then lock the claim and check its state and the step's rules."""
    transitions.require_permission(step, by)
    locked = _lock_claim(claim, expected_version)
    transitions.require_state(step, locked, by)
    return locked


def _require_text(errors: dict, field: str, value: str, message: str) -> None:
    if not (value or "").strip():
        errors[field] = message


def _require_rating(errors: dict, rating) -> None:
    if not isinstance(rating, Rating) or rating.pk is None:
        errors["rating"] = "Choose a rating from the scale."


def _move(
    claim: Claim, to: str, *, by, note: str, at=None, change: str = Change.Kind.STATUS, detail: dict | None = None
) -> Transition:
    """Change the claim's status, bump its version and log the step. The claim must be locked.

    The change-log row is the step's last write: its lock serializes log writers until commit.
    """
    at = at or timezone.now()
    from_status = claim.status
    claim.status = to
    claim.version += 1
    claim.full_clean(validate_unique=False)
    claim._history_user = by
    claim.save()
    transition = Transition.objects.create(claim=claim, from_status=from_status, to_status=to, by=by, at=at, note=note)
    changelog.record(
        [claim], change, status_before={claim.pk: from_status}, detail={"from": from_status, "to": to, **(detail or {})}
    )
    if (from_status in PUBLIC_STATUSES) != (to in PUBLIC_STATUSES):
        # A knowledge fact names the claim it is about only while the reader may see that claim
        # (api.feed), so the claims whose knowledge is about this one change for the public too.
        changelog.record(
            Claim.objects.filter(knowledge__subject_claim=claim).order_by("pk"),
            Change.Kind.FACT,
            detail={"subject_claim": claim.pk},
        )
    return transition


def _sync(target: Claim, source: Claim) -> None:
    """Copy the new workflow fields onto the caller's instance so it is not left stale."""
    for field in ("status", "version", "published_at", "verdict_updated_at", "updated_at"):
        setattr(target, field, getattr(source, field))


def _document(value: SourceDocument | int) -> SourceDocument:
    if isinstance(value, SourceDocument):
        return value
    try:
        return SourceDocument.objects.get(pk=value)
    except (SourceDocument.DoesNotExist, ValueError, TypeError):
        raise anchoring.AnchorError(f"there is no document {value!r}") from None


def _build_evidence(item: EvidenceInput) -> Evidence:
    """An unsaved Evidence row for `item`; raises ValueError with a readable message."""
    if item.stance not in Evidence.Stance.values:
        raise ValueError(f"the stance must be one of {', '.join(Evidence.Stance.values)}, not {item.stance!r}")
    has_passage = item.document not in (None, "")
    has_url = bool((item.url or "").strip())
    if has_passage == has_url:
        raise ValueError("give either a passage of a source document or an outside URL (exactly one of them)")
    if has_url:
        url = item.url.strip()
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValueError(f"{url!r} is not a valid http(s) URL") from None
        if not (item.title or "").strip():
            raise ValueError("an outside source needs a title")
        return Evidence(stance=item.stance, url=url, title=item.title.strip(), excerpt=(item.excerpt or "").strip())
    document = _document(item.document)
    try:
        selector = anchoring.locate(
            document.text,
            quote=item.quote,
            prefix=item.prefix,
            suffix=item.suffix,
            occurrence=item.occurrence,
            start=item.start,
            end=item.end,
        )
    except anchoring.AnchorError as exc:
        raise anchoring.AnchorError(f"in “{document}”, {exc}") from exc
    return Evidence(stance=item.stance, document=document, **selector.fields())


def _deactivate(assignments: Sequence[Assignment], *, by) -> None:
    for assignment in assignments:
        assignment.active = False
    if assignments:
        bulk_update_with_history(assignments, Assignment, ["active"], default_user=by)


# --- transitions ------------------------------------------------------------------------


def claim_submit_for_review(
    *, claim: Claim, by: AbstractBaseUser, note: str = "", expected_version: int | None = None
) -> Claim:
    """Draft → submitted: an editor puts the claim in the review queue."""
    step = TRANSITIONS["submit"]
    with transaction.atomic():
        locked = _lock_for(step, claim, by, expected_version)
        _move(locked, step.target, by=by, note=note)
    _sync(claim, locked)
    return locked


def claim_assign_reviewers(
    *,
    claim: Claim,
    by: AbstractBaseUser,
    reviewers: Sequence[AbstractBaseUser],
    note: str = "",
    due_at: datetime | None = None,
    expected_version: int | None = None,
) -> Claim:
    """Submitted or in review → in review: an editor sets who reviews; reassigning replaces the set.

    New assignments are due at `due_at`, by default ASSIGNMENT_DUE_DAYS from now.
    """
    step = TRANSITIONS["assign"]
    with transaction.atomic():
        locked = _lock_for(step, claim, by, expected_version)
        wanted = list({user.pk: user for user in reviewers if user is not None}.values())
        required = settings.REVIEWS_REQUIRED
        problems = []
        if len(wanted) < required:
            problems.append(f"Assign at least {required} reviewers: the claim needs {required} independent reviews.")
        problems += [
            f"{user} may not be assigned claims to review (not a reviewer)." for user in wanted if not is_reviewer(user)
        ]
        current = list(Assignment.objects.active().filter(claim=locked).select_related("reviewer"))
        wanted_ids = {user.pk for user in wanted}
        removed = [a for a in current if a.reviewer_id not in wanted_ids]
        already_reviewed = set(
            Review.objects.submitted()
            .filter(claim=locked, reviewer__in=[a.reviewer_id for a in removed])
            .values_list("reviewer_id", flat=True)
        )
        problems += [
            f"{a.reviewer} has already submitted a review of this claim and cannot be unassigned."
            for a in removed
            if a.reviewer_id in already_reviewed
        ]
        if problems:
            raise ValidationError({"reviewers": problems})
        kept_ids = {a.reviewer_id for a in current} - {a.reviewer_id for a in removed}
        _deactivate(removed, by=by)
        due_at = due_at or timezone.now() + timedelta(days=settings.ASSIGNMENT_DUE_DAYS)
        added = [
            Assignment(claim=locked, reviewer=user, assigned_by=by, due_at=due_at)
            for user in wanted
            if user.pk not in kept_ids
        ]
        for assignment in added:
            assignment.full_clean(validate_constraints=False)
        bulk_create_with_history(added, Assignment, default_user=by)
        names = ", ".join(sorted(str(user) for user in wanted))
        _move(locked, step.target, by=by, note=note or f"Reviewers: {names}")
        notifications.on_assigned(claim=locked, by=by, assignments=added)
    _sync(claim, locked)
    return locked


def review_record(
    *,
    claim: Claim,
    reviewer: AbstractBaseUser,
    rating: Rating,
    rationale: str,
    evidence: Sequence[EvidenceInput],
) -> Review:
    """An assigned reviewer submits their independent review; the last required one moves the claim to reviewed."""
    step = TRANSITIONS["review"]
    with transaction.atomic():
        locked = _lock_for(step, claim, reviewer, None)
        existing = Review.objects.filter(claim=locked, reviewer=reviewer).first()

        errors: dict = {}
        _require_rating(errors, rating)
        _require_text(errors, "rationale", rationale, "Explain your rating: a rationale is required.")
        evidence_rows, evidence_errors = [], []
        if not evidence:
            evidence_errors.append("Give at least one evidence item.")
        for number, item in enumerate(evidence, start=1):
            try:
                evidence_rows.append(_build_evidence(item))
            except ValueError as exc:  # AnchorError is a ValueError
                evidence_errors.append(f"Evidence {number}: {exc}.")
        if evidence_errors:
            errors["evidence"] = evidence_errors
        if errors:
            raise ValidationError(errors)

        now = timezone.now()
        # A review reopened by a send-back is revised in place (one row per reviewer and claim);
        # its earlier content stays in history.
        review = existing or Review(claim=locked, reviewer=reviewer)
        if existing is not None:
            review.version += 1
        review.rating = rating
        review.rationale = rationale.strip()
        review.status = Review.Status.SUBMITTED
        review.submitted_at = now
        review.full_clean()
        review._history_user = reviewer
        review.save()
        if existing is not None:
            for old in list(existing.evidence.all()):
                old._history_user = reviewer
                old.delete()
        for row in evidence_rows:
            row.review = review
            row.full_clean()
        bulk_create_with_history(evidence_rows, Evidence, default_user=reviewer)

        ready = Review.objects.submitted().filter(claim=locked).count() >= settings.REVIEWS_REQUIRED
        if ready:
            _move(locked, step.target, by=reviewer, note="required reviews in", at=now)
        notifications.on_review_submitted(claim=locked, review=review, ready=ready)
    _sync(claim, locked)
    return review


def claim_send_back(*, claim: Claim, by: AbstractBaseUser, reason: str, expected_version: int | None = None) -> Claim:
    """Any state before publication → draft, with a reason; assignments end and reviews reopen."""
    step = TRANSITIONS["send_back"]
    with transaction.atomic():
        locked = _lock_for(step, claim, by, expected_version)
        errors: dict = {}
        _require_text(errors, "reason", reason, "Say why the claim is sent back.")
        if errors:
            raise ValidationError(errors)
        ended = list(Assignment.objects.active().filter(claim=locked).select_related("reviewer"))
        _deactivate(ended, by=by)
        # The claim may change before it comes back, so earlier reviews must be looked at again.
        reopened = list(Review.objects.submitted().filter(claim=locked))
        for review in reopened:
            review.status = Review.Status.DRAFT
        if reopened:
            bulk_update_with_history(reopened, Review, ["status"], default_user=by)
        _move(locked, step.target, by=by, note=reason.strip())
        notifications.on_sent_back(claim=locked, by=by, reason=reason.strip(), reviewers=[a.reviewer for a in ended])
    _sync(claim, locked)
    return locked


def _validate_conflicts(errors: dict, claim: Claim, cited_conflicts) -> list[Conflict]:
    conflicts = list(cited_conflicts or ())
    if not conflicts:
        return conflicts
    given = [c.pk for c in conflicts if isinstance(c, Conflict)]
    citable = set(Conflict.objects.confirmed_of(claim).filter(pk__in=given).values_list("pk", flat=True))
    bad = [c for c in conflicts if not isinstance(c, Conflict) or c.pk not in citable]
    if bad:
        errors["cited_conflicts"] = [
            f"Conflict {getattr(c, 'pk', c)} is not a confirmed conflict involving this claim." for c in bad
        ]
    return conflicts


def _validity(errors: dict, valid_until: date | None, recheck_by: date | None) -> dict:
    # Only what the editor gave: _write_verdict fills in the default re-check date.
    today = timezone.now().date()
    if valid_until is not None and valid_until < today:
        errors["valid_until"] = "A verdict cannot stop holding before it is published: give today or a later date."
    if recheck_by is not None and recheck_by < today:
        errors["recheck_by"] = "The re-check date is in the past: give today or a later date."
    fields = {"valid_until": valid_until}
    if recheck_by is not None:
        fields["recheck_by"] = recheck_by
    return fields


def _write_verdict(locked: Claim, *, by: AbstractBaseUser, cited_conflicts: Iterable[Conflict], **fields) -> Verdict:
    """Write one new verdict version of a locked claim, in the caller's transaction.

    Versions are only ever added: this is the one place a Verdict row is created, and
    nothing updates one. The claim's verdict_updated_at follows, so the feed sees it.
    """
    now = timezone.now()
    fields.setdefault("recheck_by", recheck_after(locked.kind, now.date()))
    verdict = Verdict(claim=locked, published_by=by, published_at=now, **fields)
    verdict.full_clean()
    verdict._history_user = by
    verdict.save()
    verdict.cited_conflicts.set(cited_conflicts)
    locked.verdict_updated_at = verdict.published_at
    return verdict


def claim_publish(
    *,
    claim: Claim,
    by: AbstractBaseUser,
    rating: Rating,
    summary: str,
    resolution: str = "",
    cited_conflicts: Iterable[Conflict] = (),
    valid_until: date | None = None,
    recheck_by: date | None = None,
    expected_version: int | None = None,
) -> Verdict:
    """Reviewed → published: an editor who did not review the claim publishes verdict version 1.

    `recheck_by` defaults to RECHECK_AFTER_DAYS for the claim's kind; `valid_until` to none.
    """
    step = TRANSITIONS["publish"]
    with transaction.atomic():
        locked = _lock_for(step, claim, by, expected_version)
        errors: dict = {}
        _require_rating(errors, rating)
        _require_text(errors, "summary", summary, "Write the public summary of the verdict.")
        if claim_reviewers_disagree(locked):
            _require_text(
                errors, "resolution", resolution, "The reviewers disagree: record how the disagreement was resolved."
            )
        conflicts = _validate_conflicts(errors, locked, cited_conflicts)
        validity = _validity(errors, valid_until, recheck_by)
        if errors:
            raise ValidationError(errors)
        verdict = _write_verdict(
            locked,
            by=by,
            cited_conflicts=conflicts,
            version=1,
            kind=Verdict.Kind.ORIGINAL,
            rating=rating,
            summary=summary.strip(),
            resolution=(resolution or "").strip(),
            **validity,
        )
        now = verdict.published_at
        locked.published_at = now
        _move(
            locked,
            step.target,
            by=by,
            note=f"Published: {rating}",
            at=now,
            change=Change.Kind.PUBLISHED,
            detail={"verdict_version": verdict.version},
        )
        # Its confirmed conflicts now show on the other claims' public pages too.
        partners = Conflict.objects.confirmed().for_claims([locked.pk]).values_list("claim_a_id", "claim_b_id")
        others = {pk for pair in partners for pk in pair} - {locked.pk}
        changelog.record(
            Claim.objects.filter(pk__in=others).order_by("pk"), Change.Kind.CONFLICT, detail={"published": locked.pk}
        )
    _sync(claim, locked)
    return verdict


def verdict_correct(
    *,
    claim: Claim,
    by: AbstractBaseUser,
    rating: Rating,
    summary: str,
    note: str,
    valid_until: date | None = None,
    recheck_by: date | None = None,
    expected_version: int | None = None,
) -> Verdict:
    """Published → published: a correction is a new verdict version; earlier versions never change.

    It answers the claim's open re-checks (closed as corrected).
    """
    step = TRANSITIONS["correct"]
    with transaction.atomic():
        locked = _lock_for(step, claim, by, expected_version)
        errors: dict = {}
        _require_rating(errors, rating)
        _require_text(errors, "summary", summary, "Write the corrected public summary.")
        _require_text(errors, "note", note, "Say what the correction changes.")
        validity = _validity(errors, valid_until, recheck_by)
        if errors:
            raise ValidationError(errors)
        previous = Verdict.objects.current_of(locked)
        verdict = _write_verdict(
            locked,
            by=by,
            cited_conflicts=previous.cited_conflicts.all(),
            version=previous.version + 1,
            kind=Verdict.Kind.CORRECTION,
            rating=rating,
            summary=summary.strip(),
            resolution=previous.resolution,
            correction_note=note.strip(),
            **validity,
        )
        close_open_rechecks(locked, by=by, resolution=Recheck.Resolution.CORRECTED, note=note.strip())
        _move(
            locked,
            step.target,
            by=by,
            note=f"Correction (v{verdict.version}): {note.strip()}",
            at=verdict.published_at,
            change=Change.Kind.CORRECTED,
            detail={"verdict_version": verdict.version},
        )
    _sync(claim, locked)
    return verdict


def verdict_retract(*, claim: Claim, by: AbstractBaseUser, reason: str, expected_version: int | None = None) -> Verdict:
    """Published → retracted: a last verdict version of kind retraction, carrying the reason.

    The retraction keeps the previous rating and summary (what is being withdrawn) so readers
    can still see what was said; the reason is its correction note and the claim's status says
    retracted. No rating is invented for it.
    """
    step = TRANSITIONS["retract"]
    with transaction.atomic():
        locked = _lock_for(step, claim, by, expected_version)
        errors: dict = {}
        _require_text(errors, "reason", reason, "Say why the verdict is retracted.")
        if errors:
            raise ValidationError(errors)
        previous = Verdict.objects.current_of(locked)
        verdict = _write_verdict(
            locked,
            by=by,
            cited_conflicts=previous.cited_conflicts.all(),
            version=previous.version + 1,
            kind=Verdict.Kind.RETRACTION,
            rating=previous.rating,
            summary=previous.summary,
            resolution=previous.resolution,
            correction_note=reason.strip(),
            recheck_by=None,
        )
        close_open_rechecks(locked, by=by, resolution=Recheck.Resolution.RETRACTED, note=reason.strip())
        _move(
            locked,
            step.target,
            by=by,
            note=reason.strip(),
            at=verdict.published_at,
            change=Change.Kind.RETRACTED,
            detail={"verdict_version": verdict.version},
        )
    _sync(claim, locked)
    return verdict


def check_merge_verdicts(*, survivor: Claim, merged: Claim) -> None:
    """Refuse to merge two claims whose published verdicts disagree (a MERGE_CHECKS rule).

    Two current verdicts disagree when their ratings differ or when one is retracted and the other
    stands: one claim cannot carry both. The editor corrects or retracts one first.
    """
    verdicts = [Verdict.objects.current_of(claim) for claim in (survivor, merged)]
    if None in verdicts:
        return
    ours, theirs = verdicts
    retracted = Verdict.Kind.RETRACTION
    if ours.rating_id != theirs.rating_id or (ours.kind == retracted) != (theirs.kind == retracted):
        raise TransitionNotAllowed(
            "merge_verdicts_disagree",
            f"Both claims carry published verdicts that disagree ({survivor.slug}: {_verdict_words(ours)}; "
            f"{merged.slug}: {_verdict_words(theirs)}). Correct or retract one of them before merging.",
        )


def _verdict_words(verdict: Verdict) -> str:
    return f"retracted {verdict.rating}" if verdict.kind == Verdict.Kind.RETRACTION else str(verdict.rating)


def allowed_actions(*, claim: Claim, user) -> list[str]:
    """The transitions `user` may take on `claim` now (the admin's buttons): the services' own checks."""
    return transitions.allowed(claim=claim, user=user)


# --- the rating scale --------------------------------------------------------------------
# Every verdict shows its rating (label, slug, value, the scale's best and worst), so editing the
# scale is a change of every claim that shows it. The colour is not in any claim's representation
# (the public pages take it from /ratings.css, which has its own validator).

_SHOWN_RATING_FIELDS = ("label", "slug", "value")
# What only administrators may change (editors keep colours and descriptions).
_SCALE_FIELDS = ("label", "slug", "value", "order")


def _scale_ends() -> tuple:
    return tuple(Rating.objects.filter(value__isnull=False).aggregate(best=Max("value"), worst=Min("value")).values())


def _record_rating_change(rating_pk: int | None, *, shown_changed: bool, ends_before: tuple) -> None:
    """Log a change for every claim whose representation the write changed: the claims with a
    verdict version of this rating if what is shown of it changed, and every claim with a verdict
    on the scale if the scale's best or worst value moved."""
    touched = models.Q(pk__in=[])
    if shown_changed and rating_pk is not None:
        touched |= models.Q(pk__in=Verdict.objects.filter(rating_id=rating_pk).values("claim_id"))
    if _scale_ends() != ends_before:
        touched |= models.Q(pk__in=Verdict.objects.filter(rating__value__isnull=False).values("claim_id"))
    changelog.record(Claim.objects.filter(touched).order_by("pk"), Change.Kind.RATING, detail={"rating": rating_pk})


def rating_save(*, rating: Rating, by: AbstractBaseUser) -> Rating:
    """Create a step of the rating scale or save the caller's edits to one (label, slug, value,
    description, order, colour), validated, with the change logged for every claim it shows on."""
    require_user(by, "reviews.change_rating" if rating.pk else "reviews.add_rating")
    with transaction.atomic():
        # Lock the scale: two edits at once must each see the other's ends when they compare.
        list(Rating.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        before = Rating.objects.filter(pk=rating.pk).values(*_SCALE_FIELDS).first() if rating.pk else None
        if not by.is_superuser and (before is None or any(before[f] != getattr(rating, f) for f in _SCALE_FIELDS)):
            raise NotPermitted(
                "scale_admins_only",
                "Only administrators change the scale's labels, slugs, values and order; editors keep its "
                "colours and descriptions.",
            )
        ends_before = _scale_ends()
        rating.full_clean()
        rating._history_user = by
        rating.save()
        shown_changed = before is not None and any(before[f] != getattr(rating, f) for f in _SHOWN_RATING_FIELDS)
        _record_rating_change(rating.pk, shown_changed=shown_changed, ends_before=ends_before)
    return rating


def rating_delete(*, rating: Rating, by: AbstractBaseUser) -> None:
    """Remove an unused step of the scale (verdicts, reviews and mappings protect the ones in use);
    the claims on the scale change if it moved the scale's ends."""
    require_user(by, "reviews.delete_rating")
    with transaction.atomic():
        list(Rating.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        ends_before = _scale_ends()
        rating._history_user = by
        rating.delete()
        _record_rating_change(None, shown_changed=False, ends_before=ends_before)
