"""The public feed's read path: claims as plain dicts, built from a few `.values()` queries.

Serializers build one Python object per row and field, which puts the feed 8-10x above what
the database can deliver. Here a page of claims costs a fixed set of queries, each keyed by
claim id (claimants ride along with the page query):

    1. the page of claims (+ claimant), ordered on an index by the paginator
    2. entities          3. appearances + documents     4. verdicts + ratings (+ the scale)
    5. evidence of the submitted reviews behind published verdicts     6. confirmed conflicts
    7. structured facts (wage, contract, knowledge, quantity, event) with their parties

then assembled in Python and rendered with orjson. `api.serializers` describes the same
shape for the OpenAPI schema; tests check the two agree.

What is never here: reviewers, their ratings and rationales (blind review), and evidence
of claims without a published verdict.

Whether anything shown changed is the change log's business (api/clock.py).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.db import connections, router
from django.db.models import BooleanField, Exists, ExpressionWrapper, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from claims.facts import figures
from claims.models import Appearance, Change, Claim, Conflict, Period
from claims.querysets import PUBLIC_STATUSES, claim_visibility
from reviews.models import Evidence, Rating, Recheck, Review, Verdict

CLAIM_COLUMNS = (
    "id",
    "slug",
    "text",
    "kind",
    "status",
    "version",
    "published_at",
    "verdict_updated_at",
    "claimant_id",
    "claimant__name",
    "claimant__slug",
    "claimant__kind",
    "claimant__url",
)

DOCUMENT_COLUMNS = (
    "id",
    "title",
    "outlet",
    "author",
    "published_on",
    "url",
    "source_file",
    "sha256",
    "imported_at",
    "previous_version_id",
)


# --- Per-id queries compiled once -----------------------------------------------------------
# Building and compiling a queryset costs about 1.5 ms in-process, several times what the
# database takes to answer these keyed lookups for one claim. The queries below have a fixed
# shape for a given number of ids, so each (shape, number of ids) is compiled by the ORM once
# per process and then run with the ids, its rows converted by the ORM's own converters.

_ID_PLACEHOLDER = -(10**15)


def rows_by_ids(shape: Callable[[list[int]], QuerySet], ids: list[int]) -> list[tuple]:
    """The rows of `shape(ids)` (a values_list queryset whose only varying parameters are `ids`)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    alias = router.db_for_read(Claim)
    sql, params, slots, converters = _compiled_by_ids(shape, len(ids), alias)
    params = list(params)
    for slot, index in slots:
        params[slot] = ids[index]
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        converted = []
        for row in rows:
            row = list(row)
            for position, functions, expression in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(row)
        rows = converted
    return [tuple(row) for row in rows]


@functools.lru_cache(maxsize=512)
def _compiled_by_ids(shape, count: int, alias: str):
    placeholders = [_ID_PLACEHOLDER - i for i in range(count)]
    compiler = shape(placeholders).using(alias).query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    params = list(params)
    # Where each id goes (a query may name the ids more than once, e.g. either side of a conflict).
    slots = [(slot, placeholders.index(value)) for slot, value in enumerate(params) if value in placeholders]
    assert sorted({index for _slot, index in slots}) == list(range(count)), "an id is not a plain parameter"
    selected = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
    converters = [
        (position, functions, expression)
        for position, (functions, expression) in compiler.get_converters(selected).items()
    ]
    # The columns come in the order values_list() names them (Django 5.2 selects them so).
    return sql, tuple(params), slots, converters


def claim_rows(queryset: QuerySet) -> QuerySet:
    """The page query's columns: the claim and its claimant, and whether it is under re-check, in one row."""
    open_rechecks = Recheck.objects.open().filter(claim=OuterRef("pk"))
    return queryset.annotate(under_recheck=Exists(open_rechecks)).values(*CLAIM_COLUMNS, "under_recheck")


def claim_rows_by_ids(ids: list[int]) -> list[dict]:
    """`claim_rows` of the claims with these ids (any status), as dicts; compiled once per number of ids."""
    columns = (*CLAIM_COLUMNS, "under_recheck")
    return [dict(zip(columns, row, strict=True)) for row in rows_by_ids(_claim_row_shape, ids)]


def _claim_row_shape(ids: list[int]) -> QuerySet:
    return claim_rows(Claim.objects.filter(id__in=ids)).values_list(*CLAIM_COLUMNS, "under_recheck")


def with_change_time(rows: QuerySet) -> QuerySet:
    """Annotate `changed_at`: the time of each claim's newest public change (the change log's clock), in
    the page query itself."""
    newest = Change.objects.public().filter(claim_id=OuterRef("id")).order_by("-position").values("at")[:1]
    return rows.annotate(changed_at=Subquery(newest))


# The parts of a claim a reader may do without, each one query: `represent_claims(without=...)`.
OPTIONAL_PARTS = frozenset({"entities", "evidence", "conflicts", "facts"})
# What a schema.org ClaimReview reads of a claim (api.claimreview): none of the optional parts.
FOR_CLAIMREVIEW = OPTIONAL_PARTS


def represent_claims(
    rows: list[dict], *, viewer, as_of: datetime | None = None, without: frozenset[str] = frozenset()
) -> list[dict]:
    """The feed representation of the given claim rows (from `claim_rows`), in their order.

    `viewer` is the user reading (None: the public): conflicts with claims they may not see
    are left out (Conflict.objects.visible_to); `as_of` shows the verdict versions published
    up to that moment only. The parts named in `without` (of OPTIONAL_PARTS) are neither read
    nor present in the dicts: for readers that show only the rest (ClaimReview, a public page).
    """
    if not rows:
        return []
    assert without <= OPTIONAL_PARTS, without
    ids = [row["id"] for row in rows]
    entities = _entities(ids) if "entities" not in without else None
    appearances, first_appearances = _appearances(ids)
    verdicts = _verdicts(ids, as_of=as_of)
    evidence = _evidence(ids) if "evidence" not in without else None
    conflicts = _conflicts(ids, viewer=viewer) if "conflicts" not in without else None
    facts = _facts(ids, viewer=viewer) if "facts" not in without else None
    claims_url = reverse("claim-list")
    claims = [
        _claim(
            row,
            url=f"{claims_url}{row['id']}/",
            entities=entities.get(row["id"], []) if entities is not None else None,
            appearances=appearances.get(row["id"], []),
            first_appearance=first_appearances.get(row["id"]),
            verdicts=verdicts.get(row["id"], []),
            evidence=evidence.get(row["id"], []) if evidence is not None else None,
            conflicts=conflicts.get(row["id"], []) if conflicts is not None else None,
            facts=facts[row["id"]] if facts is not None else None,
        )
        for row in rows
    ]
    if without:
        for claim in claims:
            for part in without:
                del claim[part]
    return claims


def _claim(row, *, url, entities, appearances, first_appearance, verdicts, evidence, conflicts, facts) -> dict:
    # `_verdicts` orders each claim's versions, so the last is the current one (VerdictQuerySet.current).
    current = verdicts[-1] if verdicts else None
    return {
        "id": row["id"],
        "url": url,
        "slug": row["slug"],
        "text": row["text"],
        "kind": row["kind"],
        "status": row["status"],
        "under_recheck": row["under_recheck"],
        "version": row["version"],
        "claimant": {
            "id": row["claimant_id"],
            "name": row["claimant__name"],
            "slug": row["claimant__slug"],
            "kind": row["claimant__kind"],
            "url": row["claimant__url"],
        },
        "entities": entities,
        "published_at": row["published_at"],
        "updated_at": row["verdict_updated_at"],
        "verdict": current,
        "earlier_verdicts": verdicts[:-1][::-1],
        "appearances": appearances,
        "first_appearance": first_appearance,
        "evidence": evidence,
        "conflicts": conflicts,
        "facts": facts,
    }


def _entities(ids: list[int]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for claim_id, pk, name, slug, kind in rows_by_ids(_entity_rows, ids):
        grouped[claim_id].append({"id": pk, "name": name, "slug": slug, "kind": kind})
    return grouped


def _entity_rows(ids: list[int]) -> QuerySet:
    through = Claim.entities.through.objects.filter(claim_id__in=ids).order_by("entity__name", "entity_id")
    return through.values_list("claim_id", "entity_id", "entity__name", "entity__slug", "entity__kind")


def _appearances(ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, dict]]:
    """Each claim's appearances (by document and offset) and, separately, its first appearance."""
    rows = rows_by_ids(_appearance_rows, ids)
    grouped: dict[int, list[dict]] = defaultdict(list)
    for claim_id, pk, doc, outlet, title, url, published_on, imported_at, exact, prefix, suffix, start, end in rows:
        grouped[claim_id].append(
            {
                "id": pk,
                "document": doc,
                "outlet": outlet,
                "title": title,
                "document_url": url,
                "published_on": published_on,
                "exact": exact,
                "prefix": prefix,
                "suffix": suffix,
                "start": start,
                "end": end,
                # Only for picking the first appearance; removed below.
                "_imported_on": imported_at.date(),
            }
        )
    first = {claim_id: min(appearances, key=_chronological) for claim_id, appearances in grouped.items()}
    for appearances in grouped.values():
        for appearance in appearances:
            del appearance["_imported_on"]
    return grouped, first


def _appearance_rows(ids: list[int]) -> QuerySet:
    return (
        Appearance.objects.filter(claim_id__in=ids)
        .order_by("document_id", "start", "id")
        .values_list(
            "claim_id",
            "id",
            "document_id",
            "document__outlet",
            "document__title",
            "document__url",
            "document__published_on",
            "document__imported_at",
            "exact",
            "prefix",
            "suffix",
            "start",
            "end",
        )
    )


def _chronological(a: dict) -> tuple:
    # The same order as Appearance.chronological_key: publication date, import date, document, offset.
    return (a["published_on"] is None, a["published_on"] or a["_imported_on"], a["document"], a["start"])


def _verdicts(ids: list[int], *, as_of: datetime | None = None) -> dict[int, list[dict]]:
    # `as_of` is a parameter of its own: that (rare) query is compiled each time.
    rows = rows_by_ids(_verdict_rows, ids) if as_of is None else _verdict_rows(ids, as_of=as_of)
    grouped: dict[int, list[dict]] = defaultdict(list)
    for claim_id, version, kind, label, slug, value, best, worst, summary, note, published_at, until, recheck in rows:
        grouped[claim_id].append(
            {
                "version": version,
                "kind": kind,
                "rating": {
                    "label": label,
                    "slug": slug,
                    "value": value,
                    # Off-scale ratings (value null, e.g. "Unproven") sit on no scale.
                    "best": best if value is not None else None,
                    "worst": worst if value is not None else None,
                },
                "summary": summary,
                "correction_note": note,
                "published_at": published_at,
                "valid_until": until,
                "recheck_by": recheck,
            }
        )
    return grouped


def _verdict_rows(ids: list[int], *, as_of: datetime | None = None) -> QuerySet:
    scale = Rating.objects.filter(value__isnull=False)
    versions = Verdict.objects.filter(claim_id__in=ids)
    if as_of is not None:
        versions = versions.as_of(as_of)
    return (
        versions.order_by("claim_id", "version")
        .annotate(
            # Uncorrelated: the database computes the scale once per query, not per row.
            best=scale.values("value").order_by("-value")[:1],
            worst=scale.values("value").order_by("value")[:1],
        )
        .values_list(
            "claim_id",
            "version",
            "kind",
            "rating__label",
            "rating__slug",
            "rating__value",
            "best",
            "worst",
            "summary",
            "correction_note",
            "published_at",
            "valid_until",
            "recheck_by",
        )
    )


# In the order the feed has always given them (its bytes are pinned against the bench baseline).
_EVIDENCE_COLUMNS = ("stance", "exact", "prefix", "suffix", "start", "end", "url", "title", "excerpt", "document")


def _evidence(ids: list[int]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for claim_id, *values in rows_by_ids(_evidence_rows, ids):
        grouped[claim_id].append(dict(zip(_EVIDENCE_COLUMNS, values, strict=True)))
    return grouped


def _evidence_rows(ids: list[int]) -> QuerySet:
    return (
        Evidence.objects.filter(
            review__claim_id__in=ids,
            review__status=Review.Status.SUBMITTED,
            # Evidence of claims still in review would hint at the reviewers' blind ratings.
            review__claim__status__in=PUBLIC_STATUSES,
        )
        .order_by("review__claim_id", "review_id", "id")
        .values_list(
            "review__claim_id",
            "stance",
            "exact",
            "prefix",
            "suffix",
            "start",
            "end",
            "url",
            "title",
            "excerpt",
            "document_id",
        )
    )


def _conflicts(ids: list[int], *, viewer) -> dict[int, list[dict]]:
    # The public's (viewer None) has a fixed shape; a signed-in reader's depends on who they are.
    rows = rows_by_ids(_public_conflict_rows, ids) if viewer is None else _conflict_rows(ids, viewer=viewer)
    wanted = set(ids)
    grouped: dict[int, list[dict]] = defaultdict(list)
    for pk, a, b, field, value_a, value_b, explanation in rows:
        # Seen from each side of the pair: this claim's value first.
        if a in wanted:
            grouped[a].append(_conflict(pk, b, field, value_a, value_b, explanation))
        if b in wanted:
            grouped[b].append(_conflict(pk, a, field, value_b, value_a, explanation))
    return grouped


def _conflict_rows(ids: list[int], *, viewer) -> QuerySet:
    conflicts = Conflict.objects.visible_to(viewer).confirmed().for_claims(ids)
    return conflicts.order_by("id").values_list(
        "id", "claim_a_id", "claim_b_id", "field", "value_a", "value_b", "explanation"
    )


def _public_conflict_rows(ids: list[int]) -> QuerySet:
    return _conflict_rows(ids, viewer=None)


def _conflict(pk, other, field, value, other_value, explanation) -> dict:
    return {
        "id": pk,
        "other_claim": other,
        "field": field,
        "value": value,
        "other_value": other_value,
        "explanation": explanation,
    }


# Each entity a fact names, as (id, name, slug, kind) columns reached from the claim.
_FACT_PARTIES = (
    "wage__payer",
    "wage__payee",
    "contract__engager",
    "contract__engaged",
    "knowledge__actor",
    "event__actor",
    "event__recipient",
)
_FACT_COLUMNS = (
    "wage__id",
    "wage__amount",
    "wage__currency",
    "wage__period",
    "wage__qualifier",
    "wage__measure",
    "wage__refers_from",
    "wage__refers_to",
    "contract__id",
    "contract__role",
    "contract__status",
    "contract__since",
    "contract__until",
    "knowledge__id",
    "knowledge__polarity",
    "knowledge__known_on",
    "knowledge__when_event",
    "knowledge__subject_text",
    "knowledge__subject_claim_id",
    "quantity__id",
    "quantity__measure",
    "quantity__value",
    "quantity__unit",
    "quantity__qualifier",
    "event__id",
    "event__action",
    "event__object",
    "event__occurred_on",
)


def _facts(ids: list[int], *, viewer) -> dict[int, dict]:
    """Each claim's structured facts, typed, in one query (a left join per fact and party).

    A knowledge fact names the claim it is about only when the viewer may see that claim.
    """
    subject_shown = ExpressionWrapper(
        Q(knowledge__subject_claim__isnull=False) & claim_visibility(viewer, "knowledge__subject_claim__"),
        output_field=BooleanField(),
    )
    party_columns = [f"{party}__{column}" for party in _FACT_PARTIES for column in ("id", "name", "slug", "kind")]
    rows = (
        Claim.objects.filter(id__in=ids)
        .annotate(subject_shown=subject_shown)
        .values("id", "subject_shown", *_FACT_COLUMNS, *party_columns)
    )
    return {row["id"]: _typed_facts(row) for row in rows}


def _party(row: dict, party: str) -> dict | None:
    if row[f"{party}__id"] is None:
        return None
    return {column: row[f"{party}__{column}"] for column in ("id", "name", "slug", "kind")}


def _rate(amount, period: str, per: str) -> dict | None:
    if period == Period.LUMP_SUM:
        return None
    converted, assumptions = figures.rate_in(amount, period, per)
    return {"amount": converted, "assumptions": assumptions}


def _typed_facts(row: dict) -> dict:
    facts: dict = dict.fromkeys(("wage", "contract", "knowledge", "quantity", "event"))
    if row["wage__id"] is not None:
        amount, period = row["wage__amount"], row["wage__period"]
        facts["wage"] = {
            "amount": f"{amount:.2f}",
            "currency": row["wage__currency"],
            "period": period,
            "qualifier": row["wage__qualifier"],
            "payer": _party(row, "wage__payer"),
            "payee": _party(row, "wage__payee"),
            "measure": row["wage__measure"],
            "refers_from": row["wage__refers_from"],
            "refers_to": row["wage__refers_to"],
            "hourly": _rate(amount, period, Period.HOUR),
            "monthly": _rate(amount, period, Period.MONTH),
        }
    if row["contract__id"] is not None:
        facts["contract"] = {
            "engager": _party(row, "contract__engager"),
            "engaged": _party(row, "contract__engaged"),
            "role": row["contract__role"],
            "status": row["contract__status"],
            "since": row["contract__since"],
            "until": row["contract__until"],
        }
    if row["knowledge__id"] is not None:
        facts["knowledge"] = {
            "actor": _party(row, "knowledge__actor"),
            "polarity": row["knowledge__polarity"],
            "date": row["knowledge__known_on"],
            "event": row["knowledge__when_event"],
            "about": row["knowledge__subject_text"],
            "about_claim": row["knowledge__subject_claim_id"] if row["subject_shown"] else None,
        }
    if row["quantity__id"] is not None:
        facts["quantity"] = {
            "measure": row["quantity__measure"],
            "value": f"{row['quantity__value']:.4f}",
            "unit": row["quantity__unit"],
            "qualifier": row["quantity__qualifier"],
        }
    if row["event__id"] is not None:
        facts["event"] = {
            "actor": _party(row, "event__actor"),
            "action": row["event__action"],
            "recipient": _party(row, "event__recipient"),
            "object": row["event__object"],
            "date": row["event__occurred_on"],
        }
    return facts


def rating_scale() -> tuple[int | None, int | None]:
    """(best, worst): the highest and lowest value of the on-scale ratings."""
    scale = Rating.objects.filter(value__isnull=False).aggregate(best=Max("value"), worst=Min("value"))
    return scale["best"], scale["worst"]


# --- Documents ---------------------------------------------------------------------------


def document_rows(queryset: QuerySet, *, with_text: bool = False) -> QuerySet:
    return queryset.values(*DOCUMENT_COLUMNS, *(["text"] if with_text else []))


def represent_document(row: dict) -> dict:
    row["previous_version"] = row.pop("previous_version_id")
    row["api_url"] = reverse("document-detail", args=[row["id"]])
    return row
