"""Resolve the benchmark's scenarios against a generated database, outside the load run.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.probe --out probe.json

For each scenario: its URL and headers (a deep cursor, an ETag, an editor's session cookie),
the status, response bytes and SQL queries per request (test client + CaptureQueriesContext);
queries per request at page sizes 1, 20 and 100 for every filter; whether the baseline's JSON
equals the feed's; and on PostgreSQL the EXPLAIN (ANALYZE, BUFFERS) of the main feed queries.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

DEEP_ROWS = 50_000
PAGE_SIZES = (1, 20, 100)


@dataclass
class Scenario:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    group: str = "feed"
    note: str = ""
    status: int | None = None
    bytes: int | None = None
    queries: int | None = None
    available: bool = True
    etag: str | None = None
    baseline: str | None = None  # the baseline scenario this one is compared with


def feed_cursor(published_at, claim_id: int) -> str:
    """The feed's cursor for "after this row" in its default ordering (see api.base)."""
    import orjson

    token = orjson.dumps({"t": published_at.isoformat(), "i": claim_id, "r": False})
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def deep_cursor(rows: int) -> tuple[str, int, int]:
    """A cursor after `rows` rows of the feed's default order (-published), the rows skipped,
    and the id the page should start with."""
    from claims.models import Claim

    ordered = Claim.objects.published().order_by("-published_at", "-id").values_list("published_at", "id")
    total = ordered.count()
    rows = max(1, min(rows, total - 101))
    at, pk = ordered[rows - 1]
    return feed_cursor(at, pk), rows, ordered[rows][1]


def filter_values() -> dict[str, str]:
    """One realistic value for each feed filter, taken from the generated data."""
    from django.db.models import Count

    from claims.models import Appearance, Claim, Entity
    from reviews.models import Rating

    published = Claim.objects.published()
    busiest_claimant = (
        published.values("claimant_id").annotate(n=Count("id")).order_by("-n").values_list("claimant_id", flat=True)[0]
    )
    claimant = Entity.objects.get(pk=busiest_claimant)
    entity = Entity.objects.filter(claims_about__in=published).annotate(n=Count("id")).order_by("-n").first()
    appearance = Appearance.objects.filter(claim__in=published).select_related("document").first()
    rating = Rating.objects.filter(verdicts__isnull=False).order_by("order").first()
    middle = published.order_by("published_at").values_list("published_at", flat=True)
    count = middle.count()
    return {
        "kind": "wage",
        "rating": rating.slug,
        "claimant": str(claimant.pk),
        "entity": str(entity.pk),
        "document": str(appearance.document_id),
        "outlet": appearance.document.outlet,
        "published_after": middle[count // 2].isoformat(),
        "published_before": middle[count // 2].isoformat(),
        "updated_since": middle[count * 9 // 10].isoformat(),
        "has_corrections": "true",
        "q": "subcontractor",
    }


# Endpoints compared with a baseline of their own (bench.baseline, PostgreSQL): "baseline, <name>".
_OWN_BASELINES = ("ClaimReview of one claim", "ClaimReview DataFeed", "public claim page")


def same_bytes(ours: bytes, theirs: bytes) -> str:
    """How a response compares with its baseline's: byte-identical, JSON-equal or DIFFERENT."""
    import orjson

    if ours == theirs:
        return "byte-identical"
    try:
        return "JSON-equal" if orjson.loads(ours) == orjson.loads(theirs) else "DIFFERENT"
    except orjson.JSONDecodeError:  # HTML
        return "DIFFERENT"


def scenarios(client, *, editor) -> list[Scenario]:
    from django.conf import settings

    from claims.models import Claim

    deep, skipped, _first_id = deep_cursor(DEEP_ROWS)
    out = [
        Scenario("feed, first page, 20", "/api/claims/?page_size=20", baseline="baseline, first page, 20"),
        Scenario("feed, first page, 100", "/api/claims/?page_size=100", baseline="baseline, first page, 100"),
        Scenario(
            f"feed, deep page, 100 (after {skipped:,} rows)",
            f"/api/claims/?page_size=100&cursor={deep}",
            baseline="baseline, deep page, 100",
        ),
        Scenario("baseline, first page, 20", "/bench/baseline/claims/?page_size=20", group="baseline"),
        Scenario("baseline, first page, 100", "/bench/baseline/claims/?page_size=100", group="baseline"),
        Scenario("baseline, deep page, 100", f"/bench/baseline/claims/?page_size=100&cursor={deep}", group="baseline"),
    ]
    from django.db import connection

    searchable = connection.vendor == "postgresql"  # the baseline's `q` is PostgreSQL's full-text search
    for name, value in filter_values().items():
        query = urlencode({name: value, "page_size": 20})
        out.append(
            Scenario(
                f"feed, filter {name}",
                f"/api/claims/?{query}",
                group="filter",
                note=f"{name}={value}",
                baseline="baseline, filter q" if name == "q" and searchable else None,
            )
        )
        if name == "q" and searchable:
            out.append(Scenario("baseline, filter q", f"/bench/baseline/claims/?{query}", group="baseline"))
    corrected = Claim.objects.published().filter(verdicts__version=2).order_by("id").first()
    out.append(Scenario("claim detail", f"/api/claims/{corrected.pk}/", group="detail", note="a corrected claim"))
    # ClaimReview, the DataFeed and the public claim page, each with its own baseline (PostgreSQL).
    own = {name: f"baseline, {name}" if searchable else None for name in _OWN_BASELINES}
    out.append(
        Scenario(
            "ClaimReview of one claim",
            f"/api/claims/{corrected.pk}/claimreview/",
            group="detail",
            baseline=own["ClaimReview of one claim"],
        )
    )
    # The readers' page of the same claim (public/): HTML with its ClaimReview, cached on the same
    # fingerprint as the API's representation it is built from.
    out.append(
        Scenario(
            "public claim page",
            corrected.get_absolute_url(),
            group="detail",
            note="the corrected claim's page",
            baseline=own["public claim page"],
        )
    )
    out.append(Scenario("public index", "/claims/", group="detail", note="20 claims, filters' choices"))
    out.append(
        Scenario("ClaimReview DataFeed", "/api/claimreview/feed/", group="other", baseline=own["ClaimReview DataFeed"])
    )
    if searchable:
        for name, path in (
            ("ClaimReview of one claim", f"/bench/baseline/claims/{corrected.pk}/claimreview/"),
            ("ClaimReview DataFeed", "/bench/baseline/claimreview/feed/"),
            ("public claim page", f"/bench/baseline/page/{corrected.slug}/"),
        ):
            out.append(Scenario(f"baseline, {name}", path, group="baseline"))
    deep_changes = urlencode({"page_size": 100, "after": changes_token(0.9)})
    for name, query in (("first page, 100", "page_size=100"), ("deep page, 100", deep_changes)):
        out.append(
            Scenario(
                f"changes, {name}",
                f"/api/changes/?{query}",
                group="changes",
                note="after 90% of the public change log" if name.startswith("deep") else "",
                baseline=f"baseline, changes, {name}" if searchable else None,
            )
        )
        if searchable:
            out.append(Scenario(f"baseline, changes, {name}", f"/bench/baseline/changes/?{query}", group="baseline"))
    out.extend(facts_scenarios(baselines=searchable))
    # A session of its own (kept in the database), sent by the load generator as a cookie.
    login = type(client)()
    login.force_login(editor)
    session = login.cookies[settings.SESSION_COOKIE_NAME].value
    out.append(
        Scenario(
            "admin claim changelist (editor)",
            "/admin/claims/claim/",
            headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
            group="admin",
        )
    )
    # The page an editor opens most: one claim with its quotes, facts, reviews, evidence and history.
    out.append(
        Scenario(
            "admin claim change page (editor)",
            f"/admin/claims/claim/{corrected.pk}/change/",
            headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
            group="admin",
            note="the corrected claim",
        )
    )
    return out


def facts_scenarios(*, baselines: bool) -> list[Scenario]:
    """The graph, the timeline and the conflicts as a partner reads them (anonymous, default
    query), each with its own one-query baseline (bench.baseline, PostgreSQL only)."""
    out = []
    for name, path, baseline_path, note in (
        ("entity graph", "/api/entities/graph/", "/bench/baseline/graph/", "the newest 500 contract relationships"),
        ("timeline", "/api/timeline/", "/bench/baseline/timeline/", "the facts of the newest 500 claims with any"),
        ("conflicts", "/api/conflicts/", "/bench/baseline/conflicts/", "the first 50 confirmed conflicts"),
    ):
        own = f"baseline, {name}" if baselines else None
        out.append(Scenario(name, path, group="other", note=note, baseline=own))
        if own:
            out.append(Scenario(own, baseline_path, group="baseline"))
    return out


def changes_token(share: float) -> str:
    """The /api/changes/ token of the public change at `share` of the log (a mirror that far behind)."""
    from api.changes import encode_token
    from claims.models import Change

    public = Change.objects.public().order_by("position").values_list("position", flat=True)
    count = public.count()
    return encode_token(public[int(count * share)] if count else 0)


def publish_latency(samples: int = 40) -> dict:
    """Publish latency through the service, with and without the change log (claims.changelog.record
    replaced by a no-op), alternating so both arms see the same machine; each publish commits."""
    import statistics
    import time

    from django.contrib.auth import get_user_model

    from claims import changelog
    from claims.models import Claim
    from reviews import services
    from reviews.models import Rating

    editor = get_user_model().objects.get(username="bench-editor")
    rating = Rating.objects.filter(value__isnull=False).first()
    claims = list(Claim.objects.filter(status="reviewed").order_by("id")[: samples * 2])
    arms: dict[str, list[float]] = {"with the change log": [], "without (record skipped)": []}
    original = changelog.record
    for index, claim in enumerate(claims):
        arm = "with the change log" if index % 2 == 0 else "without (record skipped)"
        changelog.record = original if index % 2 == 0 else (lambda *args, **kwargs: [])
        try:
            started = time.perf_counter()
            services.claim_publish(
                claim=claim, by=editor, rating=rating, summary="Benchmarked.", resolution="Resolved for the bench."
            )
            arms[arm].append((time.perf_counter() - started) * 1000)
        finally:
            changelog.record = original
    return {
        arm: {"n": len(ms), "p50_ms": statistics.median(ms), "mean_ms": statistics.fmean(ms)} if ms else {"n": 0}
        for arm, ms in arms.items()
    }


def measure(client, scenario: Scenario) -> bytes:
    """Status, bytes and queries of one request (after one warm-up request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in scenario.headers.items() if k != "Cookie"}
    if "Cookie" in scenario.headers:
        name, _, value = scenario.headers["Cookie"].partition("=")
        client.cookies[name] = value
    client.get(scenario.path, **headers)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(scenario.path, **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    scenario.status = response.status_code
    scenario.bytes = len(body)
    scenario.queries = len(ctx.captured_queries)
    if "Cookie" in scenario.headers:
        client.cookies.clear()
    scenario.etag = response.get("ETag")
    if response.status_code == 404 and scenario.group == "other":
        scenario.available = False  # an endpoint not (yet) in this tree
    elif response.status_code != (304 if scenario.group == "conditional" else 200):
        raise SystemExit(f"{scenario.name}: {scenario.path} answered {response.status_code}")
    return body


def queries_by_page_size(client, filters: dict[str, str]) -> dict[str, dict[int, int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    table = {}
    for name, value in {"(none)": None, **filters}.items():
        row = {}
        for size in PAGE_SIZES:
            params = {"page_size": size} | ({name: value} if value is not None else {})
            path = "/api/claims/?" + urlencode(params)
            client.get(path)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            row[size] = len(ctx.captured_queries) if response.status_code == 200 else f"HTTP {response.status_code}"
        table[name] = row
    return table


def explain(client, paths: dict[str, str]) -> dict[str, list[dict]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the feed runs for each path (PostgreSQL only)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        return {}
    plans = {}
    for name, path in paths.items():
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        plans[name] = []
        for query in ctx.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().lstrip("(").upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            plans[name].append({"sql": sql, "plan": plan})
    return plans


def probe() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    client = Client()
    editor = get_user_model().objects.get(username="bench-editor")
    found = scenarios(client, editor=editor)
    bodies = {}
    for scenario in found:
        bodies[scenario.name] = measure(client, scenario)
    by_name = {s.name: s for s in found}
    # The conditional GET: the first page of 100 again, with the ETag it was served with.
    full = by_name["feed, first page, 100"]
    if full.etag:
        conditional = Scenario(
            "feed, first page, 100, conditional GET (304)",
            full.path,
            headers={"If-None-Match": full.etag},
            group="conditional",
            note="If-None-Match: the page's ETag",
        )
        measure(client, conditional)
        found.insert(3, conditional)
    equal = {}
    for scenario in found:
        if scenario.baseline and scenario.available and by_name[scenario.baseline].available:
            equal[scenario.name] = same_bytes(bodies[scenario.name], bodies[scenario.baseline])
    filters = filter_values()
    deep = next(s for s in found if s.name.startswith("feed, deep page"))
    # Last: it publishes claims (the load runs read the archive as it is after this).
    publish = publish_latency()
    return {
        "publish_latency": publish,
        "vendor": connection.vendor,
        "server_version": _server_version(connection),
        "scenarios": [asdict(s) for s in found],
        "baseline_equal": equal,
        "queries_by_page_size": queries_by_page_size(client, filters),
        "explain": explain(
            client,
            {
                "feed, first page, 100": full.path,
                "feed, deep page, 100": deep.path,
                "feed, filter q": "/api/claims/?" + urlencode({"q": filters["q"], "page_size": 20}),
                "baseline, first page, 100": by_name["baseline, first page, 100"].path,
                **(
                    {"baseline, filter q": by_name["baseline, filter q"].path}
                    if "baseline, filter q" in by_name
                    else {}
                ),
            },
        ),
    }


def _server_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return cursor.fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    # Queries per request of the whole read path: with the cache on, a hit costs the fingerprint only.
    os.environ["BENCH_CACHE"] = "off"
    import django

    django.setup()
    import orjson

    result = probe()
    with open(args.out, "wb") as fh:
        fh.write(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
