"""The change log's cost, measured in-process against a generated archive (no server, no wrk):

    DATABASE_URL=postgres://.../tracker_bench python -m bench.changelog [--samples 40] [--requests 50]

- publish latency through `reviews.services.claim_publish`, with and without the change log
  (bench.probe.publish_latency: `claims.changelog.record` swapped for a no-op, alternating);
- `GET /api/changes/?page_size=100` latency: the first page, a page 90% of the way through the
  log, and a conditional GET (304) of the first page, anonymous, Django's test client, response
  cache off; the queries per request. For scale, the same client reads the claims feed's first
  page of 100 (`/api/claims/?page_size=100`), and the report gives the ratios.

Prints a Markdown section for bench/RESULTS.md. It publishes claims: run it on a bench database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def page_latency(client, path: str, *, requests: int, headers: dict | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    client.get(path, **headers)
    timings, queries = [], 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path, **headers)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(ctx.captured_queries)
    timings.sort()
    return {
        "status": response.status_code,
        "p50_ms": statistics.median(timings),
        "p90_ms": timings[int(len(timings) * 0.9) - 1],
        "queries": queries,
        "bytes": len(response.content),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40, help="publishes per arm")
    parser.add_argument("--requests", type=int, default=50, help="requests per page scenario")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    os.environ["API_CACHE_SECONDS"] = "0"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench.probe import _server_version, changes_token, publish_latency
    from claims.models import Change, Claim

    client = Client()
    pages = {
        "first page": ("/api/changes/?page_size=100", {}),
        "page after 90% of the log": (f"/api/changes/?page_size=100&after={changes_token(0.9)}", {}),
    }
    results = {name: page_latency(client, path, requests=args.requests) for name, (path, _) in pages.items()}
    etag = client.get(pages["first page"][0])["ETag"]
    results["first page, If-None-Match (304)"] = page_latency(
        client, pages["first page"][0], requests=args.requests, headers={"HTTP_IF_NONE_MATCH": etag}
    )
    feed_page = page_latency(client, "/api/claims/?page_size=100", requests=args.requests)
    publish = publish_latency(args.samples)

    claims, changes = Claim.objects.count(), Change.objects.count()
    public = Change.objects.public().count()
    lines = [
        "## The change log (in-process, `python -m bench.changelog`)",
        "",
        f"{connection.vendor} {_server_version(connection)}, {claims:,} claims, {changes:,} change rows ({public:,} public); load average at the end "
        + " / ".join(f"{x:.1f}" for x in os.getloadavg())
        + ". Django's test client, response cache off, anonymous.",
        "",
        "| `GET /api/changes/` | status | p50 | p90 | queries | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        lines.append(
            f"| {name} | {row['status']} | {row['p50_ms']:.1f} ms | {row['p90_ms']:.1f} ms | {row['queries']} "
            f"| {row['bytes']:,} |"
        )
    lines.append(
        f"| (for scale) `GET /api/claims/?page_size=100` | {feed_page['status']} | {feed_page['p50_ms']:.1f} ms "
        f"| {feed_page['p90_ms']:.1f} ms | {feed_page['queries']} | {feed_page['bytes']:,} |"
    )
    first, deep = results["first page"], results["page after 90% of the log"]
    not_modified = results["first page, If-None-Match (304)"]
    lines += [
        "",
        "| ratio (p50) | measured |",
        "|---|---|",
        f"| changes page after 90% of the log ÷ first changes page | {deep['p50_ms'] / first['p50_ms']:.2f} |",
        f"| first changes page ÷ first claims page (100 each) | {first['p50_ms'] / feed_page['p50_ms']:.2f} |",
        f"| changes 304 ÷ changes first page | {not_modified['p50_ms'] / first['p50_ms']:.2f} |",
    ]
    lines += ["", "| `claim_publish` (each commits) | samples | p50 | mean |", "|---|---|---|---|"]
    for arm, row in publish.items():
        if row.get("n"):
            lines.append(f"| {arm} | {row['n']} | {row['p50_ms']:.1f} ms | {row['mean_ms']:.1f} ms |")
    arms = list(publish.values())
    if all(row.get("n") for row in arms):
        lines += ["", f"Publish with ÷ without the log (p50): {arms[0]['p50_ms'] / arms[1]['p50_ms']:.2f}."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
