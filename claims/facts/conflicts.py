"""The conflict detector: finds pairs of claims whose structured facts cannot both be true.

What counts as the same thing, and when two statements about it disagree:

- Wages: same measure (case-insensitive), payer and payee equal or unknown on one side, same
  currency. Both figures are converted to a common period (settings' assumptions) and read
  as ranges: "exactly"/"about" is a value (about = within 20%), "at most"/"up to" a ceiling,
  "at least" a floor. A value above a ceiling or below a floor disagrees ("up to $20/month"
  vs "$20 a day"); so do a ceiling and a floor at the same figure ("at most $20" vs "more
  than $20"). Two different ceilings on the same period disagree: "the maximum is $20 a
  month" and "the maximum is $27.09 a month" cannot both be the rule ("at most" and "up to"
  both state the cap). Ceilings on different periods ("at most 54 cents an hour", "at most
  $20 a month") are different rules and can both hold. A rate compared with a figure on a
  longer period must disagree even at a quarter of full-time work (PART_TIME_SHARE), so no
  conflict rests on the hours assumption alone. Lump sums meet only lump sums.
- Contracts: who engaged a party (the campaign, or its vendor?) when both accounts give a
  direct role; two "subcontractor" accounts agree even with different engagers, since one
  can name the end client ("through a vendor") and the other the vendor. Two different
  vendors (or subcontractors) of one engager for the work. For one engager/engaged pair: a
  different role, active against ended ("unknown" agrees with anything), different dates.
- Quantities: same measure (units are wording: "prisons", "prison call centers"), values
  read as ranges as for wages. Two different lower bounds for the same count ("at least two
  centers" vs "at least one of the two prisons") are logically compatible, but they report
  one source's count differently, which is what a desk checking the reporting needs to see;
  so, like two caps, they are flagged. Compatible figures of different kinds (exactly 2 vs
  at least 1) are not.
- Events: same action (case-insensitive) and the same actor or the same recipient: a
  different actor or recipient disagrees; a different object or date too, when the parties
  agree (objects are free text, so they count only when nothing else differs).
- Knowledge: same actor and subject (the same linked claim, else the same subject text):
  "knew" against "did not know" disagrees unless the two are placed at different times
  (dates, or differently worded events: "before the inquiry" vs "in its reply"); "learned"
  agrees with either; two different dates for the same learning disagree.

Each finding names the field, both values and an explanation. Stored conflicts are keyed by
(claim pair, field): re-detection updates open ones, keeps triaged ones as decided, and
removes open ones that no longer hold (never one a verdict cites).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

from django.db.models import Q

from claims.facts.figures import convert
from claims.models import (
    Claim,
    Conflict,
    ContractRelation,
    EventFact,
    KnowledgeFact,
    Period,
    Qualifier,
    QuantityFact,
    WageFigure,
)

# Two figures within 1% are the same figure (rounding in reporting and in conversion).
SAME_TOLERANCE = Decimal("0.01")
# "about" covers 20% either way.
ABOUT_TOLERANCE = Decimal("0.20")

CEILINGS = {Qualifier.AT_MOST, Qualifier.UP_TO}

# Pay per hour, day or week adds up to a month only under an assumed working time (the
# settings' full-time hours). A rate is flagged against a figure on a longer period only if
# the two disagree even when the rate is worked a quarter of that time, so that no conflict
# rests on the full-time assumption alone ("20 cents an hour" fits under "$20 a month" for
# anyone working under 100 hours a month).
PART_TIME_SHARE = Decimal("0.25")
WORKING_TIME_PERIODS = {Period.HOUR, Period.DAY, Period.WEEK}


@dataclass(frozen=True)
class Finding:
    a: Claim
    b: Claim
    field: str
    value_a: str
    value_b: str
    explanation: str

    def canonical(self) -> Finding:
        """The pair in stored order (lower claim id first), values swapped to match."""
        if self.a.pk < self.b.pk:
            return self
        return Finding(self.b, self.a, self.field, self.value_b, self.value_a, self.explanation)

    @property
    def key(self) -> tuple[int, int, str]:
        first = self.canonical()
        return (first.a.pk, first.b.pk, first.field)


# --- Comparing numbers with qualifiers --------------------------------------------------


def _same(x: Decimal, y: Decimal) -> bool:
    scale = max(abs(x), abs(y))
    return scale == 0 or abs(x - y) <= scale * SAME_TOLERANCE


def _range(value: Decimal, qualifier: str) -> tuple[Decimal, Decimal | None]:
    if qualifier in CEILINGS:
        return Decimal(0), value
    if qualifier == Qualifier.AT_LEAST:
        return value, None
    if qualifier == Qualifier.ABOUT:
        return value * (1 - ABOUT_TOLERANCE), value * (1 + ABOUT_TOLERANCE)
    return value, value


def _bounded_disagreement(x: Decimal, qx: str, y: Decimal, qy: str, *, same_period: bool = True) -> str | None:
    """Why two qualified values cannot both hold, or None when they can.

    Two bounds of the same kind on the same period are two versions of one rule (the
    maximum monthly pay), so different numbers disagree; bounds on different periods
    (at most 54 cents an hour, at most $20 a month) are different rules and can both hold.
    """
    if qx in CEILINGS and qy in CEILINGS:
        if same_period and not _same(x, y):
            return "two different ceilings for the same thing: only one can be the maximum"
        return None
    if qx == Qualifier.AT_LEAST and qy == Qualifier.AT_LEAST:
        if same_period and not _same(x, y):
            return "two different lower bounds for the same figure, as reported"
        return None
    if {qx, qy} & CEILINGS and Qualifier.AT_LEAST in {qx, qy} and _same(x, y):
        # "at most $20" against "at least $20": reporting writes "more than" as a floor, and
        # the two meet only if the figure is exactly the bound, which neither says.
        return "one states the figure as a maximum, the other as a minimum"
    lo_x, hi_x = _range(x, qx)
    lo_y, hi_y = _range(y, qy)
    if hi_x is not None and lo_y > hi_x and not _same(lo_y, hi_x):
        return "one figure lies above what the other allows"
    if hi_y is not None and lo_x > hi_y and not _same(lo_x, hi_y):
        return "one figure lies above what the other allows"
    return None


# --- Wages --------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01'))} {currency}"


def _wage_text(wage: WageFigure) -> str:
    qualifier = "" if wage.qualifier == Qualifier.EXACTLY else f"{wage.get_qualifier_display()} "
    return f"{qualifier}{_money(wage.amount, wage.currency)} {wage.get_period_display()}"


def _wages_comparable(x: WageFigure, y: WageFigure) -> bool:
    if x.measure.strip().lower() != y.measure.strip().lower() or x.currency != y.currency:
        return False
    for side in ("payer_id", "payee_id"):
        left, right = getattr(x, side), getattr(y, side)
        if left is not None and right is not None and left != right:
            return False
    return (x.period == Period.LUMP_SUM) == (y.period == Period.LUMP_SUM)


def compare_wages(x: WageFigure, y: WageFigure) -> list[Finding]:
    if not _wages_comparable(x, y):
        return []
    common = x.period if x.period == y.period else Period.MONTH
    if x.period == Period.LUMP_SUM:
        vx, vy, assumptions = x.amount, y.amount, ""
    else:
        cx, cy = convert(x.amount, x.period, common), convert(y.amount, y.period, common)
        vx, vy = cx.amount, cy.amount
        assumptions = "; ".join(sorted({c.assumptions for c in (cx, cy) if c.assumptions != "no conversion"}))
    reason = _bounded_disagreement(vx, x.qualifier, vy, y.qualifier, same_period=x.period == y.period)
    if reason is None:
        return []
    if x.period != y.period and x.period != Period.LUMP_SUM:
        px = vx * PART_TIME_SHARE if x.period in WORKING_TIME_PERIODS else vx
        py = vy * PART_TIME_SHARE if y.period in WORKING_TIME_PERIODS else vy
        if _bounded_disagreement(px, x.qualifier, py, y.qualifier, same_period=False) is None:
            return []
    if x.period != y.period and _same(x.amount, y.amount):
        field = "period"
    elif x.qualifier != y.qualifier and _same(vx, vy):
        field = "qualifier"
    else:
        field = "amount"
    explanation = f"Same pay ({x.measure or 'unnamed measure'}): {_wage_text(x)} vs {_wage_text(y)}"
    if x.period != y.period:
        explanation += (
            f"; per {Period(common).label.removeprefix('per ')} that is "
            f"{_money(vx, x.currency)} vs {_money(vy, y.currency)} ({assumptions})"
        )
    explanation += f": {reason}."
    return [Finding(x.claim, y.claim, field, _wage_text(x), _wage_text(y), explanation)]


# --- Contracts ----------------------------------------------------------------------------


# Roles in the commercial chain (campaign -> vendor -> subcontractor). A subcontractor can be
# said to be engaged by the end client ("through a vendor") or by the vendor itself, so two
# subcontractor claims with different engagers agree; any direct role does not.
CHAIN_ROLES = {ContractRelation.Role.CLIENT, ContractRelation.Role.VENDOR, ContractRelation.Role.SUBCONTRACTOR}
# An engager's vendor (or subcontractor) for the work is taken to be one party: two claims
# naming different ones for the same engager disagree.
SINGLE_ROLES = {ContractRelation.Role.VENDOR, ContractRelation.Role.SUBCONTRACTOR}


def compare_contracts(x: ContractRelation, y: ContractRelation) -> list[Finding]:
    findings = []
    if (
        x.engaged_id == y.engaged_id
        and x.engager_id != y.engager_id
        and {x.role, y.role} <= CHAIN_ROLES
        and {x.role, y.role} != {ContractRelation.Role.SUBCONTRACTOR}
    ):
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "engager",
                str(x.engager),
                str(y.engager),
                f"Who engaged {x.engaged}? One claim says {x.engager} ({x.get_role_display()}), "
                f"the other {y.engager} ({y.get_role_display()}).",
            )
        )
        return findings
    if x.engager_id == y.engager_id and x.engaged_id != y.engaged_id and x.role == y.role in SINGLE_ROLES:
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "engaged",
                str(x.engaged),
                str(y.engaged),
                f"Who was the {x.get_role_display()} of {x.engager}? One claim says {x.engaged}, the other {y.engaged}.",
            )
        )
        return findings
    if (x.engager_id, x.engaged_id) != (y.engager_id, y.engaged_id):
        return findings
    pair = f"{x.engager} → {x.engaged}"
    if x.role != y.role:
        findings.append(
            Finding(x.claim, y.claim, "role", x.role, y.role, f"{pair}: one claim says {x.role}, the other {y.role}.")
        )
    statuses = {x.status, y.status}
    if statuses == {ContractRelation.Status.ACTIVE, ContractRelation.Status.ENDED}:
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "status",
                x.status,
                y.status,
                f"{pair}: one claim says the relationship is {x.status}, the other {y.status}.",
            )
        )
    for name in ("since", "until"):
        left, right = getattr(x, name), getattr(y, name)
        if left and right and left != right:
            findings.append(
                Finding(
                    x.claim,
                    y.claim,
                    name,
                    left.isoformat(),
                    right.isoformat(),
                    f"{pair}: {name} {left.isoformat()} vs {right.isoformat()}.",
                )
            )
    return findings


# --- Quantities ---------------------------------------------------------------------------


def _quantity_text(q: QuantityFact) -> str:
    qualifier = "" if q.qualifier == Qualifier.EXACTLY else f"{q.get_qualifier_display()} "
    return f"{qualifier}{q.value.normalize():f} {q.unit}".strip()


def compare_quantities(x: QuantityFact, y: QuantityFact) -> list[Finding]:
    # The measure names the thing counted; units are how each source words it ("prisons",
    # "prison call centers"), so they do not keep two counts of one thing apart.
    if x.measure.strip().lower() != y.measure.strip().lower():
        return []
    reason = _bounded_disagreement(x.value, x.qualifier, y.value, y.qualifier)
    if reason is None:
        return []
    reason = reason
    return [
        Finding(
            x.claim,
            y.claim,
            "value",
            _quantity_text(x),
            _quantity_text(y),
            f"{x.measure}: {_quantity_text(x)} vs {_quantity_text(y)}: {reason}.",
        )
    ]


# --- Events -------------------------------------------------------------------------------


def compare_events(x: EventFact, y: EventFact) -> list[Finding]:
    if x.action.strip().lower() != y.action.strip().lower():
        return []
    if x.actor_id != y.actor_id and (x.recipient_id is None or x.recipient_id != y.recipient_id):
        return []  # neither the same doer nor the same receiver: two different events
    action = x.action
    findings = []
    if x.actor_id != y.actor_id:
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "actor",
                str(x.actor),
                str(y.actor),
                f"Who {action} {x.recipient}? {x.actor} or {y.actor}.",
            )
        )
    if x.recipient_id and y.recipient_id and x.recipient_id != y.recipient_id:
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "recipient",
                str(x.recipient),
                str(y.recipient),
                f"{x.actor} {action} whom? {x.recipient} or {y.recipient}.",
            )
        )
    # Free-text objects are worded differently by every source; they count only when actor and
    # recipient agree, so the object is the one thing the accounts differ on.
    same_parties = x.actor_id == y.actor_id and x.recipient_id == y.recipient_id
    if same_parties and x.object and y.object and x.object.strip().lower() != y.object.strip().lower():
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "object",
                x.object,
                y.object,
                f"{x.actor} {action} what? “{x.object}” or “{y.object}”.",
            )
        )
    if same_parties and x.occurred_on and y.occurred_on and x.occurred_on != y.occurred_on:
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "occurred_on",
                x.occurred_on.isoformat(),
                y.occurred_on.isoformat(),
                f"{x.actor} {action}: on {x.occurred_on.isoformat()} or on {y.occurred_on.isoformat()}?",
            )
        )
    return findings


# --- Knowledge ----------------------------------------------------------------------------


def _subject_key(k: KnowledgeFact) -> tuple:
    if k.subject_claim_id is not None:
        return ("claim", k.subject_claim_id)
    return ("text", " ".join(k.subject_text.lower().split()))


def _different_times(x: KnowledgeFact, y: KnowledgeFact) -> bool:
    # "Did not know before the inquiry" and "knew when it replied" are both true: knowledge
    # changes. Two claims placed at different times (dates, or events) do not disagree.
    if x.known_on and y.known_on:
        return x.known_on != y.known_on
    return bool(x.when_event and y.when_event) and x.when_event.strip().lower() != y.when_event.strip().lower()


def compare_knowledge(x: KnowledgeFact, y: KnowledgeFact) -> list[Finding]:
    if x.actor_id != y.actor_id or _subject_key(x) != _subject_key(y):
        return []
    subject = x.subject_text or str(x.subject_claim)
    polarities = {x.polarity, y.polarity}
    findings = []
    if polarities == {KnowledgeFact.Polarity.KNEW, KnowledgeFact.Polarity.DID_NOT_KNOW} and not _different_times(x, y):
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "polarity",
                x.get_polarity_display(),
                y.get_polarity_display(),
                f"Did {x.actor} know ({subject})? One claim says {x.actor} {x.get_polarity_display()}, "
                f"the other that {y.actor} {y.get_polarity_display()}.",
            )
        )
    if polarities == {KnowledgeFact.Polarity.LEARNED} and x.known_on and y.known_on and x.known_on != y.known_on:
        findings.append(
            Finding(
                x.claim,
                y.claim,
                "known_on",
                x.known_on.isoformat(),
                y.known_on.isoformat(),
                f"When did {x.actor} learn ({subject})? {x.known_on.isoformat()} or {y.known_on.isoformat()}.",
            )
        )
    return findings


# --- Running the detector -----------------------------------------------------------------

_COMPARERS = [
    (WageFigure, compare_wages, ["payer", "payee"]),
    (ContractRelation, compare_contracts, ["engager", "engaged"]),
    (QuantityFact, compare_quantities, []),
    (EventFact, compare_events, ["actor", "recipient"]),
    (KnowledgeFact, compare_knowledge, ["actor", "subject_claim"]),
]


def _facts(model, related: list[str]) -> Iterable:
    return model.objects.select_related("claim", *related).order_by("claim_id")


def find_all() -> list[Finding]:
    """Every disagreement among all claims' structured facts (nothing is written)."""
    findings = []
    for model, compare, related in _COMPARERS:
        for x, y in combinations(list(_facts(model, related)), 2):
            findings.extend(compare(x, y))
    return findings


def find_for_claim(claim: Claim) -> list[Finding]:
    """The disagreements between one claim's facts and every other claim's."""
    findings = []
    for model, compare, related in _COMPARERS:
        facts = list(_facts(model, related))
        own = [fact for fact in facts if fact.claim_id == claim.pk]
        for mine in own:
            for other in facts:
                if other.claim_id != claim.pk:
                    # Always lower claim id first, so explanations read the same as in find_all().
                    first, second = (mine, other) if mine.claim_id < other.claim_id else (other, mine)
                    findings.extend(compare(first, second))
    return findings


def _store(findings: Iterable[Finding], scope: Q, *, by) -> tuple[list[Conflict], dict[str, int]]:
    """Upsert findings as conflicts; drop open conflicts within `scope` that were not found again."""
    counts = {"created": 0, "updated": 0, "kept": 0, "removed": 0}
    existing = {(c.claim_a_id, c.claim_b_id, c.field): c for c in Conflict.objects.filter(scope)}
    stored: dict[tuple, Conflict] = {}
    for finding in findings:
        finding = finding.canonical()
        key = finding.key
        if key in stored:
            continue
        values = {
            "value_a": finding.value_a[:300],
            "value_b": finding.value_b[:300],
            "explanation": finding.explanation,
        }
        conflict = existing.get(key)
        if conflict is None:
            conflict = Conflict(claim_a=finding.a, claim_b=finding.b, field=finding.field, **values)
            conflict.full_clean()
            conflict._history_user = by
            conflict.save()
            counts["created"] += 1
        elif conflict.status == Conflict.Status.OPEN:
            if any(getattr(conflict, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(conflict, name, value)
                conflict._history_user = by
                conflict.save()
                counts["updated"] += 1
            else:
                counts["kept"] += 1
        else:
            counts["kept"] += 1  # an editor's decision stands on re-detection
        stored[key] = conflict
    stale = [c.pk for k, c in existing.items() if k not in stored and c.status == Conflict.Status.OPEN]
    if stale:
        # A conflict a published verdict cites is part of the record, even if reopened since.
        for conflict in Conflict.objects.filter(pk__in=stale, cited_by_verdicts__isnull=True).distinct():
            conflict._history_user = by  # one by one, so each history row names who removed it
            conflict.delete()
            counts["removed"] += 1
    return list(stored.values()), counts


def detect_for_claim(*, claim: Claim, by) -> list[Conflict]:
    """Detect and store the conflicts of one claim; call inside the transaction that saved its facts."""
    stored, _ = _store(find_for_claim(claim), Q(claim_a=claim) | Q(claim_b=claim), by=by)
    return stored


def detect_all(*, by) -> dict[str, int]:
    """Detect and store conflicts among all claims; returns counts created/updated/kept/removed."""
    _, counts = _store(find_all(), Q(), by=by)
    return counts


def pairs(findings: Iterable[Finding]) -> Iterator[frozenset[str]]:
    """The unordered claim-slug pairs of findings: what the evaluation compares."""
    for finding in findings:
        yield frozenset((finding.a.slug, finding.b.slug))
