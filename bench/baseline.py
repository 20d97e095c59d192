"""The benchmark's baseline: the feed's page built by ONE hand-written SQL query, plus orjson.

The database assembles the whole page as JSON (json_build_object/json_agg on PostgreSQL,
json_object/json_group_array on SQLite); Python only parses it, adds the cursor links and
serializes the result with orjson. That is about as little work as this page can cost on
this machine, which makes it the yardstick for /api/claims/. It serves the default ordering
(-published) with an optional forward cursor, and is mounted only by bench.urls.

The JSON is the feed's (api.feed.represent_claims), key for key; tests/bench checks that
the two agree on the same data.
"""

from __future__ import annotations

import base64
from decimal import Decimal

import orjson
from django.db import connections, router
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from rest_framework.utils.urls import replace_query_param

from claims.facts import figures
from claims.models import Claim, Period
from claims.querysets import PUBLIC_STATUSES

MAX_PAGE_SIZE = 100
# The app's public statuses as an SQL list, e.g. ('published', 'retracted').
_PUBLIC = "(" + ", ".join(f"'{status}'" for status in PUBLIC_STATUSES) + ")"

# Per-claim parts, as correlated subqueries on the page row `p`. {ts} and {day} render a
# timestamp and a date the way orjson renders Python's (ISO 8601, +00:00).
_PARTS = {
    "claimant": """json_build_object('id', cl.id, 'name', cl.name, 'slug', cl.slug, 'kind', cl.kind, 'url', cl.url)""",
    "entities": """COALESCE((
        SELECT json_agg(json_build_object('id', e.id, 'name', e.name, 'slug', e.slug, 'kind', e.kind)
                        ORDER BY e.name, e.id)
        FROM claims_claim_entities ce JOIN claims_entity e ON e.id = ce.entity_id
        WHERE ce.claim_id = p.id), '[]'::json)""",
    "verdict": """(
        SELECT {verdict} FROM reviews_verdict v JOIN reviews_rating r ON r.id = v.rating_id
        WHERE v.claim_id = p.id ORDER BY v.version DESC LIMIT 1)""",
    "earlier_verdicts": """COALESCE((
        SELECT json_agg({verdict} ORDER BY v.version DESC)
        FROM reviews_verdict v JOIN reviews_rating r ON r.id = v.rating_id
        WHERE v.claim_id = p.id
          AND v.version < (SELECT max(v2.version) FROM reviews_verdict v2 WHERE v2.claim_id = p.id)), '[]'::json)""",
    "appearances": """COALESCE((
        SELECT json_agg({appearance} ORDER BY a.document_id, a.start, a.id)
        FROM claims_appearance a JOIN claims_sourcedocument d ON d.id = a.document_id
        WHERE a.claim_id = p.id), '[]'::json)""",
    "first_appearance": """(
        SELECT {appearance}
        FROM claims_appearance a JOIN claims_sourcedocument d ON d.id = a.document_id
        WHERE a.claim_id = p.id
        ORDER BY d.published_on IS NULL, COALESCE(d.published_on, {imported_day}), a.document_id, a.start, a.id
        LIMIT 1)""",
    "evidence": """COALESCE((
        SELECT json_agg(json_build_object(
                   'stance', ev.stance, 'exact', ev.exact, 'prefix', ev.prefix, 'suffix', ev.suffix,
                   'start', ev.start, 'end', ev."end", 'url', ev.url, 'title', ev.title,
                   'excerpt', ev.excerpt, 'document', ev.document_id)
               ORDER BY rv.id, ev.id)
        FROM reviews_evidence ev JOIN reviews_review rv ON rv.id = ev.review_id
        WHERE rv.claim_id = p.id AND rv.status = 'submitted'), '[]'::json)""",
    "conflicts": f"""COALESCE((
        SELECT json_agg(json_build_object(
                   'id', c.id,
                   'other_claim', CASE WHEN c.claim_a_id = p.id THEN c.claim_b_id ELSE c.claim_a_id END,
                   'field', c.field,
                   'value', CASE WHEN c.claim_a_id = p.id THEN c.value_a ELSE c.value_b END,
                   'other_value', CASE WHEN c.claim_a_id = p.id THEN c.value_b ELSE c.value_a END,
                   'explanation', c.explanation)
               ORDER BY c.id)
        FROM claims_conflict c
        JOIN claims_claim ca ON ca.id = c.claim_a_id JOIN claims_claim cb ON cb.id = c.claim_b_id
        WHERE (c.claim_a_id = p.id OR c.claim_b_id = p.id) AND c.status = 'confirmed'
          AND ca.status IN {_PUBLIC} AND cb.status IN {_PUBLIC}), '[]'::json)""",
}

_VERDICT = """json_build_object(
    'version', v.version, 'kind', v.kind,
    'rating', json_build_object(
        'label', r.label, 'slug', r.slug, 'value', r.value,
        'best', CASE WHEN r.value IS NULL THEN NULL ELSE s.best END,
        'worst', CASE WHEN r.value IS NULL THEN NULL ELSE s.worst END),
    'summary', v.summary, 'correction_note', v.correction_note, 'published_at', {ts_v},
    'valid_until', v.valid_until, 'recheck_by', v.recheck_by)"""

_APPEARANCE = """json_build_object(
    'id', a.id, 'document', a.document_id, 'outlet', d.outlet, 'title', d.title, 'document_url', d.url,
    'published_on', d.published_on, 'exact', a.exact, 'prefix', a.prefix, 'suffix', a.suffix,
    'start', a.start, 'end', a."end")"""

_ITEM = """json_build_object(
    'id', p.id, 'url', %(claims_url)s || p.id || '/', 'slug', p.slug, 'text', p.text, 'kind', p.kind,
    'status', p.status, 'under_recheck', {under_recheck}, 'version', p.version,
    'claimant', {claimant}, 'entities', {entities},
    'published_at', {ts_published}, 'updated_at', {ts_updated},
    'verdict', {verdict}, 'earlier_verdicts', {earlier_verdicts},
    'appearances', {appearances}, 'first_appearance', {first_appearance},
    'evidence', {evidence}, 'conflicts', {conflicts}, 'facts', {facts})"""


def _facts(dialect: str) -> str:
    """The claim's typed facts (api.feed._typed_facts), key for key, with the wage rates computed on
    integer cents exactly as claims.facts.figures.rate_in does."""

    def sub(sql: str) -> str:
        # SQLite drops the JSON subtype of a value coming out of a subquery or CASE.
        return f"json({sql})" if dialect == "sqlite" else sql

    def cents_text(cents: str) -> str:
        if dialect == "sqlite":
            return f"printf('%%d.%%02d', {cents} / 100, {cents} %% 100)"
        return f"({cents} / 100)::text || '.' || lpad(({cents} %% 100)::text, 2, '0')"

    def party(alias: str) -> str:
        return sub(
            f"CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object("
            f"'id', {alias}.id, 'name', {alias}.name, 'slug', {alias}.slug, 'kind', {alias}.kind) END"
        )

    cents = "CAST(round(w.amount * 100) AS INTEGER)" if dialect == "sqlite" else "round(w.amount * 100)::bigint"

    def rate(per: str) -> str:
        whens_amount, whens_words = [], []
        for period in Period.values:
            if period == Period.LUMP_SUM:
                continue
            factor = figures.period_factor(period, per)
            converted = f"((2 * {cents} * {factor.numerator} + {factor.denominator}) / (2 * {factor.denominator}))"
            _, words = figures.rate_in(Decimal(0), period, per)
            whens_amount.append(f"WHEN '{period}' THEN {cents_text(converted)}")
            whens_words.append(f"WHEN '{period}' THEN '{words}'")
        return sub(
            f"CASE WHEN w.period = '{Period.LUMP_SUM}' THEN NULL ELSE json_build_object("
            f"'amount', CASE w.period {' '.join(whens_amount)} END, "
            f"'assumptions', CASE w.period {' '.join(whens_words)} END) END"
        )

    value = "printf('%%.4f', q.value)" if dialect == "sqlite" else "q.value::text"
    wage = f"""(SELECT json_build_object(
            'amount', {cents_text(cents)}, 'currency', w.currency, 'period', w.period, 'qualifier', w.qualifier,
            'payer', {party("wp")}, 'payee', {party("wr")}, 'measure', w.measure,
            'refers_from', w.refers_from, 'refers_to', w.refers_to,
            'hourly', {rate(Period.HOUR)}, 'monthly', {rate(Period.MONTH)})
        FROM claims_wagefigure w
        LEFT JOIN claims_entity wp ON wp.id = w.payer_id LEFT JOIN claims_entity wr ON wr.id = w.payee_id
        WHERE w.claim_id = p.id)"""
    contract = f"""(SELECT json_build_object(
            'engager', {party("ce")}, 'engaged', {party("cd")}, 'role', c.role, 'status', c.status,
            'since', c.since, 'until', c.until)
        FROM claims_contractrelation c
        JOIN claims_entity ce ON ce.id = c.engager_id JOIN claims_entity cd ON cd.id = c.engaged_id
        WHERE c.claim_id = p.id)"""
    knowledge = f"""(SELECT json_build_object(
            'actor', {party("ka")}, 'polarity', k.polarity, 'date', k.known_on, 'event', k.when_event,
            'about', k.subject_text,
            'about_claim', CASE WHEN ks.status IN {_PUBLIC} THEN k.subject_claim_id ELSE NULL END)
        FROM claims_knowledgefact k
        JOIN claims_entity ka ON ka.id = k.actor_id LEFT JOIN claims_claim ks ON ks.id = k.subject_claim_id
        WHERE k.claim_id = p.id)"""
    quantity = f"""(SELECT json_build_object(
            'measure', q.measure, 'value', {value}, 'unit', q.unit, 'qualifier', q.qualifier)
        FROM claims_quantityfact q WHERE q.claim_id = p.id)"""
    event = f"""(SELECT json_build_object(
            'actor', {party("ea")}, 'action', e.action, 'recipient', {party("er")}, 'object', e.object,
            'date', e.occurred_on)
        FROM claims_eventfact e
        JOIN claims_entity ea ON ea.id = e.actor_id LEFT JOIN claims_entity er ON er.id = e.recipient_id
        WHERE e.claim_id = p.id)"""
    kinds = {"wage": wage, "contract": contract, "knowledge": knowledge, "quantity": quantity, "event": event}
    return "json_build_object(" + ", ".join(f"'{kind}', {sub(sql)}" for kind, sql in kinds.items()) + ")"


_OPEN_RECHECK = "EXISTS (SELECT 1 FROM reviews_recheck r WHERE r.claim_id = p.id AND r.closed_at IS NULL)"

_QUERY = """
WITH page AS (
    {page}
), shown AS (
    SELECT * FROM page ORDER BY published_at DESC, id DESC LIMIT %(size)s
), s AS (
    SELECT max(value) AS best, min(value) AS worst FROM reviews_rating WHERE value IS NOT NULL
)
SELECT
    (SELECT count(*) FROM page),
    (SELECT {array_agg} FROM (
        SELECT {item} AS item, p.published_at, p.id
        FROM shown p JOIN claims_entity cl ON cl.id = p.claimant_id CROSS JOIN s
        ORDER BY p.published_at DESC, p.id DESC) items)
"""
_AFTER = "AND published_at <= %(at)s AND (published_at < %(at)s OR id < %(pk)s)"
_COLUMNS = "id, slug, text, kind, status, version, published_at, verdict_updated_at, claimant_id"
# SQLite: one scan over both public statuses.
_PAGE_IN = f"""SELECT {_COLUMNS} FROM claims_claim
    WHERE status IN {_PUBLIC} {{after}}
    ORDER BY published_at DESC, id DESC LIMIT %(limit)s"""
# PostgreSQL: an index on (status, published_at, id) returns one status in date order, so each
# status is read by its own index-ordered LIMIT and the two short lists are merged.
_PAGE_PER_STATUS = (
    "SELECT * FROM (\n"
    + "\n        UNION ALL\n".join(
        f"""        SELECT * FROM (SELECT {_COLUMNS} FROM claims_claim WHERE status = '{status}' {{after}}
                       ORDER BY published_at DESC, id DESC LIMIT %(limit)s) AS {status}"""
        for status in PUBLIC_STATUSES
    )
    + "\n    ) AS public ORDER BY published_at DESC, id DESC LIMIT %(limit)s"
)


# The feed's `q` (PostgreSQL): each public status in date order, keeping the claims whose search
# document (text, summaries and quotes, kept current by triggers) matches; for a rare word the
# planner starts from the documents' GIN index instead. claims_search_query() is
# websearch_to_tsquery() kept out of parallel workers (see api.filters.LeaderSearchQuery).
_SEARCH = """AND EXISTS (
        SELECT 1 FROM claims_claimsearch s WHERE s.claim_id = claims_claim.id
            AND s.document @@ claims_search_query('english'::regconfig, %(q)s))"""


def _postgresql(with_cursor: bool, search: bool = False) -> str:
    # Python's isoformat: six fractional digits, or none when they are all zero (to_json trims them).
    def ts(column: str) -> str:
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds FROM {column})::bigint "
            f"%% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
        )

    verdict = _VERDICT.format(ts_v=ts("v.published_at"))
    parts = {
        name: sql.format(
            verdict=verdict, appearance=_APPEARANCE, imported_day="(d.imported_at AT TIME ZONE 'UTC')::date"
        )
        for name, sql in _PARTS.items()
    }
    item = _ITEM.format(
        **parts,
        ts_published=ts("p.published_at"),
        ts_updated=ts("p.verdict_updated_at"),
        under_recheck=_OPEN_RECHECK,
        facts=_facts("postgresql"),
    )
    after = _AFTER if with_cursor else ""
    return _QUERY.format(
        page=_PAGE_PER_STATUS.format(after=f"{after} {_SEARCH}" if search else after),
        item=item,
        # As text: psycopg would parse json with the stdlib; orjson parses it faster.
        array_agg="COALESCE(json_agg(item ORDER BY published_at DESC, id DESC), '[]'::json)::text",
    )


def _sqlite(with_cursor: bool) -> str:
    # SQLite stores timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC. JSON values lose their
    # JSON subtype when they pass through a subquery, hence json(...) around each one.
    def ts(column: str) -> str:
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE replace({column}, ' ', 'T') || '+00:00' END"

    def array(sql: str) -> str:
        # COALESCE((SELECT json_agg(X ORDER BY K) FROM ... WHERE ...), '[]'::json)
        #   -> json((SELECT json_group_array(json(x)) FROM (SELECT X AS x FROM ... WHERE ... ORDER BY K)))
        body = sql.strip()
        assert body.startswith("COALESCE((") and body.endswith("), '[]'::json)")
        body = body[len("COALESCE((") : -len("), '[]'::json)")].strip()
        select, _, rest = body.partition(" FROM ")
        expression = select.strip().removeprefix("SELECT json_agg(").strip()
        value, _, order = expression.rpartition(" ORDER BY ")
        order = order.strip().removesuffix(")")
        return (
            f"json((SELECT json_group_array(json(x)) FROM (SELECT {value.strip()} AS x FROM {rest} ORDER BY {order})))"
        )

    verdict = _VERDICT.format(ts_v=ts("v.published_at"))
    parts = {}
    for name, sql in _PARTS.items():
        sql = sql.format(verdict=verdict, appearance=_APPEARANCE, imported_day="substr(d.imported_at, 1, 10)")
        parts[name] = array(sql) if sql.strip().startswith("COALESCE((") else f"json({sql.strip()})"
    parts["claimant"] = _PARTS["claimant"]
    item = _ITEM.format(
        **parts,
        ts_published=ts("p.published_at"),
        ts_updated=ts("p.verdict_updated_at"),
        # SQLite has no boolean: a JSON true or false.
        under_recheck=f"CASE WHEN {_OPEN_RECHECK} THEN json('true') ELSE json('false') END",
        facts=_facts("sqlite"),
    )
    item = item.replace("json_build_object(", "json_object(")
    return _QUERY.format(
        page=_PAGE_IN.format(after=_AFTER if with_cursor else ""),
        item=item,
        array_agg="json_group_array(json(item))",
    )


def _cursor_token(published_at: str, pk: int, reverse: bool) -> str:
    token = orjson.dumps({"t": published_at, "i": pk, "r": reverse})
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def baseline_page(*, size: int, after: tuple | None, feed_url: str, q: str = "") -> bytes:
    """The JSON body of one feed page (default ordering, optionally `q` on PostgreSQL), from one SQL query."""
    alias = router.db_for_read(Claim)
    connection = connections[alias]
    if q and connection.vendor != "postgresql":
        raise ValueError("the baseline searches on PostgreSQL only")
    if connection.vendor == "postgresql":
        sql = _postgresql(after is not None, search=bool(q))
    else:
        sql = _sqlite(after is not None)
    params = {"limit": size + 1, "size": size, "claims_url": reverse("claim-list"), "q": q}
    if after is not None:
        params["at"] = connection.ops.adapt_datetimefield_value(after[0])
        params["pk"] = after[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, results_json = cursor.fetchone()
    results = orjson.loads(results_json) if results_json else []
    next_link = previous_link = None
    if results and count > size:
        next_link = replace_query_param(
            feed_url, "cursor", _cursor_token(results[-1]["published_at"], results[-1]["id"], False)
        )
    if results and after is not None:
        previous_link = replace_query_param(
            feed_url, "cursor", _cursor_token(results[0]["published_at"], results[0]["id"], True)
        )
    return orjson.dumps({"next": next_link, "previous": previous_link, "results": results})


def _page_request(request: HttpRequest, *, default_size: int) -> tuple[int, tuple | None] | HttpResponse:
    """The page size and forward cursor (timestamp, id) the feed's pages take, or a 400."""
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        return HttpResponseBadRequest("page_size")
    if not 1 <= size <= MAX_PAGE_SIZE:
        return HttpResponseBadRequest("page_size")
    raw = request.GET.get("cursor")
    if not raw:
        return size, None
    data = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if data.get("r"):
        return HttpResponseBadRequest("the baseline serves forward cursors only")
    return size, (parse_datetime(data["t"]), int(data["i"]))


def baseline_feed(request: HttpRequest) -> HttpResponse:
    """GET /bench/baseline/claims/?page_size=N&cursor=C&q=Q: the feed's page, the fastest way we know."""
    page = _page_request(request, default_size=20)
    if isinstance(page, HttpResponse):
        return page
    size, after = page
    # The links point at the feed itself, as the feed's own do.
    query = request.META.get("QUERY_STRING", "")
    feed_url = request.build_absolute_uri(reverse("claim-list") + (f"?{query}" if query else ""))
    q = request.GET.get("q", "").strip()
    if q and connections[router.db_for_read(Claim)].vendor != "postgresql":
        return HttpResponseBadRequest("q: PostgreSQL only")
    return HttpResponse(baseline_page(size=size, after=after, feed_url=feed_url, q=q), content_type="application/json")


# --- /api/changes/ -----------------------------------------------------------------------

_CHANGES = """
SELECT count(*),
       COALESCE(json_agg(json_build_object(
           'position', position, 'claim', claim_id, 'kind', kind, 'status', status,
           'public', public_after, 'left_public_view', public_before AND NOT public_after,
           'at', {at}, 'url', CASE WHEN public_after THEN %(page_prefix)s || page_slug || %(page_suffix)s END,
           'detail', detail) ORDER BY position) FILTER (WHERE n <= %(size)s), '[]'::json)::text
FROM (SELECT rows.*, claim.slug AS page_slug, row_number() OVER (ORDER BY position) AS n FROM (
        SELECT * FROM claims_change WHERE (public_before OR public_after) AND position > %(after)s
        ORDER BY position LIMIT %(limit)s) AS rows JOIN claims_claim AS claim ON claim.id = rows.claim_id) AS page
"""


def baseline_changes(request: HttpRequest) -> HttpResponse:
    """GET /bench/baseline/changes/?page_size=N&after=T: the public change log's page (anonymous),
    from one SQL query (PostgreSQL)."""
    from api.changes import decode_token, encode_token
    from claims.changelog import page_url

    connection = connections[router.db_for_read(Claim)]
    if connection.vendor != "postgresql":
        return HttpResponseBadRequest("PostgreSQL only")
    size = int(request.GET.get("page_size", 100))
    after = decode_token(request.GET.get("after"))
    at = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds FROM at)::bigint "
    at += "%% 1000000 = 0 THEN '' ELSE to_char(at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
    with connection.cursor() as cursor:
        # Each event's public page, as claims.changelog.page_url builds it.
        page_prefix, page_suffix = page_url("slug-placeholder").rsplit("slug-placeholder", 1)
        cursor.execute(
            _CHANGES.format(at=at),
            {"after": after, "size": size, "limit": size + 1, "page_prefix": page_prefix, "page_suffix": page_suffix},
        )
        count, results = cursor.fetchone()
    results = orjson.loads(results)
    body = {
        "results": results,
        "next": encode_token(results[-1]["position"] if results else after),
        "has_more": count > size,
    }
    return HttpResponse(orjson.dumps(body), content_type="application/json")


# --- ClaimReview (api.claimreview): one claim's, and the DataFeed --------------------------
# PostgreSQL only. The database builds the JSON-LD key for key; json_strip_nulls drops the keys
# the app leaves out (a rating off the scale, no first appearance, no correction, no expiry):
# no key of a ClaimReview is ever null when present.


def _pg_ts(column: str) -> str:
    """A timestamp as Python's isoformat (UTC): six fractional digits, or none when they are zero."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds FROM {column})::bigint "
        f"%% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
    )


_WORK = """json_build_object(
    '@type', 'CreativeWork', 'url', NULLIF({d}.url, ''),
    'headline', COALESCE(NULLIF({d}.title, ''), NULLIF({d}.outlet, ''), 'Document ' || {d}.id),
    'publisher', CASE WHEN {d}.outlet <> '' THEN json_build_object('@type', 'Organization', 'name', {d}.outlet) END,
    'datePublished', {d}.published_on)"""

# The claim `p` (with its claimant `cl`, current verdict `v`, its rating `r`, the scale `s` and the
# first appearance's document `fd`) as a ClaimReview.
_REVIEW = """json_build_object(
    {context}'@type', 'ClaimReview',
    'url', %(page_prefix)s || p.slug || %(page_suffix)s,
    'claimReviewed', p.text,
    'reviewRating', json_build_object(
        '@type', 'Rating', 'alternateName', r.label, 'ratingValue', r.value,
        'bestRating', CASE WHEN r.value IS NULL THEN NULL ELSE s.best END,
        'worstRating', CASE WHEN r.value IS NULL THEN NULL ELSE s.worst END,
        'ratingExplanation', CASE WHEN p.status = 'retracted' THEN 'Retracted: ' || v.correction_note END),
    'reviewBody', v.summary,
    'author', json_build_object('@type', 'Organization', 'name', %(publisher_name)s, 'url', %(publisher_url)s),
    'datePublished', {published},
    'itemReviewed', json_build_object(
        '@type', 'Claim',
        'author', json_build_object(
            '@type', CASE WHEN cl.kind = 'person' THEN 'Person' ELSE 'Organization' END,
            'name', cl.name, 'url', NULLIF(cl.url, '')),
        'appearance', COALESCE((
            SELECT json_agg({work} ORDER BY d.id) FROM claims_sourcedocument d
            WHERE d.id IN (SELECT a.document_id FROM claims_appearance a WHERE a.claim_id = p.id)), '[]'::json),
        'firstAppearance', CASE WHEN fd.id IS NOT NULL THEN {first_work} END,
        'datePublished', fd.published_on),
    'dateModified', CASE WHEN v.version > 1 THEN {modified} END,
    'correction', (
        SELECT json_agg(json_build_object(
                   '@type', 'CorrectionComment', 'text', c.correction_note, 'datePublished', {corrected})
               ORDER BY c.version DESC)
        FROM reviews_verdict c WHERE c.claim_id = p.id AND c.version > 1),
    'expires', v.valid_until,
    'creativeWorkStatus', CASE WHEN p.status = 'retracted' THEN 'Retracted' END)"""

# The joins _REVIEW reads, for the claims `p`.
_REVIEW_JOINS = """
    JOIN claims_entity cl ON cl.id = p.claimant_id
    JOIN LATERAL (SELECT * FROM reviews_verdict v WHERE v.claim_id = p.id ORDER BY v.version DESC LIMIT 1) v ON true
    JOIN reviews_rating r ON r.id = v.rating_id
    LEFT JOIN LATERAL (
        SELECT d.* FROM claims_appearance a JOIN claims_sourcedocument d ON d.id = a.document_id
        WHERE a.claim_id = p.id
        ORDER BY d.published_on IS NULL, COALESCE(d.published_on, (d.imported_at AT TIME ZONE 'UTC')::date),
                 a.document_id, a.start, a.id
        LIMIT 1) fd ON true
    CROSS JOIN (SELECT max(value) AS best, min(value) AS worst FROM reviews_rating WHERE value IS NOT NULL) s"""


def _review_sql(*, context: bool) -> str:
    return _REVIEW.format(
        context="'@context', 'https://schema.org', " if context else "",
        published=_pg_ts("p.published_at"),
        modified=_pg_ts("v.published_at"),
        corrected=_pg_ts("c.published_at"),
        work=_WORK.format(d="d"),
        first_work=_WORK.format(d="fd"),
    )


def _review_params() -> dict:
    from django.conf import settings

    from api.claimreview import public_url

    page_prefix, page_suffix = public_url(Claim.page_path("slug-placeholder")).rsplit("slug-placeholder", 1)
    return {
        "page_prefix": page_prefix,
        "page_suffix": page_suffix,
        "publisher_name": settings.PUBLISHER_NAME,
        "publisher_url": settings.PUBLISHER_URL,
    }


_CLAIM_REVIEW = f"""
SELECT json_strip_nulls({{review}})::text
FROM claims_claim p {_REVIEW_JOINS}
WHERE p.id = %(pk)s AND p.status IN {_PUBLIC}
"""


def baseline_claimreview(request: HttpRequest, pk: int) -> HttpResponse:
    """GET /bench/baseline/claims/<pk>/claimreview/: one public claim's ClaimReview (JSON-LD), from one
    SQL query (PostgreSQL)."""
    from django.http import Http404

    from api.base import dumps_jsonld

    connection = connections[router.db_for_read(Claim)]
    if connection.vendor != "postgresql":
        return HttpResponseBadRequest("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_REVIEW.format(review=_review_sql(context=True)), {"pk": pk, **_review_params()})
        row = cursor.fetchone()
    if row is None:
        raise Http404("This claim has no published verdict.")
    return HttpResponse(dumps_jsonld(orjson.loads(row[0])), content_type="application/ld+json")


_DATAFEED = """
WITH page AS (
    {page}
), shown AS (
    SELECT * FROM page ORDER BY published_at DESC, id DESC LIMIT %(size)s
), items AS (
    SELECT p.id, p.published_at, json_build_object(
        '@type', 'DataFeedItem',
        'dateCreated', {created},
        'dateModified', {modified},
        'url', %(page_prefix)s || p.slug || %(page_suffix)s,
        'item', json_build_array({review}),
        'creativeWorkStatus', CASE WHEN p.status = 'retracted' THEN 'Retracted' END) AS item
    FROM shown p {joins}
)
SELECT
    (SELECT count(*) FROM page),
    json_strip_nulls(json_build_object(
        '@context', 'https://schema.org', '@type', 'DataFeed',
        'name', %(publisher_name)s || ': fact-checks',
        'author', json_build_object('@type', 'Organization', 'name', %(publisher_name)s, 'url', %(publisher_url)s),
        'dateModified', (SELECT {newest} FROM claims_change
                         WHERE public_before OR public_after ORDER BY position DESC LIMIT 1),
        'dataFeedElement', COALESCE((SELECT json_agg(item ORDER BY published_at DESC, id DESC) FROM items), '[]'::json)
    ))::text,
    (SELECT json_agg(json_build_array({shown_at}, id) ORDER BY published_at DESC, id DESC) FROM shown)::text
"""


def baseline_datafeed(request: HttpRequest) -> HttpResponse:
    """GET /bench/baseline/claimreview/feed/?page_size=N&cursor=C: the ClaimReview DataFeed's page and its
    Link header, from one SQL query (PostgreSQL)."""
    from api.base import dumps_jsonld

    connection = connections[router.db_for_read(Claim)]
    if connection.vendor != "postgresql":
        return HttpResponseBadRequest("PostgreSQL only")
    page = _page_request(request, default_size=100)
    if isinstance(page, HttpResponse):
        return page
    size, after = page
    sql = _DATAFEED.format(
        page=_PAGE_PER_STATUS.format(after=_AFTER if after is not None else ""),
        created=_pg_ts("p.published_at"),
        # The time of the claim's newest public change, else of its verdict.
        modified=_pg_ts(
            "COALESCE((SELECT ch.at FROM claims_change ch WHERE ch.claim_id = p.id AND (ch.public_before OR "
            "ch.public_after) ORDER BY ch.position DESC LIMIT 1), p.verdict_updated_at)"
        ),
        review=_review_sql(context=False),
        joins=_REVIEW_JOINS,
        newest=_pg_ts("at"),
        shown_at=_pg_ts("published_at"),
    )
    params = {"limit": size + 1, "size": size, **_review_params()}
    if after is not None:
        params["at"], params["pk"] = after
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, body, shown = cursor.fetchone()
    shown = orjson.loads(shown) if shown else []
    query = request.META.get("QUERY_STRING", "")
    feed_url = request.build_absolute_uri(reverse("claimreview-feed") + (f"?{query}" if query else ""))
    links = []
    if shown and count > size:
        url = replace_query_param(feed_url, "cursor", _cursor_token(*shown[-1], False))
        links.append(f'<{url}>; rel="next"')
    if shown and after is not None:
        url = replace_query_param(feed_url, "cursor", _cursor_token(*shown[0], True))
        links.append(f'<{url}>; rel="prev"')
    response = HttpResponse(dumps_jsonld(orjson.loads(body)), content_type="application/ld+json")
    if links:
        response["Link"] = ", ".join(links)
    return response


# --- The public claim page (public.views.claim) ------------------------------------------
# PostgreSQL only. One query reads everything the page shows (the claim, its verdicts, evidence
# with its documents, appearances, conflicts, structured facts and its ClaimReview, built as in
# baseline_claimreview); Python turns dates into dates, groups and words it as public.pages does
# and renders the same template. Nothing on the page varies per request (no CSRF token, no nonce),
# so the two pages are compared byte for byte.


def _name(alias: str) -> str:
    return f"CASE WHEN {alias}.id IS NULL THEN NULL ELSE json_build_object('name', {alias}.name) END"


_PAGE = f"""
SELECT json_build_object(
    'slug', p.slug, 'text', p.text, 'kind', p.kind, 'status', p.status,
    'under_recheck', {_OPEN_RECHECK},
    'published_at', {{published}},
    'claimant', json_build_object('slug', cl.slug, 'name', cl.name),
    'entities', COALESCE((
        SELECT json_agg(json_build_object('slug', e.slug, 'name', e.name) ORDER BY e.name, e.id)
        FROM claims_claim_entities ce JOIN claims_entity e ON e.id = ce.entity_id WHERE ce.claim_id = p.id), '[]'::json),
    'verdicts', (
        SELECT json_agg(json_build_object(
                   'version', pv.version, 'kind', pv.kind, 'rating', json_build_object('label', pr.label, 'slug', pr.slug),
                   'summary', pv.summary, 'correction_note', pv.correction_note, 'published_at', {{verdict_at}})
               ORDER BY pv.version)
        FROM reviews_verdict pv JOIN reviews_rating pr ON pr.id = pv.rating_id WHERE pv.claim_id = p.id),
    'evidence', COALESCE((
        SELECT json_agg(json_build_object(
                   'stance', ev.stance, 'document', ev.document_id, 'exact', ev.exact, 'start', ev.start,
                   'end', ev."end", 'url', ev.url, 'title', ev.title, 'excerpt', ev.excerpt,
                   'source', CASE WHEN ed.id IS NULL THEN NULL ELSE json_build_object(
                       'id', ed.id, 'title', ed.title, 'outlet', ed.outlet, 'url', ed.url) END)
               ORDER BY rv.id, ev.id)
        FROM reviews_evidence ev JOIN reviews_review rv ON rv.id = ev.review_id
        LEFT JOIN claims_sourcedocument ed ON ed.id = ev.document_id
        WHERE rv.claim_id = p.id AND rv.status = 'submitted'), '[]'::json),
    'appearances', COALESCE((
        SELECT json_agg(json_build_object(
                   'document', a.document_id, 'outlet', d.outlet, 'title', d.title, 'url', d.url,
                   'published_on', d.published_on, 'exact', a.exact)
               ORDER BY a.document_id, a.start, a.id)
        FROM claims_appearance a JOIN claims_sourcedocument d ON d.id = a.document_id WHERE a.claim_id = p.id),
        '[]'::json),
    'conflicts', COALESCE((
        SELECT json_agg(json_build_object(
                   'value', CASE WHEN c.claim_a_id = p.id THEN c.value_a ELSE c.value_b END,
                   'other_value', CASE WHEN c.claim_a_id = p.id THEN c.value_b ELSE c.value_a END,
                   'field', c.field, 'explanation', c.explanation,
                   'other_slug', CASE WHEN c.claim_a_id = p.id THEN cb.slug ELSE ca.slug END,
                   'other_text', CASE WHEN c.claim_a_id = p.id THEN cb.text ELSE ca.text END)
               ORDER BY c.id)
        FROM claims_conflict c
        JOIN claims_claim ca ON ca.id = c.claim_a_id JOIN claims_claim cb ON cb.id = c.claim_b_id
        WHERE (c.claim_a_id = p.id OR c.claim_b_id = p.id) AND c.status = 'confirmed'
          AND ca.status IN {_PUBLIC} AND cb.status IN {_PUBLIC}), '[]'::json),
    'wage', (
        SELECT json_build_object(
            'amount', w.amount::text, 'currency', w.currency, 'period', w.period, 'qualifier', w.qualifier,
            'measure', w.measure, 'payer', {_name("wp")}, 'payee', {_name("wr")})
        FROM claims_wagefigure w
        LEFT JOIN claims_entity wp ON wp.id = w.payer_id LEFT JOIN claims_entity wr ON wr.id = w.payee_id
        WHERE w.claim_id = p.id),
    'contract', (
        SELECT json_build_object(
            'engager', {_name("ce")}, 'engaged', {_name("cd")}, 'role', c.role, 'status', c.status,
            'since', c.since, 'until', c.until)
        FROM claims_contractrelation c
        JOIN claims_entity ce ON ce.id = c.engager_id JOIN claims_entity cd ON cd.id = c.engaged_id
        WHERE c.claim_id = p.id),
    'knowledge', (
        SELECT json_build_object(
            'actor', {_name("ka")}, 'polarity', k.polarity, 'subject_text', k.subject_text,
            'subject_claim', CASE WHEN ks.id IS NULL THEN NULL ELSE json_build_object('status', ks.status, 'text', ks.text) END,
            'known_on', k.known_on, 'when_event', k.when_event)
        FROM claims_knowledgefact k
        JOIN claims_entity ka ON ka.id = k.actor_id LEFT JOIN claims_claim ks ON ks.id = k.subject_claim_id
        WHERE k.claim_id = p.id),
    'quantity', (
        SELECT json_build_object('measure', q.measure, 'value', q.value::text, 'unit', q.unit, 'qualifier', q.qualifier)
        FROM claims_quantityfact q WHERE q.claim_id = p.id),
    'event', (
        SELECT json_build_object(
            'actor', {_name("ea")}, 'action', e.action, 'recipient', {_name("er")}, 'object', e.object,
            'occurred_on', e.occurred_on)
        FROM claims_eventfact e
        JOIN claims_entity ea ON ea.id = e.actor_id LEFT JOIN claims_entity er ON er.id = e.recipient_id
        WHERE e.claim_id = p.id)
)::text, json_strip_nulls({{review}})::text
FROM claims_claim p {_REVIEW_JOINS}
WHERE p.slug = %(slug)s AND p.status IN {_PUBLIC}
"""


class _Fact:
    """A fact row as public.pages.facts_lines reads it: attributes, parties, dates and choice labels."""

    def __init__(self, model, row: dict):
        from datetime import date
        from types import SimpleNamespace

        for key, value in row.items():
            if isinstance(value, dict):
                value = SimpleNamespace(**value)
            elif key in ("since", "until", "known_on", "occurred_on") and value:
                value = date.fromisoformat(value)
            elif key in ("amount", "value"):
                value = Decimal(value)
            setattr(self, key, value)
        for field in ("qualifier", "role", "polarity"):
            if field in row:
                label = dict(model._meta.get_field(field).flatchoices)[row[field]]
                setattr(self, f"get_{field}_display", lambda label=label: label)


def _page_context(claim: dict, review: bytes) -> dict:
    from datetime import date, datetime
    from types import SimpleNamespace

    from django.utils.safestring import mark_safe

    from api.base import dumps_jsonld
    from claims.facts.models import ContractRelation, EventFact, KnowledgeFact, QuantityFact, WageFigure
    from public import pages, views

    claim["published_at"] = datetime.fromisoformat(claim["published_at"])
    verdicts = claim["verdicts"]
    for verdict in verdicts:
        verdict["published_at"] = datetime.fromisoformat(verdict["published_at"])
    claim["verdict"] = verdicts[-1]
    claim["verdicts"] = verdicts
    claim["corrections"] = [v for v in verdicts if v["kind"] == "correction"]
    claim["retracted"] = claim["status"] == "retracted"
    claim["withdrawn"] = verdicts[-2] if claim["retracted"] and len(verdicts) > 1 else claim["verdict"]
    unique: dict = {}
    for item in claim["evidence"]:
        unique.setdefault((item["stance"], item["document"], item["start"], item["end"], item["url"]), item)
    claim["evidence"] = list(unique.values())
    for item in claim["evidence"]:
        source = item.pop("source")
        if source is not None:
            item["source"] = source
            item["source_url"] = source["url"] or reverse("document-detail", args=[source["id"]])
    outlets: dict = {}
    for a in claim.pop("appearances"):
        published_on = date.fromisoformat(a["published_on"]) if a["published_on"] else None
        entry = outlets.setdefault(
            a["document"],
            {"outlet": a["outlet"], "title": a["title"], "url": a["url"], "published_on": published_on, "quotes": []},
        )
        entry["quotes"].append(a["exact"])
    claim["outlets"] = list(outlets.values())
    for conflict in claim["conflicts"]:
        conflict["other_url"] = Claim.page_path(conflict["other_slug"])
    models = {
        "wage": WageFigure,
        "contract": ContractRelation,
        "knowledge": KnowledgeFact,
        "quantity": QuantityFact,
        "event": EventFact,
    }
    rows = {kind: claim.pop(kind) for kind in models}
    facts = SimpleNamespace(
        **{kind: _Fact(model, rows[kind]) if rows[kind] else None for kind, model in models.items()}
    )
    claim["facts"] = pages.facts_lines(facts)
    return {
        "claim": claim,
        "jsonld": mark_safe(dumps_jsonld(orjson.loads(review)).decode()),
        "description": views._description(claim),
    }


def baseline_claim_page(request: HttpRequest, slug: str) -> HttpResponse:
    """GET /bench/baseline/page/<slug>/: a public claim's page, read with one SQL query (PostgreSQL)."""
    from django.http import Http404
    from django.template.loader import render_to_string

    from api.claimreview import public_url

    connection = connections[router.db_for_read(Claim)]
    if connection.vendor != "postgresql":
        return HttpResponseBadRequest("PostgreSQL only")
    sql = _PAGE.format(
        published=_pg_ts("p.published_at"), verdict_at=_pg_ts("pv.published_at"), review=_review_sql(context=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"slug": slug, **_review_params()})
        row = cursor.fetchone()
    if row is None:
        raise Http404("No published fact-check at this address.")
    from django.conf import settings

    context = {
        "site_name": settings.PUBLISHER_NAME,
        "canonical": public_url(Claim.page_path(slug)),
        **_page_context(orjson.loads(row[0]), row[1]),
    }
    return HttpResponse(
        render_to_string("public/claim.html", context).encode(), content_type="text/html; charset=utf-8"
    )


# --- Structured facts: /api/entities/graph/, /api/timeline/, /api/conflicts/ (PostgreSQL) --------
# Anonymous readers' answers (published and retracted claims only), each from one SQL query that
# builds the JSON; api/facts.py serves the same bytes (tests/bench/test_baseline_facts.py).


def _ts_z(column: str) -> str:
    """A timestamp as DRF's DateTimeField renders it in UTC: isoformat with 'Z' for +00:00."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN extract(microseconds FROM {column})::bigint %% 1000000 = 0 THEN '' "
        f"ELSE to_char({utc}, '.US') END || 'Z' END"
    )


def _fact_claim(alias: str) -> str:
    """api.facts.FactClaimSerializer: the claim with its appearances (document names, not texts)."""
    return f"""json_build_object('id', {alias}.id, 'slug', {alias}.slug, 'text', {alias}.text, 'status', {alias}.status,
        'appearances', COALESCE((
            SELECT json_agg(json_build_object(
                       'document', a.document_id, 'source_file', d.source_file, 'title', d.title, 'outlet', d.outlet,
                       'published_on', d.published_on, 'exact', a.exact, 'start', a.start, 'end', a."end")
                   ORDER BY a.document_id, a.start, a.id)
            FROM claims_appearance a JOIN claims_sourcedocument d ON d.id = a.document_id
            WHERE a.claim_id = {alias}.id), '[]'::json))"""


def _postgresql_only(request: HttpRequest) -> HttpResponse | None:
    if connections[router.db_for_read(Claim)].vendor != "postgresql":
        return HttpResponseBadRequest("PostgreSQL only")
    return None


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int | None:
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        return None
    return value if low <= value <= high else None


_GRAPH = f"""
WITH rows AS (
    SELECT c.claim_id, c.engager_id, c.engaged_id, c.role, c.status, c.since, c.until, c.stated_by_id
    FROM claims_contractrelation c JOIN claims_claim k ON k.id = c.claim_id
    WHERE k.status IN {_PUBLIC} {{around}}
    ORDER BY c.claim_id DESC LIMIT %(limit)s + 1
), shown AS (
    SELECT *, row_number() OVER (ORDER BY claim_id DESC) AS n FROM rows ORDER BY claim_id DESC LIMIT %(limit)s
), relations AS (
    SELECT r.*, json_build_object(
               'role', r.role, 'status', r.status, 'since', r.since, 'until', r.until, 'stated_by', sb.slug,
               'claim', {_fact_claim("k")}) AS relation
    FROM shown r JOIN claims_claim k ON k.id = r.claim_id LEFT JOIN claims_entity sb ON sb.id = r.stated_by_id
), edges AS (
    SELECT min(n) AS first, json_build_object(
               'source', engager_id, 'target', engaged_id,
               'roles', array_agg(DISTINCT role::text COLLATE "C" ORDER BY role::text COLLATE "C"),
               'status', CASE count(DISTINCT status) FILTER (WHERE status <> 'unknown')
                             WHEN 0 THEN 'unknown' WHEN 1 THEN max(status) FILTER (WHERE status <> 'unknown')
                             ELSE 'disputed' END,
               'since', min(since), 'until', max(until),
               'relations', json_agg(relation ORDER BY n)) AS edge
    FROM relations GROUP BY engager_id, engaged_id
), nodes AS (
    SELECT e.id, e.name, e.slug, e.kind, min(m.at) AS first
    FROM (SELECT engager_id AS id, 2 * n AS at FROM shown UNION ALL SELECT engaged_id, 2 * n + 1 FROM shown) m
    JOIN claims_entity e ON e.id = m.id GROUP BY e.id
)
SELECT
    (SELECT count(*) FROM rows) > %(limit)s,
    (SELECT COALESCE(json_agg(json_build_object('id', id, 'slug', slug, 'name', name, 'kind', kind) ORDER BY first),
                     '[]'::json)::text FROM nodes),
    (SELECT COALESCE(json_agg(edge ORDER BY first), '[]'::json)::text FROM edges)
"""


def baseline_graph(request: HttpRequest) -> HttpResponse:
    """GET /bench/baseline/graph/?limit=N&entity=E: the anonymous entity graph from one SQL query;
    Python only lays the nodes out (claims.facts.graph.layout, the endpoint's own code)."""
    from claims.facts.graph import GRAPH_LIMIT, GRAPH_MAX_LIMIT, layout

    if refused := _postgresql_only(request):
        return refused
    limit = _int_param(request, "limit", GRAPH_LIMIT, 1, GRAPH_MAX_LIMIT)
    entity = _int_param(request, "entity", 0, 0, 2**63 - 1)
    if limit is None or entity is None:
        return HttpResponseBadRequest("limit, entity")
    around = "AND (c.engager_id = %(entity)s OR c.engaged_id = %(entity)s)" if entity else ""
    with connections[router.db_for_read(Claim)].cursor() as cursor:
        cursor.execute(_GRAPH.format(around=around), {"limit": limit, "entity": entity})
        truncated, nodes_json, edges_json = cursor.fetchone()
    nodes, edges = orjson.loads(nodes_json), orjson.loads(edges_json)
    layer, row = layout({node["id"]: node["name"] for node in nodes}, [(e["source"], e["target"]) for e in edges])
    for node in nodes:
        node["layer"] = layer[node["id"]]
    nodes.sort(key=lambda node: (layer[node["id"]], row[node["id"]]))
    body = {"nodes": nodes, "edges": edges, "truncated": truncated}
    return HttpResponse(orjson.dumps(body), content_type="application/json")


_TIMELINE = f"""
WITH chosen AS (
    SELECT k.id, k.slug, k.text, k.status, k.claimant_id FROM claims_claim k
    WHERE k.status IN {_PUBLIC}
      AND (EXISTS (SELECT 1 FROM claims_knowledgefact f WHERE f.claim_id = k.id)
           OR EXISTS (SELECT 1 FROM claims_contractrelation f WHERE f.claim_id = k.id)
           OR EXISTS (SELECT 1 FROM claims_eventfact f WHERE f.claim_id = k.id))
    ORDER BY k.id DESC LIMIT %(limit)s
), facts AS (
    SELECT 1 AS kind_order, 'knowledge' AS kind, f.claim_id, f.known_on AS stated, f.when_event AS when_text,
           actor.name || ' ' || CASE f.polarity WHEN 'knew' THEN 'knew' WHEN 'did_not_know' THEN 'did not know'
                                    WHEN 'learned' THEN 'learned' ELSE f.polarity END || ': ' ||
           CASE WHEN f.subject_text <> '' THEN f.subject_text
                WHEN f.subject_claim_id IN (SELECT id FROM chosen) THEN
                    CASE WHEN length(subject.text) <= 80 THEN subject.text ELSE left(subject.text, 77) || '...' END
                ELSE 'a claim not yet published' END AS summary,
           sb.slug AS stated_by
    FROM claims_knowledgefact f JOIN chosen c ON c.id = f.claim_id
    JOIN claims_entity actor ON actor.id = f.actor_id
    LEFT JOIN claims_claim subject ON subject.id = f.subject_claim_id
    LEFT JOIN claims_entity sb ON sb.id = f.stated_by_id
    UNION ALL
    SELECT s.kind_order, s.kind, f.claim_id, CASE s.kind_order WHEN 0 THEN f.since ELSE f.until END, '',
           er.name || ' → ' || ed.name || ' (' || f.role || '): relationship '
               || CASE s.kind_order WHEN 0 THEN f.status ELSE 'ended' END,
           sb.slug
    FROM claims_contractrelation f JOIN chosen c ON c.id = f.claim_id
    JOIN claims_entity er ON er.id = f.engager_id JOIN claims_entity ed ON ed.id = f.engaged_id
    LEFT JOIN claims_entity sb ON sb.id = f.stated_by_id
    JOIN (VALUES (0, 'contract_start'), (3, 'contract_end')) AS s (kind_order, kind)
      ON (s.kind_order = 0 AND (f.since IS NOT NULL OR f.status <> 'ended'))
      OR (s.kind_order = 3 AND (f.until IS NOT NULL OR f.status = 'ended'))
    UNION ALL
    SELECT 2, 'event', f.claim_id, f.occurred_on, '',
           actor.name || ' ' || f.action || CASE WHEN rec.id IS NULL THEN '' ELSE ' (to ' || rec.name || ')' END
               || CASE WHEN f.object <> '' THEN ': ' || f.object ELSE '' END,
           claimant.slug
    FROM claims_eventfact f JOIN chosen c ON c.id = f.claim_id
    JOIN claims_entity actor ON actor.id = f.actor_id LEFT JOIN claims_entity rec ON rec.id = f.recipient_id
    JOIN claims_entity claimant ON claimant.id = c.claimant_id
), described AS MATERIALIZED (
    -- Each claim once (a contract may give two items): its JSON, and the date of its earliest
    -- appearance's document (Claim.first_appearance), which is the earliest date, if any.
    SELECT c.id, {_fact_claim("c")} AS claim,
           (SELECT min(d.published_on) FROM claims_appearance a JOIN claims_sourcedocument d ON d.id = a.document_id
            WHERE a.claim_id = c.id) AS reported
    FROM chosen c
), items AS (
    SELECT f.*, c.claim, COALESCE(f.stated, c.reported) AS date,
           CASE WHEN f.stated IS NOT NULL THEN 'stated' WHEN c.reported IS NOT NULL THEN 'reported'
                ELSE 'unknown' END AS basis
    FROM facts f JOIN described c ON c.id = f.claim_id
)
SELECT COALESCE(json_agg(json_build_object(
           'date', i.date, 'date_basis', i.basis, 'kind', i.kind, 'summary', i.summary, 'when', i.when_text,
           'stated_by', i.stated_by, 'claim', i.claim)
       ORDER BY i.date IS NULL, i.date, i.basis <> 'stated',
                CASE WHEN i.date IS NOT NULL THEN 1
                     ELSE CASE lower(split_part(btrim(i.when_text, E' \\t\\n\\r'), ' ', 1))
                          WHEN 'before' THEN 0 WHEN 'until' THEN 0 WHEN 'after' THEN 2 WHEN 'later' THEN 2
                          WHEN 'then' THEN 2 ELSE 1 END END,
                i.kind_order, i.claim_id), '[]'::json)::text
FROM items i
"""


def baseline_timeline(request: HttpRequest) -> HttpResponse:
    """GET /bench/baseline/timeline/?limit=N: the anonymous timeline from one SQL query."""
    from claims.facts.graph import GRAPH_LIMIT, GRAPH_MAX_LIMIT

    if refused := _postgresql_only(request):
        return refused
    limit = _int_param(request, "limit", GRAPH_LIMIT, 1, GRAPH_MAX_LIMIT)
    if limit is None:
        return HttpResponseBadRequest("limit")
    with connections[router.db_for_read(Claim)].cursor() as cursor:
        cursor.execute(_TIMELINE, {"limit": limit})
        (items,) = cursor.fetchone()
    return HttpResponse(orjson.dumps(orjson.loads(items)), content_type="application/json")


_CONFLICTS = f"""
WITH visible AS (
    SELECT c.* FROM claims_conflict c
    JOIN claims_claim ca ON ca.id = c.claim_a_id JOIN claims_claim cb ON cb.id = c.claim_b_id
    WHERE c.status = 'confirmed' AND ca.status IN {_PUBLIC} AND cb.status IN {_PUBLIC}
), page AS (
    SELECT * FROM visible ORDER BY claim_a_id, claim_b_id, field LIMIT %(limit)s OFFSET %(offset)s
)
SELECT (SELECT count(*) FROM visible),
       (SELECT COALESCE(json_agg(json_build_object(
            'id', p.id, 'status', p.status, 'field', p.field, 'claim_a', {_fact_claim("ca")}, 'value_a', p.value_a,
            'claim_b', {_fact_claim("cb")}, 'value_b', p.value_b, 'explanation', p.explanation,
            'triage_note', p.triage_note, 'detected_at', {_ts_z("p.detected_at")},
            'triaged_at', {_ts_z("p.triaged_at")})
        ORDER BY p.claim_a_id, p.claim_b_id, p.field), '[]'::json)::text
        FROM page p JOIN claims_claim ca ON ca.id = p.claim_a_id JOIN claims_claim cb ON cb.id = p.claim_b_id)
"""


def baseline_conflicts(request: HttpRequest) -> HttpResponse:
    """GET /bench/baseline/conflicts/?limit=N&offset=M: the anonymous conflicts page from one SQL
    query, with the endpoint's limit/offset links (pointing at /api/conflicts/)."""
    from rest_framework.utils.urls import remove_query_param

    from api.filters import MAX_ID

    if refused := _postgresql_only(request):
        return refused
    limit = _int_param(request, "limit", 50, 1, 2**63 - 1)
    offset = _int_param(request, "offset", 0, 0, 2**63 - 1)
    if limit is None or offset is None:
        return HttpResponseBadRequest("limit, offset")
    limit, offset = min(limit, 200), min(offset, MAX_ID)
    with connections[router.db_for_read(Claim)].cursor() as cursor:
        cursor.execute(_CONFLICTS, {"limit": limit, "offset": offset})
        count, results = cursor.fetchone()
    query = request.META.get("QUERY_STRING", "")
    url = request.build_absolute_uri(reverse("conflict-list") + (f"?{query}" if query else ""))
    next_link = previous_link = None
    if offset + limit < count:
        next_link = replace_query_param(replace_query_param(url, "limit", limit), "offset", offset + limit)
    if offset > 0:
        previous_link = replace_query_param(url, "limit", limit)
        previous_link = (
            remove_query_param(previous_link, "offset")
            if offset - limit <= 0
            else replace_query_param(previous_link, "offset", offset - limit)
        )
    body = {"count": count, "next": next_link, "previous": previous_link, "results": orjson.loads(results)}
    return HttpResponse(orjson.dumps(body), content_type="application/json")
