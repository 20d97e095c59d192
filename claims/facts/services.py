"""Writes for structured facts and conflict triage. The admin, the API and load_curated call these.

Each `<fact>_set` creates or replaces the one structure a claim carries of that kind, validates
it with full_clean (field errors by name), saves it, and then re-runs conflict detection for
the claim, all in one transaction: a fact that fails validation leaves nothing behind.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from claims import changelog
from claims.errors import TransitionNotAllowed
from claims.facts import conflicts
from claims.models import (
    Change,
    Claim,
    Conflict,
    ContractRelation,
    Entity,
    EventFact,
    KnowledgeFact,
    QuantityFact,
    WageFigure,
)
from claims.services import require_user

FACT_MODELS = {
    "wage": WageFigure,
    "contract": ContractRelation,
    "knowledge": KnowledgeFact,
    "quantity": QuantityFact,
    "event": EventFact,
}


# Conflict detection writes rows that reference *other* claims (their foreign keys take a share
# lock on those claims' rows). Two fact writes on claims that conflict with each other would
# each hold their own claim and wait for the other's: a deadlock. Every write that runs
# detection first takes this transaction-level advisory lock (PostgreSQL; SQLite already has one
# writer at a time), before any row lock, so such writes run one after the other.
_DETECTION_LOCK = 0x6661637473  # "facts"


def _serialize_detection() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_DETECTION_LOCK])


def _lock_claim(claim: Claim) -> Claim:
    _serialize_detection()
    # Lock the claim so two editors structuring it at once cannot both create its fact,
    # and detection for the claim sees one settled version of its facts.
    return Claim.objects.select_for_update().get(pk=claim.pk)


def _save_fact(model, *, claim: Claim, by, values: dict):
    require_user(by, "claims.change_claim")
    with transaction.atomic():
        claim = _lock_claim(claim)
        fact = model.objects.filter(claim=claim).first() or model(claim=claim)
        for name, value in values.items():
            setattr(fact, name, value)
        fact.full_clean()
        fact._history_user = by
        fact.save()
        conflicts.detect_for_claim(claim=claim, by=by)
        _record_fact_change(claim, model, removed=False)
    return fact


def wage_set(
    *,
    claim: Claim,
    amount: Decimal | str,
    period: str,
    currency: str = "USD",
    qualifier: str = "exactly",
    payer: Entity | None = None,
    payee: Entity | None = None,
    stated_by: Entity | None = None,
    measure: str = "",
    refers_from: date | str | None = None,
    refers_to: date | str | None = None,
    by,
) -> WageFigure:
    """Give a wage claim its figure (replacing any earlier one) and re-detect its conflicts."""
    return _save_fact(WageFigure, claim=claim, by=by, values=_fields(locals()))


def contract_set(
    *,
    claim: Claim,
    engager: Entity,
    engaged: Entity,
    role: str,
    status: str = "unknown",
    since: date | str | None = None,
    until: date | str | None = None,
    stated_by: Entity | None = None,
    by,
) -> ContractRelation:
    """Give a contract claim its relationship (replacing any earlier one) and re-detect its conflicts."""
    return _save_fact(ContractRelation, claim=claim, by=by, values=_fields(locals()))


def knowledge_set(
    *,
    claim: Claim,
    actor: Entity,
    polarity: str,
    subject_claim: Claim | None = None,
    subject_text: str = "",
    known_on: date | str | None = None,
    when_event: str = "",
    stated_by: Entity | None = None,
    by,
) -> KnowledgeFact:
    """Record who knew (or did not know, or learned) what and when, and re-detect conflicts."""
    return _save_fact(KnowledgeFact, claim=claim, by=by, values=_fields(locals()))


def quantity_set(
    *, claim: Claim, measure: str, value: Decimal | str | int, unit: str = "", qualifier: str = "exactly", by
) -> QuantityFact:
    """Give a quantity claim its count (replacing any earlier one) and re-detect its conflicts."""
    return _save_fact(QuantityFact, claim=claim, by=by, values=_fields(locals()))


def event_set(
    *,
    claim: Claim,
    actor: Entity,
    action: str,
    recipient: Entity | None = None,
    object: str = "",
    occurred_on: date | str | None = None,
    by,
) -> EventFact:
    """Record who did what to whom, and when, and re-detect conflicts."""
    return _save_fact(EventFact, claim=claim, by=by, values=_fields(locals()))


def fact_remove(*, fact, by) -> None:
    """Remove a claim's structure; its open conflicts go with it, triaged ones stay as decided."""
    require_user(by, "claims.change_claim")
    with transaction.atomic():
        claim = _lock_claim(fact.claim)
        fact._history_user = by
        fact.delete()
        conflicts.detect_for_claim(claim=claim, by=by)
        _record_fact_change(claim, type(fact), removed=True)


def _record_fact_change(claim: Claim, model, *, removed: bool) -> None:
    # The claim's own fact changed; detection may also have rewritten the values of its confirmed
    # conflicts, which the other claim of each pair shows too.
    name = next(key for key, value in FACT_MODELS.items() if value is model)
    changelog.record([claim], Change.Kind.FACT, detail={"fact": name, "removed": removed})
    partners = Conflict.objects.confirmed().for_claims([claim.pk]).values_list("claim_a_id", "claim_b_id")
    others = {pk for pair in partners for pk in pair} - {claim.pk}
    changelog.record(
        Claim.objects.filter(pk__in=others).order_by("pk"), Change.Kind.CONFLICT, detail={"fact_of": claim.pk}
    )


def _fields(values: dict) -> dict:
    # The setter's own keyword arguments are the model's field names.
    return {name: value for name, value in values.items() if name not in {"claim", "by"}}


# --- Loading the curated fixture blocks ---------------------------------------------------

# fixture field -> (model field, how to resolve it)
_BLOCK_FIELDS = {
    "wage": {
        "amount": "amount", "currency": "currency", "period": "period", "qualifier": "qualifier",
        "payer": "payer@", "payee": "payee@", "stated_by": "stated_by@", "measure": "measure",
        "refers_from": "refers_from", "refers_to": "refers_to",
    },
    "contract": {
        "engager": "engager@", "engaged": "engaged@", "role": "role", "status": "status",
        "since": "since", "until": "until", "stated_by": "stated_by@",
    },
    "knowledge": {
        "actor": "actor@", "subject": "subject_claim#", "subject_text": "subject_text", "polarity": "polarity",
        "when": "known_on", "when_event": "when_event", "stated_by": "stated_by@",
    },
    "quantity": {"measure": "measure", "value": "value", "unit": "unit", "qualifier": "qualifier"},
    "event": {"actor": "actor@", "action": "action", "recipient": "recipient@", "object": "object", "date": "occurred_on"},
}  # fmt: skip
_SETTERS = {
    "wage": wage_set,
    "contract": contract_set,
    "knowledge": knowledge_set,
    "quantity": quantity_set,
    "event": event_set,
}


def structure_set(*, claim: Claim, block: str, data: dict, entities: dict[str, Entity], by) -> object:
    """Apply one structured block of the curated fixture (entity keys, claim keys) to a claim."""
    if block not in _BLOCK_FIELDS:
        raise ValidationError({"block": f"Unknown structure {block!r}; expected one of {', '.join(_BLOCK_FIELDS)}."})
    if not isinstance(data, dict):
        raise ValidationError({block: "A structured block must be an object."})
    fields = _BLOCK_FIELDS[block]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValidationError({block: f"Unknown field(s) {', '.join(unknown)}; expected {', '.join(fields)}."})
    values, errors = {}, {}
    for key, target in fields.items():
        raw = data.get(key)
        name = target.rstrip("@#")
        if raw is None or raw == "":
            if key in _REQUIRED[block]:
                errors[key] = "This field is required."
            elif name in _NULLABLE:
                values[name] = None
            # otherwise the field keeps its default (blank text, USD, exactly, unknown)
        elif target.endswith("@"):
            if raw in entities:
                values[name] = entities[raw]
            else:
                errors[key] = f"Unknown entity key {raw!r}."
        elif target.endswith("#"):
            values[name] = Claim.objects.filter(slug=raw).first()
            if values[name] is None:
                errors[key] = f"Unknown claim key {raw!r}."
        else:
            values[name] = raw
    if errors:
        raise ValidationError(errors)
    return _SETTERS[block](claim=claim, by=by, **values)


_REQUIRED = {
    "wage": {"amount", "period"},
    "contract": {"engager", "engaged", "role"},
    "knowledge": {"actor", "polarity"},
    "quantity": {"measure", "value"},
    "event": {"actor", "action"},
}
_NULLABLE = {
    "payer", "payee", "stated_by", "refers_from", "refers_to", "since", "until", "subject_claim",
    "known_on", "recipient", "occurred_on",
}  # fmt: skip


def detect_for_claim(*, claim: Claim, by) -> list[Conflict]:
    """Re-run conflict detection for one claim against every other claim; returns its current conflicts."""
    require_user(by, "claims.change_conflict")
    with transaction.atomic():
        _serialize_detection()
        return conflicts.detect_for_claim(claim=claim, by=by)


# --- Triage ------------------------------------------------------------------------------


def _triage(*, conflict: Conflict, by, status: str, note: str) -> Conflict:
    require_user(by, "claims.change_conflict")
    with transaction.atomic():
        # Lock the conflict so two editors triaging it at once cannot overwrite each other.
        conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.status == status:
            raise TransitionNotAllowed(
                f"conflict_already_{status}", f"This conflict is already {conflict.get_status_display().lower()}."
            )
        conflict.status = status
        conflict.triage_note = note.strip()
        conflict.triaged_by = by
        conflict.triaged_at = timezone.now()
        conflict.full_clean()
        conflict._history_user = by
        conflict.save()
        changelog.record(
            Claim.objects.filter(pk__in=[conflict.claim_a_id, conflict.claim_b_id]).order_by("pk"),
            Change.Kind.CONFLICT,
            detail={"conflict": conflict.pk, "status": status},
        )
    return conflict


def conflict_confirm(*, conflict: Conflict, by, note: str = "") -> Conflict:
    """An editor agrees the two claims disagree: it is shown on both claims and can be cited."""
    return _triage(conflict=conflict, by=by, status=Conflict.Status.CONFIRMED, note=note)


def conflict_dismiss(*, conflict: Conflict, by, reason: str) -> Conflict:
    """An editor finds the two claims compatible; the reason is required and kept."""
    if not reason or not reason.strip():
        raise ValidationError({"triage_note": "Say why the conflict is dismissed."})
    return _triage(conflict=conflict, by=by, status=Conflict.Status.DISMISSED, note=reason)


def conflict_reopen(*, conflict: Conflict, by, note: str = "") -> Conflict:
    """Put a triaged conflict back in the open queue."""
    return _triage(conflict=conflict, by=by, status=Conflict.Status.OPEN, note=note)


def detect_all(*, by) -> dict[str, int]:
    """Re-run detection over every claim: counts of conflicts created, updated, kept and removed."""
    require_user(by, "claims.change_conflict")
    with transaction.atomic():
        _serialize_detection()
        return conflicts.detect_all(by=by)
