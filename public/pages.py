"""What the public pages show, read from the feed projection (api.feed) plus what only a page needs.

A claim page is the feed's dict of the claim (verdicts, appearances, evidence, confirmed conflicts
between public claims) with the structured facts in words, the documents its evidence quotes, the
other side of each conflict: a fixed number of queries per page. The index reads one page of
claims and their current verdicts. The rating colours are one stylesheet (`rating_badge_css`). Both read public claims only
(`Claim.objects.published()`, the one definition of public), whoever asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from api import feed
from api.base import FeedCursorPagination
from api.claims import PUBLIC_PARTITION
from api.filters import MAX_ID, ClaimFilter
from claims.facts import figures
from claims.models import Appearance, Claim, Entity, Period, SourceDocument
from claims.querysets import PUBLIC_STATUSES
from reviews.models import Rating, Verdict

PAGE_SIZE = 20
# The index's filters: a subset of the API's ClaimFilter, read by the same FilterSet.
FILTERS = ("q", "rating", "kind", "claimant", "outlet", "entity")


# --- Structured facts in words --------------------------------------------------------------

_PER = {
    Period.HOUR: "an hour",
    Period.DAY: "a day",
    Period.WEEK: "a week",
    Period.MONTH: "a month",
    Period.YEAR: "a year",
    Period.LUMP_SUM: "in all",
}
SAFE_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
SAFE_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}
# Which period a rate is also given in: readers compare pay per hour with pay per month.
_ALSO_IN = {
    Period.HOUR: Period.MONTH,
    Period.DAY: Period.MONTH,
    Period.WEEK: Period.MONTH,
    Period.MONTH: Period.HOUR,
    Period.YEAR: Period.MONTH,
}


def money(amount: Decimal, currency: str, *, rounded: bool = False) -> str:
    """$7.25, $1,276 (rounded: whole units from 100 up), 20 MXN."""
    places = Decimal("1") if rounded and amount >= 100 else Decimal("0.01")
    value = amount.quantize(places, rounding=ROUND_HALF_UP)
    text = f"{value:,}"
    if text.endswith(".00"):
        text = text[:-3]
    symbol = _SYMBOL.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def wage_in_words(wage) -> str:
    qualifier = "" if wage.qualifier == "exactly" else f"{wage.get_qualifier_display()} "
    words = f"{qualifier}{money(wage.amount, wage.currency)} {_PER[wage.period]}"
    other = _ALSO_IN.get(wage.period)
    if other:
        converted = figures.convert(wage.amount, wage.period, other)
        words += f", about {money(converted.amount, wage.currency, rounded=True)} {_PER[other]} {converted.assumptions}"
    parties = []
    if wage.payer:
        parties.append(f"paid by {wage.payer.name}")
    if wage.payee:
        parties.append(f"to {wage.payee.name}")
    if wage.measure:
        parties.append(f"({wage.measure})")
    return "; ".join([words, " ".join(parties)]) if parties else words


def _dated(text: str, since=None, until=None) -> str:
    if since and until:
        return f"{text}, from {since:%-d %B %Y} to {until:%-d %B %Y}"
    if since:
        return f"{text}, since {since:%-d %B %Y}"
    if until:
        return f"{text}, until {until:%-d %B %Y}"
    return text


# What the sentences read of each fact, by the claim's one-to-one accessor; `x__name` is a party.
_FACT_VALUES = {
    "wage": ("amount", "currency", "period", "qualifier", "measure", "payer__name", "payee__name"),
    "contract": ("role", "status", "since", "until", "engager__name", "engaged__name"),
    "knowledge": (
        "polarity",
        "subject_text",
        "known_on",
        "when_event",
        "actor__name",
        "subject_claim__status",
        "subject_claim__text",
    ),
    "quantity": ("measure", "value", "unit", "qualifier"),
    "event": ("action", "object", "occurred_on", "actor__name", "recipient__name"),
}


class FactValues:
    """One fact as facts_lines reads it, from plain values (no model instances): its fields, each
    related row (party, subject claim) as an object or None, and get_<field>_display() for choices."""

    def __init__(self, model, values: Mapping):
        related: dict[str, dict] = {}
        for key, value in values.items():
            head, _, attr = key.partition("__")
            if attr:
                related.setdefault(head, {})[attr] = value
            else:
                setattr(self, key, value)
        for head, attrs in related.items():
            setattr(self, head, SimpleNamespace(**attrs) if any(v is not None for v in attrs.values()) else None)
        for name, value in values.items():
            field = model._meta.get_field(name) if "__" not in name else None
            if field is not None and field.choices:
                label = dict(field.flatchoices).get(value, value)
                setattr(self, f"get_{name}_display", lambda label=label: label)


_FACT_COLUMNS = [f"{kind}__{name}" for kind, names in _FACT_VALUES.items() for name in ("id", *names)]


def _fact_rows(ids: list[int]) -> QuerySet:
    return Claim.objects.filter(id__in=ids).values_list(*_FACT_COLUMNS)


def facts_in_words(claim_id: int) -> list[str]:
    """The claim's structured facts as sentences a reader understands; one query (plain values:
    model instances of five facts and their parties cost more than the query)."""
    rows = feed.rows_by_ids(_fact_rows, [claim_id])
    if not rows:
        return []
    row = dict(zip(_FACT_COLUMNS, rows[0], strict=True))
    facts = {
        kind: FactValues(Claim._meta.get_field(kind).related_model, {name: row[f"{kind}__{name}"] for name in names})
        if row[f"{kind}__id"] is not None
        else None
        for kind, names in _FACT_VALUES.items()
    }
    return facts_lines(SimpleNamespace(**facts))


def facts_lines(claim) -> list[str]:
    """The sentences of `claim`'s facts (an object with the optional one-to-one attributes `wage`,
    `contract`, `knowledge`, `quantity` and `event`, their parties loaded)."""
    lines = []
    if (wage := getattr(claim, "wage", None)) is not None:
        lines.append("Pay: " + wage_in_words(wage))
    if (contract := getattr(claim, "contract", None)) is not None:
        status = {"active": "still active", "ended": "ended", "unknown": "status unknown"}[contract.status]
        text = f"Contract: {contract.engager.name} engaged {contract.engaged.name} as {contract.get_role_display()} ({status})"
        lines.append(_dated(text, contract.since, contract.until))
    if (knowledge := getattr(claim, "knowledge", None)) is not None:
        subject = knowledge.subject_text
        if not subject and knowledge.subject_claim and knowledge.subject_claim.status in PUBLIC_STATUSES:
            subject = knowledge.subject_claim.text
        text = f"Knowledge: {knowledge.actor.name} {knowledge.get_polarity_display()} {subject or 'a matter the desk has not published'}"
        if knowledge.known_on:
            text += f", on {knowledge.known_on:%-d %B %Y}"
        if knowledge.when_event:
            text += f" ({knowledge.when_event})"
        lines.append(text)
    if (quantity := getattr(claim, "quantity", None)) is not None:
        qualifier = "" if quantity.qualifier == "exactly" else f"{quantity.get_qualifier_display()} "
        value = f"{quantity.value.normalize():,f}"
        lines.append(f"Count: {quantity.measure}: {qualifier}{value} {quantity.unit}".rstrip())
    if (event := getattr(claim, "event", None)) is not None:
        text = f"Event: {event.actor.name} {event.action}"
        if event.recipient and event.recipient.name not in event.action:
            text += f" (with {event.recipient.name})"
        if event.object:
            text += f": {event.object}"
        if event.occurred_on:
            text += f", on {event.occurred_on:%-d %B %Y}"
        lines.append(text)
    return lines


# --- A claim's page -------------------------------------------------------------------------


def rating_badge_css() -> str:
    """The badge colour of every rating, as CSS rules (`.badge.rating-<slug>`): the pages carry
    no inline style, for the Content-Security-Policy."""
    rules = [
        f".badge.rating-{slug}{{background-color:{colour}}}"
        for slug, colour in Rating.objects.order_by("slug").values_list("slug", "colour")
        # Both are validated (slug, #rrggbb); checked again because they are written into CSS.
        if SAFE_SLUG.fullmatch(slug) and SAFE_COLOUR.fullmatch(colour)
    ]
    return "\n".join(rules) + "\n"


def survivor_page(slug: str) -> str | None:
    """The page of the public claim a merged-away claim was merged into, if there is one."""
    survivor = Claim.objects.merged_away().filter(slug=slug, merged_into__status__in=PUBLIC_STATUSES)
    found = survivor.values_list("merged_into__slug", flat=True).first()
    return Claim.page_path(found) if found else None


_DOCUMENT_COLUMNS = ("id", "title", "outlet", "url", "published_on")


def _document_rows(ids: list[int]) -> QuerySet:
    return SourceDocument.objects.filter(id__in=ids).values_list(*_DOCUMENT_COLUMNS)


def claim_page(claim_id: int) -> dict:
    """Everything a claim's page shows (a public claim, by id)."""
    rows = [row for row in feed.claim_rows_by_ids([claim_id]) if row["status"] in PUBLIC_STATUSES]
    # The public view, whoever reads; the facts are worded below (facts_in_words), not typed.
    claim = feed.represent_claims(rows, viewer=None, without=frozenset({"facts"}))[0]
    cited = sorted({e["document"] for e in claim["evidence"] if e["document"]})
    documents = {
        row[0]: dict(zip(_DOCUMENT_COLUMNS, row, strict=True)) for row in feed.rows_by_ids(_document_rows, cited)
    }
    # Two reviewers citing the same passage or page are one piece of evidence to a reader.
    unique = {}
    for item in claim["evidence"]:
        unique.setdefault((item["stance"], item["document"], item["start"], item["end"], item["url"]), item)
    claim["evidence"] = list(unique.values())
    for item in claim["evidence"]:
        doc = documents.get(item["document"])
        if doc is not None:
            item["source"] = doc
            item["source_url"] = doc["url"] or reverse("document-detail", args=[doc["id"]])
    others = {
        pk: (slug, text)
        for pk, slug, text in Claim.objects.published()
        .filter(id__in={c["other_claim"] for c in claim["conflicts"]})
        .values_list("id", "slug", "text")
    }
    for conflict in claim["conflicts"]:
        slug, text = others.get(conflict["other_claim"], (None, ""))
        conflict["other_url"] = Claim.page_path(slug) if slug else None
        conflict["other_text"] = text
    claim["facts"] = facts_in_words(claim_id)
    verdicts = [*claim["earlier_verdicts"][::-1], claim["verdict"]]
    claim["verdicts"] = verdicts
    claim["corrections"] = [v for v in verdicts if v["kind"] == Verdict.Kind.CORRECTION]
    claim["retracted"] = claim["status"] == Claim.Status.RETRACTED
    # What a retraction withdrew: the verdict it replaced (a retraction keeps its rating and summary).
    claim["withdrawn"] = verdicts[-2] if claim["retracted"] and len(verdicts) > 1 else claim["verdict"]
    claim["outlets"] = _by_document(claim["appearances"])
    return claim


def _by_document(appearances: list[dict]) -> list[dict]:
    """Appearances grouped by source document, in document order."""
    grouped: dict[int, dict] = {}
    for appearance in appearances:
        entry = grouped.setdefault(
            appearance["document"],
            {
                "outlet": appearance["outlet"],
                "title": appearance["title"],
                "url": appearance["document_url"],
                "published_on": appearance["published_on"],
                "quotes": [],
            },
        )
        entry["quotes"].append(appearance["exact"])
    return list(grouped.values())


# --- The index ------------------------------------------------------------------------------

# The filters' choices come from the newest public claims only, so the page costs the same however
# large the archive grows (listing every claimant, subject and outlet ever published made the index
# 328 KB and 4.5 s at 100,000 claims). The most frequent there are offered; a reader who follows a
# claimant's link from a card, or any older value, still sees it selected.
CHOICES_WINDOW = 250
CHOICES_LIMIT = 50
# "More than 1,000 fact-checks": counting further would read the whole archive for a number.
COUNT_LIMIT = 1000


class IndexPagination(FeedCursorPagination):
    """The API's keyset pagination, newest first, 20 a page: a page deep in the archive is one index
    range scan (a page number needed COUNT and OFFSET over every public claim)."""

    page_size = PAGE_SIZE
    page_size_query_param = None

    def get_ordering(self, request) -> str:
        return self.default_ordering


@dataclass
class Index:
    claims: list[dict]
    filters: ClaimFilter
    choices: dict[str, list[tuple[str, str]]]
    count: int  # up to COUNT_LIMIT + 1 (more than COUNT_LIMIT)
    newer: str | None
    older: str | None
    cursor_error: str | None = None

    @property
    def count_is_capped(self) -> bool:
        return self.count > COUNT_LIMIT

    @property
    def count_limit(self) -> str:
        return f"{COUNT_LIMIT:,}"


def _relative(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def index(request: HttpRequest) -> Index:
    """One page of public claims, newest first, filtered as the API filters: a fixed number of
    queries, each bounded by the page, COUNT_LIMIT or CHOICES_WINDOW rather than the archive."""
    params = request.GET
    data = {name: params[name] for name in FILTERS if params.get(name)}
    filters = ClaimFilter(data=data, queryset=Claim.objects.published())
    claims: QuerySet = filters.qs
    paginator = IndexPagination()
    drf_request = Request(request)
    # A search reads the few matching claims through the text indexes and sorts them, as the feed does.
    partition = None if data.get("q", "").strip() else PUBLIC_PARTITION
    cursor_error = None
    try:
        rows = paginator.paginate_queryset(feed.claim_rows(claims), drf_request, partition=partition)
    except ValidationError:
        cursor_error = "This page's link could not be read; here are the newest fact-checks."
        drf_request = Request(_without_cursor(request))
        rows = paginator.paginate_queryset(feed.claim_rows(claims), drf_request, partition=partition)
    count = claims.order_by()[: COUNT_LIMIT + 1].count()
    current = _current_verdicts([row["id"] for row in rows])
    ratings = list(Rating.objects.values_list("slug", "label"))
    for row in rows:
        row["verdict"] = current.get(row["id"])
        row["url"] = Claim.page_path(row["slug"])
    return Index(
        claims=rows,
        filters=filters,
        choices=_choices(ratings, selected=data),
        count=count,
        newer=_relative(paginator.previous_link),
        older=_relative(paginator.next_link),
        cursor_error=cursor_error,
    )


def _without_cursor(request: HttpRequest) -> HttpRequest:
    stripped = copy(request)
    stripped.GET = request.GET.copy()
    stripped.GET.pop(IndexPagination.cursor_query_param, None)
    return stripped


def _current_verdicts(ids: list[int]) -> dict[int, dict]:
    current: dict[int, dict] = {}
    rows = (
        Verdict.objects.filter(claim_id__in=ids)
        .order_by("claim_id", "version")
        .values("claim_id", "version", "kind", "rating__slug", "rating__label", "summary", "published_at")
    )
    for row in rows:
        current[row["claim_id"]] = row  # the last version wins
    return current


def _recent_public_ids() -> QuerySet:
    """The ids of the newest CHOICES_WINDOW claims of each public status (a subquery): one short
    index range scan per status, as the feed pages (see FeedCursorPagination.paginate_queryset)."""
    order = ("-published_at", "-id")
    public = Claim.objects.published()
    if not connections[public.db].features.supports_slicing_ordering_in_compound:  # SQLite
        return public.order_by(*order).values("id")[:CHOICES_WINDOW]
    status, values = PUBLIC_PARTITION
    parts = [Claim.objects.filter(**{status: value}).order_by(*order).values("id")[:CHOICES_WINDOW] for value in values]
    return parts[0].union(*parts[1:], all=True)


def _by_label(pairs, selected: str | None, label_of_selected: str | None) -> list[tuple[str, str]]:
    """The choices in alphabetical order, with the selected value kept even if it is not among them."""
    choices = dict(pairs)
    if selected and selected not in choices:
        choices[selected] = label_of_selected or selected
    return sorted(choices.items(), key=lambda item: (item[1].casefold(), item[0]))


def _choices(ratings: list[tuple[str, str]], *, selected: Mapping[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Each filter's choices: the CHOICES_LIMIT most frequent among the newest public claims, plus
    the selected value. One GROUP BY ... LIMIT per filter over at most 2 x CHOICES_WINDOW claims,
    and one query for the names of a selected claimant or entity."""
    recent = _recent_public_ids()
    claimants = (
        Claim.objects.filter(id__in=recent)
        .values_list("claimant__slug", "claimant__name")
        .annotate(n=Count("id"))
        .order_by("-n", "claimant__name")[:CHOICES_LIMIT]
    )
    entities = (
        Claim.entities.through.objects.filter(claim_id__in=recent)
        .values_list("entity__slug", "entity__name")
        .annotate(n=Count("claim_id"))
        .order_by("-n", "entity__name")[:CHOICES_LIMIT]
    )
    outlets = (
        Appearance.objects.filter(claim_id__in=recent)
        .exclude(document__outlet="")
        .values_list("document__outlet")
        .annotate(n=Count("claim_id", distinct=True))
        .order_by("-n", "document__outlet")[:CHOICES_LIMIT]
    )
    names = _selected_names([selected[key] for key in ("claimant", "entity") if selected.get(key)])
    outlet = selected.get("outlet")
    outlet_choices = {name: name for name, _ in outlets}
    for name in list(outlet_choices):
        if outlet and name != outlet and name.casefold() == outlet.casefold():
            # The filter ignores case: "the courier" is "The Courier", offered once and selected.
            del outlet_choices[name]
            outlet_choices[outlet] = name
    return {
        "rating": ratings,
        "kind": list(Claim.Kind.choices),
        "claimant": _by_label(
            ((slug, name) for slug, name, _ in claimants), selected.get("claimant"), names.get(selected.get("claimant"))
        ),
        "outlet": _by_label(outlet_choices.items(), outlet, None),
        "entity": _by_label(
            ((slug, name) for slug, name, _ in entities), selected.get("entity"), names.get(selected.get("entity"))
        ),
    }


def _selected_names(values: list[str]) -> dict[str, str]:
    """The names of the selected claimant and entity (a slug or an id, as the filters read them)."""
    if not values:
        return {}
    ids = {int(v) for v in values if v.isdigit() and int(v) <= MAX_ID}
    slugs = {v for v in values if not (v.isdigit() and int(v) <= MAX_ID)}
    found = {}
    for pk, slug, name in Entity.objects.filter(Q(id__in=ids) | Q(slug__in=slugs)).values_list("id", "slug", "name"):
        found[slug] = name
        found[str(pk)] = name
    return found
