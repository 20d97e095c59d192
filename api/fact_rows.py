"""The facts endpoints' answers (graph, timeline, conflicts) as plain dicts, from values() rows.

The serializers in api/facts.py document these shapes (OpenAPI) and the dicts here follow them
key for key; going through DRF's serializers cost a field object call per value (24,000 for a
graph of 500 relationships) and model instances for every row, 6x the time of the one-query
baseline in bench/baseline.py at 100,000 claims. tests/facts/test_api.py checks the content,
tests/bench/test_baseline_facts.py the bytes against the baselines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date

from django.db.models import Q, QuerySet
from rest_framework.fields import DateTimeField

from claims.facts.graph import DISPUTED, KIND_ORDER, _phase, layout
from claims.models import Appearance, Claim, ContractRelation, EventFact, KnowledgeFact

# A claim as the facts endpoints show it (FactClaimSerializer), from values rows prefixed `prefix`.
_CLAIM = ("id", "slug", "text", "status")
_datetime = DateTimeField()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def appearances_of(claim_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Each claim's appearances (FactAppearanceSerializer), by document and offset: one query."""
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (
        Appearance.objects.filter(claim_id__in=set(claim_ids))
        .order_by("document_id", "start", "id")
        .values_list(
            "claim_id",
            "document_id",
            "document__source_file",
            "document__title",
            "document__outlet",
            "document__published_on",
            "exact",
            "start",
            "end",
        )
    )
    for claim_id, document, source_file, title, outlet, published_on, exact, start, end in rows:
        found[claim_id].append(
            {
                "document": document,
                "source_file": source_file,
                "title": title,
                "outlet": outlet,
                "published_on": published_on,  # a date until `_finish_days`: the timeline reads it
                "exact": exact,
                "start": start,
                "end": end,
            }
        )
    return found


def _finish_days(appearances: dict[int, list[dict]]) -> None:
    for listed in appearances.values():
        for appearance in listed:
            appearance["published_on"] = _day(appearance["published_on"])


def _claim(values: tuple, appearances: dict[int, list[dict]]) -> dict:
    pk, slug, text, status = values
    return {"id": pk, "slug": slug, "text": text, "status": status, "appearances": appearances.get(pk, [])}


def _claim_fields(prefix: str) -> list[str]:
    return [f"{prefix}{name}" for name in _CLAIM]


# --- Graph ------------------------------------------------------------------------------------


def graph(claims: QuerySet[Claim], *, around: Collection[int] = (), limit: int) -> dict:
    """GraphSerializer's answer: the newest `limit` contract facts of `claims` (those touching
    `around`, when given) as nodes and edges, laid out as claims.facts.graph.build_graph does. Two queries."""
    contracts = ContractRelation.objects.filter(claim__in=claims)
    if around:
        contracts = contracts.filter(Q(engager_id__in=around) | Q(engaged_id__in=around))
    party = ("id", "slug", "name", "kind")
    rows = list(
        contracts.order_by("-claim_id").values_list(
            "role",
            "status",
            "since",
            "until",
            "stated_by__slug",
            *_claim_fields("claim__"),
            *[f"engager__{name}" for name in party],
            *[f"engaged__{name}" for name in party],
        )[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    appearances = appearances_of(row[5] for row in rows)
    _finish_days(appearances)
    nodes: dict[int, dict] = {}
    edges: dict[tuple[int, int], dict] = {}
    for row in rows:
        role, status, since, until, stated_by = row[:5]
        engager, engaged = row[9:13], row[13:17]
        for pk, slug, name, kind in (engager, engaged):
            if pk not in nodes:
                nodes[pk] = {"id": pk, "slug": slug, "name": name, "kind": kind}
        key = (engager[0], engaged[0])
        if key not in edges:
            edges[key] = {"source": key[0], "target": key[1], "relations": []}
        relation = {"role": role, "status": status, "since": since, "until": until, "stated_by": stated_by}
        relation["claim"] = _claim(row[5:9], appearances)
        edges[key]["relations"].append(relation)
    layer, row_of = layout({pk: node["name"] for pk, node in nodes.items()}, list(edges))
    for pk, node in nodes.items():
        node["layer"] = layer[pk]
    return {
        "nodes": sorted(nodes.values(), key=lambda node: (layer[node["id"]], row_of[node["id"]])),
        "edges": [_edge(edge) for edge in edges.values()],
        "truncated": truncated,
    }


def _edge(edge: dict) -> dict:
    relations = edge["relations"]
    known = {r["status"] for r in relations} - {ContractRelation.Status.UNKNOWN}
    status = ContractRelation.Status.UNKNOWN if not known else known.pop() if len(known) == 1 else DISPUTED
    since = min((r["since"] for r in relations if r["since"]), default=None)
    until = max((r["until"] for r in relations if r["until"]), default=None)
    for relation in relations:
        relation["since"], relation["until"] = _day(relation["since"]), _day(relation["until"])
    return {
        "source": edge["source"],
        "target": edge["target"],
        "roles": sorted({r["role"] for r in relations}),
        "status": str(status),
        "since": _day(since),
        "until": _day(until),
        "relations": relations,
    }


# --- Timeline ---------------------------------------------------------------------------------


def _subject_line(text: str) -> str:
    # str(Claim): the text, cut at 80 characters.
    return text if len(text) <= 80 else text[:77] + "..."


def timeline(claims: QuerySet[Claim]) -> list[dict]:
    """TimelineItemSerializer's answer for `claims`, as claims.facts.graph.timeline orders it:
    knowledge, contracts, events and their appearances, four queries."""
    polarity = dict(KnowledgeFact.Polarity.choices)
    facts = []  # (stated date, kind, summary, when, stated_by, claim values)
    knowledge = (
        KnowledgeFact.objects.filter(claim__in=claims)
        .with_subject_shown(claims)
        .values_list(
            "known_on",
            "when_event",
            "actor__name",
            "polarity",
            "subject_text",
            "subject_claim__text",
            "subject_shown",
            "stated_by__slug",
            *_claim_fields("claim__"),
        )
    )
    for known_on, when, actor, said, subject_text, subject_claim, shown, stated_by, *claim in knowledge:
        if subject_text:
            subject = subject_text
        elif shown:
            subject = _subject_line(subject_claim)
        else:
            subject = "a claim not yet published"
        summary = f"{actor} {polarity.get(said, said)}: {subject}"
        facts.append((known_on, "knowledge", summary, when, stated_by, claim))
    contracts = (
        ContractRelation.objects.filter(claim__in=claims)
        .order_by("claim_id")
        .values_list(
            "since", "until", "status", "role", "engager__name", "engaged__name", "stated_by__slug",
            *_claim_fields("claim__"),
        )
    )  # fmt: skip
    ended = ContractRelation.Status.ENDED
    for since, until, status, role, engager, engaged, stated_by, *claim in contracts:
        pair = f"{engager} → {engaged} ({role})"
        if since or status != ended:
            facts.append((since, "contract_start", f"{pair}: relationship {status}", "", stated_by, claim))
        if until or status == ended:
            facts.append((until, "contract_end", f"{pair}: relationship ended", "", stated_by, claim))
    events = EventFact.objects.filter(claim__in=claims).values_list(
        "occurred_on", "actor__name", "action", "recipient_id", "recipient__name", "object", "claim__claimant__slug",
        *_claim_fields("claim__"),
    )  # fmt: skip
    for occurred_on, actor, action, recipient_id, recipient, thing, claimant, *claim in events:
        summary = f"{actor} {action}"
        summary += f" (to {recipient})" if recipient_id is not None else ""
        summary += f": {thing}" if thing else ""
        facts.append((occurred_on, "event", summary, "", claimant, claim))
    appearances = appearances_of(claim[0] for *_, claim in facts)
    # Claim.first_appearance orders dated documents first, earliest first: its date is the earliest one.
    reported = {
        pk: min((a["published_on"] for a in listed if a["published_on"] is not None), default=None)
        for pk, listed in appearances.items()
    }
    _finish_days(appearances)
    shown: dict[int, dict] = {}
    items = []
    for stated, kind, summary, when, stated_by, claim in facts:
        pk = claim[0]
        if pk not in shown:
            shown[pk] = _claim(tuple(claim), appearances)
        day, basis = stated, "stated"
        if day is None:
            day, basis = reported.get(pk), "reported"
            if day is None:
                basis = "unknown"
        items.append((day, basis, kind, summary, when, stated_by, pk))
    items.sort(key=lambda i: (i[0] is None, i[0] or date.max, i[1] != "stated",
                              _phase(i[4]) if i[0] is None else 1, KIND_ORDER[i[2]], i[6]))  # fmt: skip
    return [
        {
            "date": _day(day),
            "date_basis": basis,
            "kind": kind,
            "summary": summary,
            "when": when,
            "stated_by": stated_by,
            "claim": shown[pk],
        }
        for day, basis, kind, summary, when, stated_by, pk in items
    ]


# --- Conflicts --------------------------------------------------------------------------------

_CONFLICT = (
    "id", "status", "field", *_claim_fields("claim_a__"), "value_a", *_claim_fields("claim_b__"), "value_b",
    "explanation", "triage_note", "detected_at", "triaged_at",
)  # fmt: skip


def conflict_rows(conflicts: QuerySet) -> QuerySet:
    """The columns ConflictSerializer shows, for `conflicts` to be paginated then passed to `conflicts_shown`."""
    return conflicts.values_list(*_CONFLICT)


def conflicts_shown(rows: list[tuple]) -> list[dict]:
    """ConflictSerializer's representation of a page of `conflict_rows`: one query for the appearances."""
    appearances = appearances_of(pk for row in rows for pk in (row[3], row[8]))
    _finish_days(appearances)
    return [
        {
            "id": row[0],
            "status": row[1],
            "field": row[2],
            "claim_a": _claim(row[3:7], appearances),
            "value_a": row[7],
            "claim_b": _claim(row[8:12], appearances),
            "value_b": row[12],
            "explanation": row[13],
            "triage_note": row[14],
            "detected_at": _datetime.to_representation(row[15]),
            "triaged_at": _datetime.to_representation(row[16]) if row[16] is not None else None,
        }
        for row in rows
    ]
