"""Reads over structured facts: the entity relationship graph (and its SVG drawing) and the timeline.

Both take querysets already limited to what the reader may see, load them in a fixed number
of queries (see `contracts_for_graph` and `timeline`), and return the model objects the admin
draws. The API builds the same answers from plain rows (api/fact_rows.py, with `layout` and the
ordering here); tests/facts/test_api.py checks that the two agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from html import escape

from django.db.models import Prefetch, Q, QuerySet

from claims.models import Appearance, Claim, ContractRelation, Entity, EventFact, KnowledgeFact

DISPUTED = "disputed"

# A graph is drawn and sent whole, so it is bounded: an archive of 100,000 claims would
# otherwise make a 20 MB response and a worker holding gigabytes. Past the limit the newest
# relationships are kept, and readers narrow the graph to the entities they care about.
GRAPH_LIMIT = 500
GRAPH_MAX_LIMIT = 2000


def _with_appearances(prefix: str = "claim__") -> Prefetch:
    # Each appearance names its document; the document's text (kilobytes per row, repeated for
    # every quote) is never shown here: deferred, it cut the graph from 0.8 s to 0.3 s at 100,000 claims.
    appearances = Appearance.objects.select_related("document").defer("document__text")
    return Prefetch(f"{prefix}appearances", queryset=appearances.order_by("document_id", "start"))


def contracts_for_graph(claims: QuerySet[Claim]) -> QuerySet[ContractRelation]:
    """The contract facts of `claims` with everything the graph needs: two queries."""
    return (
        ContractRelation.objects.filter(claim__in=claims)
        .select_related("claim", "engager", "engaged", "stated_by")
        .prefetch_related(_with_appearances())
        .order_by("claim_id")
    )


def graph_contracts(
    claims: QuerySet[Claim], *, around: Collection[int] = (), limit: int = GRAPH_LIMIT
) -> tuple[list[ContractRelation], bool]:
    """The newest `limit` contract facts of `claims` (those touching `around`, when given),
    and whether more were left out. One query: a graph names each claim by its slug and never
    shows its sources, so the appearances (the timeline's) are not loaded."""
    contracts = contracts_for_graph(claims).prefetch_related(None).defer("claim__text")
    if around:
        contracts = contracts.filter(Q(engager_id__in=around) | Q(engaged_id__in=around))
    rows = list(contracts.order_by("-claim_id")[: limit + 1])
    return rows[:limit], len(rows) > limit


@dataclass
class Edge:
    source: Entity
    target: Entity
    relations: list[ContractRelation] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The claims' shared status; 'disputed' when they give both active and ended."""
        known = {r.status for r in self.relations} - {ContractRelation.Status.UNKNOWN}
        if not known:
            return ContractRelation.Status.UNKNOWN
        return known.pop() if len(known) == 1 else DISPUTED

    @property
    def roles(self) -> list[str]:
        return sorted({r.role for r in self.relations})

    @property
    def since(self) -> date | None:
        return min((r.since for r in self.relations if r.since), default=None)

    @property
    def until(self) -> date | None:
        return max((r.until for r in self.relations if r.until), default=None)


@dataclass
class Graph:
    nodes: list[Entity]
    edges: list[Edge]
    layer: dict[int, int]  # entity id -> column, left to right along the chain
    row: dict[int, int]  # entity id -> position within its column


def build_graph(contracts: list[ContractRelation]) -> Graph:
    """Group contract facts into one edge per (engager, engaged) pair and lay the nodes out in layers."""
    edges: dict[tuple[int, int], Edge] = {}
    nodes: dict[int, Entity] = {}
    for relation in contracts:
        key = (relation.engager_id, relation.engaged_id)
        if key not in edges:
            edges[key] = Edge(relation.engager, relation.engaged)
        edges[key].relations.append(relation)
        nodes[relation.engager_id] = relation.engager
        nodes[relation.engaged_id] = relation.engaged
    layer, row = layout({pk: entity.name for pk, entity in nodes.items()}, list(edges))
    ordered = sorted(nodes.values(), key=lambda e: (layer[e.pk], row[e.pk]))
    return Graph(nodes=ordered, edges=list(edges.values()), layer=layer, row=row)


def layout(names: dict[int, str], pairs: list[tuple[int, int]]) -> tuple[dict[int, int], dict[int, int]]:
    """Column and row of each node: `names` maps entity id -> name in the order the nodes were
    met, `pairs` are the (engager, engaged) edges in the order they were met. Plain data, so the
    bench's SQL baseline lays out its graph with the same code."""
    layer = _layers(list(names), pairs)
    return layer, _rows(names, pairs, layer)


def _layers(node_ids: list[int], pairs: list[tuple[int, int]]) -> dict[int, int]:
    # Longest path from a source: each engaged party sits one column right of its furthest
    # engager. Bounded by the node count, so a cycle (A hires B, B hires A) cannot loop forever.
    layer = dict.fromkeys(node_ids, 0)
    for _ in range(len(node_ids)):
        changed = False
        for source, target in pairs:
            if layer[target] < layer[source] + 1 and layer[source] + 1 < len(node_ids):
                layer[target] = layer[source] + 1
                changed = True
        if not changed:
            break
    return layer


def _rows(names: dict[int, str], pairs: list[tuple[int, int]], layer: dict[int, int]) -> dict[int, int]:
    # One barycentre pass: order each column by the mean row of its engagers, to keep lines short.
    parents = defaultdict(list)
    for source, target in pairs:
        parents[target].append(source)
    row: dict[int, int] = {}
    for column in sorted(set(layer.values())):
        members = [pk for pk in names if layer[pk] == column]

        def centre(pk: int) -> float:
            placed = [row[p] for p in parents[pk] if p in row]
            return sum(placed) / len(placed) if placed else float("inf")

        members.sort(key=lambda pk: (centre(pk), names[pk].lower()))
        row.update({pk: index for index, pk in enumerate(members)})
    return row


# --- SVG ------------------------------------------------------------------------------------

NODE_W, NODE_H, COL_GAP, ROW_GAP, MARGIN, LANE_GAP = 210, 44, 100, 34, 20, 16
EDGE_STYLE = {
    ContractRelation.Status.ACTIVE: ("#1a7f37", ""),
    ContractRelation.Status.ENDED: ("#6e7781", "6 4"),
    ContractRelation.Status.UNKNOWN: ("#0969da", "2 3"),
    DISPUTED: ("#cf222e", "10 3 2 3"),
}


def _label(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(graph: Graph, *, focus_entity: int | None = None, focus_claim: int | None = None, link=None) -> str:
    """The graph as inline SVG: columns along the chain, edge colour and dash by status.

    `focus_entity` outlines one node; `focus_claim` thickens the edges that claim stands behind.
    `link(entity)` may return a URL for each node (the admin's change page).
    """
    if not graph.nodes:
        return '<p class="help">No contract relationships recorded yet.</p>'
    columns = max(graph.layer.values()) + 1
    rows = max(graph.row.values()) + 1
    # Edges to the next column are drawn straight across the gap; longer or backward edges
    # would cross other boxes, so they run in their own lane below the last row, joining it
    # through the gaps between columns (which hold no boxes).
    long_edges = [e for e in graph.edges if graph.layer[e.target.pk] - graph.layer[e.source.pk] != 1]
    rows_bottom = MARGIN + rows * NODE_H + (rows - 1) * ROW_GAP
    width = MARGIN * 2 + columns * NODE_W + (columns - 1) * COL_GAP
    height = rows_bottom + (len(long_edges) + 1) * LANE_GAP + 40

    def box(pk: int) -> tuple[int, int]:
        return MARGIN + graph.layer[pk] * (NODE_W + COL_GAP), MARGIN + graph.row[pk] * (NODE_H + ROW_GAP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="entity-graph" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Contract relationships between entities" '
        'font-family="sans-serif" font-size="12">',
        "<defs>",
    ]
    for status, (colour, _) in EDGE_STYLE.items():
        parts.append(
            f'<marker id="arrow-{status}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    parts.append("</defs>")
    for edge in graph.edges:
        sx, sy = box(edge.source.pk)
        tx, ty = box(edge.target.pk)
        x1, y1, x2, y2 = sx + NODE_W, sy + NODE_H / 2, tx, ty + NODE_H / 2
        if edge in long_edges:
            lane = long_edges.index(edge)
            lane_y = rows_bottom + (lane + 1) * LANE_GAP
            out_x = x1 + COL_GAP / 2 - 4 * lane
            in_x = x2 - COL_GAP / 2 + 4 * lane
            d = f"M{x1:.0f},{y1:.0f} H{out_x:.0f} V{lane_y:.0f} H{in_x:.0f} V{y2:.0f} H{x2:.0f}"
            label_x, label_y = (out_x + in_x) / 2, lane_y - 4
        else:
            mid_x = (x1 + x2) / 2
            d = f"M{x1:.0f},{y1:.0f} C{mid_x:.0f},{y1:.0f} {mid_x:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
            label_x, label_y = mid_x, (y1 + y2) / 2 - 5
        colour, dash = EDGE_STYLE[edge.status]
        focused = focus_claim is not None and any(r.claim_id == focus_claim for r in edge.relations)
        claims = "; ".join(f"#{r.claim_id} {r.claim.slug} ({r.role}, {r.status})" for r in edge.relations)
        title = f"{edge.source} → {edge.target}: {edge.status}. Claims: {claims}"
        parts.append(
            f'<g class="edge"><title>{escape(title)}</title>'
            f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{4 if focused else 2}"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + f' marker-end="url(#arrow-{edge.status})"/>'
            f'<text x="{label_x:.0f}" y="{label_y:.0f}" text-anchor="middle" fill="{colour}" '
            f'font-weight="{"bold" if focused else "normal"}">{escape(", ".join(edge.roles))}</text></g>'
        )
    for node in graph.nodes:
        x, y = box(node.pk)
        stroke = "#cf222e" if node.pk == focus_entity else "#57606a"
        rect = (
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="#f6f8fa" stroke="{stroke}" '
            f'stroke-width="{3 if node.pk == focus_entity else 1}"/>'
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + 18}" text-anchor="middle" font-weight="bold">'
            f"{escape(_label(node.name))}</text>"
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + 34}" text-anchor="middle" fill="#57606a">'
            f"{escape(node.get_kind_display())}</text>"
        )
        inner = f"<title>{escape(node.name)}</title>{rect}"
        url = link(node) if link else None
        parts.append(f'<a href="{escape(url)}">{inner}</a>' if url else f"<g>{inner}</g>")
    legend_y = height - 12
    for index, (status, (colour, dash)) in enumerate(EDGE_STYLE.items()):
        lx = MARGIN + index * 120
        parts.append(
            f'<line x1="{lx}" y1="{legend_y - 4}" x2="{lx + 30}" y2="{legend_y - 4}" stroke="{colour}" '
            f'stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
            f'<text x="{lx + 36}" y="{legend_y}" fill="{colour}">{status}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- Timeline -------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    date: date | None
    date_basis: str  # "stated": the claim gives the date; "reported": the earliest source's date
    kind: str
    summary: str
    when: str
    claim: Claim
    stated_by: Entity | None

    @property
    def appearances(self) -> list[Appearance]:
        return list(self.claim.appearances.all())

    @property
    def sources(self) -> list:
        """The documents the claim appears in, each once, in the order of its appearances."""
        return list({a.document_id: a.document for a in self.appearances}.values())

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


KIND_LABELS = {
    "contract_start": "Relationship began",
    "contract_end": "Relationship ended",
    "knowledge": "Who knew what",
    "event": "Event",
}
KIND_ORDER = {"contract_start": 0, "knowledge": 1, "event": 2, "contract_end": 3}


def _reported_on(claim: Claim) -> date | None:
    first = claim.first_appearance
    return first.document.published_on if first else None


def timeline(claims: QuerySet[Claim]) -> list[TimelineItem]:
    """Knowledge, contract and event facts of `claims` in date order, with their sources: six queries.

    Items whose claim gives no date are placed at the date of the earliest document that
    reports them, marked date_basis="reported"; items with neither come last.
    """
    items: list[TimelineItem] = []

    def add(when: date | None, kind: str, summary: str, when_text: str, claim: Claim, stated_by) -> None:
        basis = "stated"
        if when is None:
            when, basis = _reported_on(claim), "reported"
            if when is None:
                basis = "unknown"
        items.append(TimelineItem(when, basis, kind, summary, when_text, claim, stated_by))

    knowledge = (
        KnowledgeFact.objects.filter(claim__in=claims)
        .with_subject_shown(claims)
        .select_related("claim", "actor", "stated_by", "subject_claim")
        .prefetch_related(_with_appearances())
    )
    for fact in knowledge:
        add(fact.known_on, "knowledge", f"{fact.actor} {fact.get_polarity_display()}: {fact.subject}", fact.when_event,
            fact.claim, fact.stated_by)  # fmt: skip
    for relation in contracts_for_graph(claims):
        pair = f"{relation.engager} → {relation.engaged} ({relation.role})"
        if relation.since or relation.status != ContractRelation.Status.ENDED:
            add(relation.since, "contract_start", f"{pair}: relationship {relation.status}", "", relation.claim,
                relation.stated_by)  # fmt: skip
        if relation.until or relation.status == ContractRelation.Status.ENDED:
            add(relation.until, "contract_end", f"{pair}: relationship ended", "", relation.claim, relation.stated_by)
    events = (
        EventFact.objects.filter(claim__in=claims)
        .select_related("claim", "claim__claimant", "actor", "recipient")
        .prefetch_related(_with_appearances())
    )
    for event in events:
        summary = f"{event.actor} {event.action}"
        summary += f" (to {event.recipient})" if event.recipient else ""
        summary += f": {event.object}" if event.object else ""
        add(event.occurred_on, "event", summary, "", event.claim, event.claim.claimant)
    items.sort(key=lambda i: (i.date is None, i.date or date.max, i.date_basis != "stated",
                              _phase(i.when) if i.date is None else 1,
                              KIND_ORDER[i.kind], i.claim.pk))  # fmt: skip
    return items


def _phase(when: str) -> int:
    # Among undated items, "before the inquiry" comes before "in its reply", which comes
    # before "after the inquiry": the order a reader gets from the words.
    first = when.strip().lower().split(" ", 1)[0] if when.strip() else ""
    return {"before": 0, "until": 0, "after": 2, "later": 2, "then": 2}.get(first, 1)
