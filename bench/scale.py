"""How the read path holds up as the archive grows: the same requests at two archive sizes.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.scale --out scale.json

In-process (Django's test client, response cache off, anonymous; no server, so the figures
are the application's and the database's own time): the feed's first page of 100, a deep page
(after 60% of the public feed, at most 500,000 rows), every filter, `q`, `/api/changes/` (first
page and 90% of the way through the log) and the claim matcher (the index build, then queries).
Plus each table's and its indexes' size. bench.run runs it on the 100,000-claim archive and on
the `--scale` one and writes the ratios into RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from urllib.parse import urlencode

TABLES = (
    "claims_claim",
    "claims_claim_entities",
    "claims_appearance",
    "claims_sourcedocument",
    "claims_change",
    "reviews_review",
    "reviews_evidence",
    "reviews_verdict",
    "reviews_assignment",
)


def timed(client, path: str, *, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)
    timings = []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "path": path,
        "status": response.status_code,
        "p50_ms": statistics.median(timings),
        "min_ms": min(timings),
        "queries": len(ctx.captured_queries),
        "bytes": len(response.content),
    }


def matcher(queries: int) -> dict:
    """Index build (the first match after a restart or a write) and query latency."""
    from django.contrib.auth import get_user_model

    from claims import matching
    from claims.models import Claim

    editor = get_user_model().objects.get(username="bench-editor")
    texts = list(Claim.objects.order_by("?").values_list("text", flat=True)[:queries])
    matching._current = None
    started = time.perf_counter()
    index = matching.current_index()
    build = time.perf_counter() - started
    timings = []
    for text in texts:
        # A reworded sentence, as a new article would quote it.
        words = text.split()
        probe = " ".join(words[1:] + words[:1])
        started = time.perf_counter()
        matching.match_claims(probe, user=editor)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "passages": index.matrix.shape[0],
        "build_seconds": build,
        "p50_ms": statistics.median(timings),
        "queries": len(timings),
    }


def sizes() -> dict:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    out = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                "SELECT pg_relation_size(%s), pg_indexes_size(%s), pg_total_relation_size(%s), "
                "(SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass)",
                [table, table, table, table],
            )
            heap, indexes, total, rows = cursor.fetchone()
            out[table] = {"rows": rows, "table": heap, "indexes": indexes, "total": total}
        cursor.execute("SELECT pg_database_size(current_database())")
        out["(database)"] = {"total": cursor.fetchone()[0]}
    return out


def measure(*, requests: int, match_queries: int) -> dict:
    from django.test import Client

    from bench.probe import changes_token, deep_cursor, filter_values
    from claims.models import Claim

    client = Client()
    public = Claim.objects.published().count()
    deep, skipped, _ = deep_cursor(min(500_000, int(public * 0.6)))
    paths = {
        "feed, first page, 100": "/api/claims/?page_size=100",
        "feed, deep page, 100": f"/api/claims/?page_size=100&cursor={deep}",
    }
    for name, value in filter_values().items():
        paths[f"feed, filter {name}"] = "/api/claims/?" + urlencode({name: value, "page_size": 20})
    paths["changes, first page, 100"] = "/api/changes/?page_size=100"
    paths["changes, 90% through the log"] = "/api/changes/?" + urlencode(
        {"page_size": 100, "after": changes_token(0.9)}
    )
    result = {
        "claims": Claim.objects.count(),
        "public": public,
        "deep_rows": skipped,
        "requests": {name: timed(client, path, requests=requests) for name, path in paths.items()},
    }
    result["matcher"] = matcher(match_queries) if match_queries else None
    result["sizes"] = sizes()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=15, help="timed requests per scenario")
    parser.add_argument("--match-queries", type=int, default=20, help="matcher queries (0: skip the matcher)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["BENCH_CACHE"] = "off"
    import django

    django.setup()
    import orjson

    result = measure(requests=args.requests, match_queries=args.match_queries)
    with open(args.out, "wb") as fh:
        fh.write(orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
