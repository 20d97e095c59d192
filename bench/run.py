"""Run the feed benchmark end to end and rewrite bench/RESULTS.md.

    python -m bench.run                 # 100,000 claims, SQLite and PostgreSQL (when reachable)
    python -m bench.run --quick         # 2,000 claims and short load runs: a few minutes
    make bench BENCH_ARGS="--quick --databases sqlite"

For each database: create it empty (SQLite file under bench/out/, PostgreSQL database
`tracker_bench`, dropped first), migrate, generate the archive, probe the scenarios (queries
per request, bytes, EXPLAIN), start gunicorn on 127.0.0.1, warm up, send a fixed number of
requests to measure worker memory, then per scenario run wrk at fixed concurrency and a
fixed-rate client, and finally write the figures with their ratios to the baseline view.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench import load
from bench.generate import DEFAULT_CLAIMS, QUICK_CLAIMS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/tracker_bench")


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- databases -----------------------------------------------------------------------------


def prepare_database(kind: str, *, reuse: bool) -> str | None:
    """An empty database for `kind` and its DATABASE_URL; None when it cannot be had here."""
    if kind == "sqlite":
        path = OUT / "bench.sqlite3"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base, _, name = PG_URL.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            if not reuse:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        log(f"PostgreSQL is not reachable ({exc.__class__.__name__}); skipping it")
        return None
    return PG_URL


def analyze(kind: str, url: str) -> None:
    """Fresh planner statistics after the bulk load, as autovacuum would gather them eventually."""
    if kind == "sqlite":
        import sqlite3

        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            conn.execute("ANALYZE")
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def django_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_REPLICA_URL", "REDIS_URL")}
    env |= {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(ROOT)}
    return env


def python(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)


# --- the server --------------------------------------------------------------------------


def gunicorn_options(args: argparse.Namespace) -> list[str]:
    """The worker model: gthread keeps client connections alive between requests (a 304 then costs
    no TCP handshake), sync closes each one; chosen by measurement (RESULTS.md, README)."""
    options = [f"--workers={args.workers}", f"--worker-class={args.worker_class}"]
    if args.worker_class == "gthread":
        options += [f"--threads={args.threads}", f"--keep-alive={args.keep_alive}"]
    return options


def start_server(
    env: dict[str, str], *, workers: int, port: int, log_file: Path, options: list[str]
) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    cmd = [
        str(gunicorn),
        "tracker.wsgi:application",
        *options,
        f"--bind=127.0.0.1:{port}",
        "--timeout=60",
        f"--error-logfile={log_file}",
    ]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            if len(load.worker_pids(server.pid)) >= workers:
                return server
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log_file}")
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"gunicorn did not start on port {port}; see {log_file}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def check_scenarios(port: int, scenarios: list[dict]) -> list[dict]:
    """Each scenario once against the live server: the expected status, and the live ETag for the 304.

    ETags name the absolute URL, so the conditional GET needs the one this server hands out.
    """
    import http.client

    checked = []
    for s in scenarios:
        s = dict(s, headers=dict(s["headers"]))
        if s["group"] == "conditional":
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", s["path"])
            response = conn.getresponse()
            response.read()
            s["headers"]["If-None-Match"] = response.getheader("ETag")
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", s["path"], headers=s["headers"])
        response = conn.getresponse()
        response.read()
        conn.close()
        expected = 304 if s["group"] == "conditional" else 200
        if response.status != expected:
            raise SystemExit(f"{s['name']}: {s['path']} answered {response.status} on the live server, not {expected}")
        checked.append(s)
    return checked


# --- one database ------------------------------------------------------------------------


def bench_database(kind: str, args: argparse.Namespace, wrk: str | None) -> dict | None:
    url = prepare_database(kind, reuse=args.reuse)
    if url is None:
        return None
    env = django_env(url)
    result: dict = {"database": kind}
    log(f"{kind}: migrate")
    python("manage.py", "migrate", "--noinput", "-v0", env=env)
    if not args.reuse:
        log(f"{kind}: generate {args.claims:,} claims")
        started = time.perf_counter()
        python("-m", "bench.generate", f"--claims={args.claims}", env=env)
        result["generate_seconds"] = time.perf_counter() - started
        generated = {
            "claims": args.claims,
            "seconds": result["generate_seconds"],
            "date": f"{datetime.now(UTC):%Y-%m-%d}",
        }
        (OUT / f"generated-{kind}.json").write_bytes(orjson.dumps(generated))
    elif (OUT / f"generated-{kind}.json").exists():
        result["generated"] = orjson.loads((OUT / f"generated-{kind}.json").read_bytes())
    analyze(kind, url)
    log(f"{kind}: probe scenarios (queries, bytes, EXPLAIN)")
    probe_file = OUT / f"probe-{kind}.json"
    python("-m", "bench.probe", f"--out={probe_file}", env=env)
    probe = orjson.loads(probe_file.read_bytes())
    result["probe"] = probe
    scenarios = [s for s in probe["scenarios"] if s["available"] and (not args.only or args.only in s["name"])]

    result["modes"] = {}
    for mode in args.cache_modes:
        result["modes"][mode] = load_phase(kind, env | {"BENCH_CACHE": mode}, scenarios, args, wrk, mode)
    if args.edge:
        result["edge"] = edge_phase(kind, env, scenarios, args)
    if args.writes:
        log(f"{kind}: write latency with 1, 4 and 16 editors (bench.writes)")
        writes_file = OUT / f"writes-{kind}.json"
        python("-m", "bench.writes", f"--out={writes_file}", f"--per-editor={1 if args.quick else 5}", env=env)
        result["writes"] = orjson.loads(writes_file.read_bytes())
    if args.scale and kind == "postgres":
        result["scale"] = scale_phase(env, args)
    return result


# The matcher's index is built in memory from every claim and quote; past this many claims its
# build (minutes at 100,000 on two shared cores) would dominate the run, so it is not timed.
MATCHER_MAX_CLAIMS = 200_000


def scale_phase(env: dict, args: argparse.Namespace) -> dict:
    """bench.scale on this archive and on a second one of `--scale` claims, generated with COPY."""
    out: dict = {}
    base_file = OUT / "scale-base.json"
    log(f"postgres: scale figures at {args.claims:,} claims")
    python("-m", "bench.scale", f"--out={base_file}", f"--match-queries={args.match_queries}", env=env)
    out["base"] = orjson.loads(base_file.read_bytes())
    base, _, name = PG_URL.rpartition("/")
    url = f"{base}/{name}_scale"
    scale_env = env | {"DATABASE_URL": url}
    saved = OUT / "generated-scale.json"
    reuse = (
        (args.reuse or args.reuse_scale) and saved.exists() and orjson.loads(saved.read_bytes())["claims"] == args.scale
    )
    if not reuse:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_scale" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}_scale"')
        python("manage.py", "migrate", "--noinput", "-v0", env=scale_env)
        log(f"postgres: generate {args.scale:,} claims (COPY)")
        started = time.perf_counter()
        python("-m", "bench.generate", f"--claims={args.scale}", "--no-progress", env=scale_env)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        analyze("postgres", url)
        saved.write_bytes(
            orjson.dumps({"claims": args.scale, "seconds": seconds, "analyze_seconds": time.perf_counter() - started})
        )
    out["generated"] = orjson.loads(saved.read_bytes())
    big_file = OUT / "scale-big.json"
    matcher = args.match_queries if args.scale <= MATCHER_MAX_CLAIMS else 0
    log(f"postgres: scale figures at {args.scale:,} claims")
    python("-m", "bench.scale", f"--out={big_file}", f"--match-queries={matcher}", env=scale_env)
    out["big"] = orjson.loads(big_file.read_bytes())
    return out


def edge_phase(kind: str, env: dict, scenarios: list[dict], args: argparse.Namespace) -> dict:
    """nginx (deploy/nginx.conf) in front of gunicorn as deployed (response cache on): bench.edge."""
    log_file = OUT / f"gunicorn-{kind}-edge.log"
    server = start_server(env, workers=args.workers, port=args.port, log_file=log_file, options=gunicorn_options(args))
    hot = [s for s in scenarios if s["group"] in ("feed", "detail") and not s["headers"]]
    edge_file = OUT / f"edge-{kind}.json"
    try:
        log(f"{kind}: edge cache (nginx in front, {len(hot)} hot reads, then freshness after a write)")
        python(
            "-m",
            "bench.edge",
            f"--upstream-port={args.port}",
            f"--out={edge_file}",
            f"--seconds={max(2, args.duration // 2)}",
            f"--rounds={1 if args.quick else 2}",
            *(f"--path={s['name']}={s['path']}" for s in hot),
            env=env,
        )
    finally:
        stop_server(server)
    return orjson.loads(edge_file.read_bytes())


def load_phase(
    kind: str, env: dict, scenarios: list[dict], args: argparse.Namespace, wrk: str | None, mode: str
) -> dict:
    """One server (cache on or off): warm-up, the memory check, then every scenario under load."""
    result: dict = {}
    log_file = OUT / f"gunicorn-{kind}-cache-{mode}.log"
    server = start_server(env, workers=args.workers, port=args.port, log_file=log_file, options=gunicorn_options(args))
    try:
        pids = load.worker_pids(server.pid)
        scenarios = check_scenarios(args.port, scenarios)
        requests = [(s["path"], s["headers"]) for s in scenarios]
        log(f"{kind}, cache {mode}: warm up")
        result["warmup"] = load.run_count(args.port, requests, total=len(requests) * args.warmup, concurrency=2)
        result["rss_after_warmup"] = load.worker_rss_mib(server.pid)
        # The feed's own scenarios (feed, filters, detail, 304, baseline); the slower graph, DataFeed
        # and admin pages get their memory reading at the end of the load runs instead.
        feed_requests = [(s["path"], s["headers"]) for s in scenarios if s["group"] not in ("other", "admin")]
        feed_requests = feed_requests or requests  # `--only` may have left no feed scenario
        log(f"{kind}, cache {mode}: {args.memory_requests:,} requests across the feed scenarios (memory check)")
        result["memory_phase"] = load.run_count(
            args.port, feed_requests, total=args.memory_requests, concurrency=4, max_seconds=args.memory_seconds
        )
        result["rss_after_memory_phase"] = load.worker_rss_mib(server.pid)
        result["runs"] = {}
        drain_path = next((s["path"] for s in scenarios if s["group"] == "baseline"), "/api/claims/?page_size=1")
        for s in scenarios:
            log(f"{kind}, cache {mode}: {s['name']}")
            run: dict = {}
            if wrk:
                closed = load.run_wrk(
                    wrk,
                    f"http://127.0.0.1:{args.port}{s['path']}",
                    headers=s["headers"],
                    seconds=args.duration,
                    connections=args.connections,
                )
            else:
                closed = load.run_fixed_rate(
                    args.port,
                    s["path"],
                    headers=s["headers"],
                    rate=10_000,
                    seconds=args.duration,
                    concurrency=args.connections,
                )
                closed.tool = f"python closed loop, {args.connections} clients (wrk unavailable)"
            run["closed"] = asdict(closed)
            # A share of the measured capacity: latency under a steady, sustainable load.
            rate = max(1.0, round(closed.rps * args.rate_fraction, 1))
            run["fixed_rate"] = asdict(
                load.run_fixed_rate(args.port, s["path"], headers=s["headers"], rate=rate, seconds=args.rate_duration)
            )
            # Sync workers finish every queued request, even ones wrk gave up on; wait for them, so a
            # slow scenario's backlog does not land on the next one.
            run["drain_seconds"] = load.drain(args.port, drain_path)
            run["rss_after"] = load.worker_rss_mib(server.pid)
            result["runs"][s["name"]] = run
        result["rss_at_end"] = load.worker_rss_mib(server.pid)
        result["workers_restarted"] = sorted(load.worker_pids(server.pid)) != sorted(pids)
    finally:
        stop_server(server)
    return result


# --- the report --------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    )
    return {"nproc": str(os.cpu_count()), "memory": f"{mem_kib / 1024 / 1024:.1f} GiB", "cpu": cpu}


def versions(wrk: str | None) -> dict[str, str]:
    from importlib.metadata import version

    out = {"Python": platform.python_version()}
    for package in ("Django", "djangorestframework", "orjson", "gunicorn", "psycopg"):
        out[package] = version(package)
    if wrk:
        first = subprocess.run([wrk, "-v"], capture_output=True, text=True)
        out["wrk"] = (first.stdout or first.stderr).split()[1]
    return out


def _fmt_ms(value: float | None) -> str:
    # 0 is what wrk prints when no request completed.
    return "–" if not value or value != value else (f"{value:.2f}" if value < 10 else f"{value:.1f}")


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.2f}x"


def _mib(values: list[float]) -> str:
    return " / ".join(f"{v:.0f}" for v in values) or "–"


def report(results: list[dict], args: argparse.Namespace, wrk: str | None, command: str) -> str:
    lines = [
        "# Feed benchmark results",
        "",
        "Rewritten by every run of `python -m bench.run` (`make bench`). What is measured and why: issues 6 and 16",
        'and the module docstrings in bench/; how the tracker scales beyond one machine: README, "Scaling out".',
        "",
        f"- Written: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}` (each database section names its own run)",
        f"- Machine: {machine()['nproc']} CPUs ({machine()['cpu']}), {machine()['memory']} RAM; the server, "
        "the database and the load generator share it",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions(wrk).items()),
        "- Other work on the machine during a run (see each section's load average) inflates latencies and "
        "deflates throughput alike, for the feed and the baseline.",
        f"- Archive: {args.claims:,} generated claims (bench/generate.py, seed 1)",
        "- The slow queries of issue 16 before and after their fix, EXPLAIN (ANALYZE, BUFFERS): "
        "[bench/EXPLAIN.md](EXPLAIN.md)",
        f"- Server: gunicorn `{' '.join(gunicorn_options(args))}` on 127.0.0.1, DEBUG off, throttling off (one client), "
        "persistent DB connections (CONN_MAX_AGE=60)",
        "- Closed loop: wrk (the Python client if wrk is missing) at a fixed number of connections for a fixed "
        "time. Fixed rate: a share of that scenario's closed-loop throughput, latency measured from each "
        "request's scheduled time (durations and shares in each section).",
        "",
    ]
    for result in results:
        lines += _report_database(result, args)
    return "\n".join(lines) + "\n"


def _report_database(result: dict, args: argparse.Namespace) -> list[str]:
    probe = result["probe"]
    by_name = {s["name"]: s for s in probe["scenarios"]}
    title = "PostgreSQL" if result["database"] == "postgres" else "SQLite"
    lines = [
        f"## {title} {probe['server_version']}",
        "",
        f"Run {result.get('date', '(date not recorded)')} UTC: `{result.get('command', 'python -m bench.run')}`; "
        f"{result.get('settings', '')}"
        + (f"; load average (1/5/15 min) at the start {result['load']}." if "load" in result else "."),
        "",
    ]
    if "generate_seconds" in result:
        lines += [f"Generated the archive in {result['generate_seconds']:.0f} s (bulk inserts, one transaction).", ""]
    elif "generated" in result:
        g = result["generated"]
        lines += [
            f"The archive ({g['claims']:,} claims) was generated by an earlier run on {g['date']} in "
            f"{g['seconds']:.0f} s (`--reuse`).",
            "",
        ]
    else:
        lines += ["The archive was generated by an earlier run (`--reuse`).", ""]
    for mode, phase in sorted(result["modes"].items(), key=lambda item: item[0] != "off"):
        lines += _report_mode(mode, phase, by_name, args)
    if result.get("edge"):
        lines += _report_edge(result["edge"])
    if result.get("writes"):
        lines += _report_writes(result["writes"])
    if result.get("scale"):
        lines += _report_scale(result["scale"])
    notes = [s for s in probe["scenarios"] if s["note"]]
    if notes:
        lines += ["Scenario parameters: " + "; ".join(f"{s['name']}: `{s['note']}`" for s in notes) + ".", ""]
    missing = [s["name"] for s in probe["scenarios"] if not s["available"]]
    if missing:
        lines += [f"Not measured (the endpoint answered 404 in this tree): {', '.join(missing)}.", ""]
    if probe.get("publish_latency"):
        lines += [
            "### The change log's cost on publishing",
            "",
            "`reviews.services.claim_publish` in-process, each call committing, alternating between the",
            "real service and one whose `claims.changelog.record` is a no-op (no advisory lock, no row):",
            "",
            "| publish | samples | p50 | mean |",
            "|---|---|---|---|",
        ]
        for arm, row in probe["publish_latency"].items():
            if row.get("n"):
                lines.append(f"| {arm} | {row['n']} | {row['p50_ms']:.1f} ms | {row['mean_ms']:.1f} ms |")
        lines.append("")
    lines += [
        "### SQL queries per request by page size (feed, anonymous)",
        "",
        "| filter | page size 1 | page size 20 | page size 100 |",
        "|---|---|---|---|",
    ]
    for name, row in probe["queries_by_page_size"].items():
        lines.append(f"| {name} | " + " | ".join(str(row[str(n)]) for n in (1, 20, 100)) + " |")
    same = all(len(set(row.values())) == 1 for row in probe["queries_by_page_size"].values())
    lines += ["", f"Identical at page sizes 1, 20 and 100 for every filter: {'yes' if same else 'NO'}."]
    lines += ["", "### Baseline equality", ""]
    for name, verdict in probe["baseline_equal"].items():
        lines.append(f"- {name}: {verdict} to its baseline")
    lines.append("")
    if probe["explain"]:
        lines += _explain_summary(probe["explain"])
        lines += ["### EXPLAIN (ANALYZE, BUFFERS) of the main feed queries", ""]
        for name, plans in probe["explain"].items():
            lines += [f"#### {name}", ""]
            for item in plans:
                sql = item["sql"] if len(item["sql"]) <= 2500 else item["sql"][:2500] + " …"
                lines += ["```sql", sql, "```", "```", item["plan"], "```", ""]
    return lines


def _report_edge(edge: dict) -> list[str]:
    """The edge cache: hot reads through nginx against the same bytes as files, and freshness."""
    lines = ["### Edge cache: nginx `proxy_cache` in front of gunicorn (deploy/nginx.conf)", ""]
    if "skipped" in edge:
        return [*lines, f"Not measured: {edge['skipped']}.", ""]
    lines += [
        f"nginx {edge['nginx']}, one worker process, rendered from deploy/nginx.conf; a second server block "
        "of the same nginx serves each response's bytes as a plain file. wrk "
        f"{edge['seconds']} s at {edge['connections']} connections per run, proxied and static alternating; "
        "the better run of each counts. Response cache on (as deployed).",
        "",
        "| hot public read | bytes | 2nd request | proxied req/s | static req/s | proxied ÷ static (≥ 0.5) "
        "| p50 proxied ms | p50 static ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in edge["reads"].items():
        ratio = row["ratio"] or 0
        lines.append(
            f"| {name} | {row['bytes']:,} | {row['second_request']} | {row['rps_proxied']:,.0f} "
            f"| {row['rps_static']:,.0f} | {ratio:.2f} {'met' if ratio >= 0.5 else 'NOT met'} "
            f"| {_fmt_ms(row['p50_proxied_ms'])} | {_fmt_ms(row['p50_static_ms'])} | {row['errors']} |"
        )
    fresh = edge["fresh"]
    lines += [
        "",
        f"Freshness after a write: `{fresh['path']}` served from the cache, then claim {fresh['claim']} published "
        f"(claim_publish) and the page read through the proxy every 50 ms for {fresh['max_age'] + 5} s "
        f"({fresh['readings']} reads, statuses {fresh['statuses']}, cache {', '.join(fresh['cache_statuses'])}): "
        f"the old page was last served {fresh['last_stale_after_s']} s after the commit, the new one first "
        f"{fresh['first_fresh_after_s']} s after it; declared max-age {fresh['max_age']} s; "
        f"old after new: {'yes' if fresh['stale_after_fresh'] else 'never'}. "
        f"**{'met' if fresh['met'] else 'NOT met'}**.",
        "",
    ]
    return lines


def _report_writes(writes: dict) -> list[str]:
    lines = [
        "### Writes: publish and correct with 1, 4 and 16 editors at once (bench/writes.py)",
        "",
        f"Each editor a forked process with its own connection calling the service, {writes['per_editor']} "
        "writes each per run, each committed, each arm run twice (A B C C B A). Arms: as deployed (change log row after its advisory lock, "
        "webhook wake-up enqueued on commit); the log without the outbox's wake-up; neither "
        "(`changelog.record` a no-op).",
        "",
        "| operation | editors | arm | writes | p50 ms | p99 ms | writes/s | errors | p50 ÷ neither (log ≤ 1.10) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    neither = {(r["operation"], r["editors"]): r["p50_ms"] for r in writes["runs"] if r["arm"] == "neither"}
    for r in writes["runs"]:
        base = neither.get((r["operation"], r["editors"]))
        ratio = r["p50_ms"] / base if base and r["p50_ms"] else None
        verdict = (
            "" if r["arm"] == "neither" or ratio is None else f"{ratio:.2f} {'met' if ratio <= 1.10 else 'NOT met'}"
        )
        lines.append(
            f"| {r['operation']} | {r['editors']} | {r['arm']} | {r['n']} | {_fmt_ms(r['p50_ms'])} "
            f"| {_fmt_ms(r['p99_ms'])} | {r['writes_per_s'] or 0:.1f} | {r['errors']} | {verdict} |"
        )
    errors = [r["first_error"] for r in writes["runs"] if r["first_error"]]
    if errors:
        lines += ["", f"First error: `{errors[0]}`"]
    return [*lines, ""]


def _report_scale(scale: dict) -> list[str]:
    base, big, generated = scale["base"], scale["big"], scale["generated"]
    lines = [
        f"### Scale: {base['claims']:,} and {big['claims']:,} claims side by side",
        "",
        f"The {generated['claims']:,}-claim archive was generated with COPY in {generated['seconds']:.0f} s "
        f"({'within' if generated['seconds'] <= 600 else 'NOT within'} the 10-minute goal), then VACUUM ANALYZE "
        f"in {generated.get('analyze_seconds', 0):.0f} s. In-process figures (bench/scale.py: Django's test client, "
        "response cache off, p50 of 15 requests after one warm-up). Deep page: after "
        f"{base['deep_rows']:,} and {big['deep_rows']:,} rows.",
        "",
        f"| request | p50 ms at {base['claims']:,} | p50 ms at {big['claims']:,} | ratio (≤ 1.3) | queries |",
        "|---|---|---|---|---|",
    ]
    for name, row in base["requests"].items():
        other = big["requests"].get(name)
        if not other:
            continue
        ratio = other["p50_ms"] / row["p50_ms"]
        lines.append(
            f"| {name} | {row['p50_ms']:.1f} | {other['p50_ms']:.1f} | {ratio:.2f} {'met' if ratio <= 1.3 else 'NOT met'} "
            f"| {row['queries']} / {other['queries']} |"
        )
    for data in (base, big):
        m = data.get("matcher")
        if m:
            lines.append(
                f"| matcher query ({data['claims']:,} claims, {m['passages']:,} passages; index build "
                f"{m['build_seconds']:.0f} s) | {m['p50_ms']:.1f} ms | | | |"
            )
    if not big.get("matcher"):
        lines.append(
            f"| matcher at {big['claims']:,} | not measured: the in-memory index is rebuilt from every claim and "
            f"quote per process (see its build time above), skipped past {MATCHER_MAX_CLAIMS:,} claims | | | |"
        )
    lines += ["", "| table | rows | table MiB | indexes MiB | total MiB | rows | table MiB | indexes MiB | total MiB |"]
    lines += ["|---|---|---|---|---|---|---|---|---|"]

    def cells(r: dict) -> str:
        if not r:
            return " | | | "
        mib = [f"{r[key] / 2**20:,.0f}" if key in r else "" for key in ("table", "indexes", "total")]
        return f"{r['rows']:,} | " + " | ".join(mib) if "rows" in r else " | | | " + mib[2]

    for table, row in base["sizes"].items():
        lines.append(f"| {table} | {cells(row)} | {cells(big['sizes'].get(table, {}))} |")
    return [*lines, ""]


def _explain_summary(explain: dict) -> list[str]:
    """Where the database time goes: each query's execution time and its sequential scans."""
    lines = [
        "### Database time per query (EXPLAIN ANALYZE, PostgreSQL)",
        "",
        "| request | query | execution ms | sequential scans, sorts |",
        "|---|---|---|---|",
    ]
    for name, plans in explain.items():
        for item in plans:
            match = re.search(r"Execution Time: ([\d.]+) ms", item["plan"])
            table = re.match(r'[\s(]*SELECT "(\w+)"\.', item["sql"])
            first = table.group(1) if table else "?"
            if item["sql"].lstrip().upper().startswith("WITH"):
                first = "one query (baseline)"
            elif "history_id" in item["sql"]:
                first = "fingerprint (history tables)"
            # Sequential scans that read many rows (small lookup tables are fine), and sorts.
            notable = sorted(
                {
                    f"seq scan on {table} ({int(rows) * int(loops):,} rows)"
                    for table, rows, loops in re.findall(
                        r"Seq Scan on (\w+).*?actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)", item["plan"]
                    )
                    if int(rows) * int(loops) >= 1000
                }
            )
            if "top-N heapsort" in item["plan"] and notable:
                notable.append("top-N sort")
            lines.append(
                f"| {name} | {first} | {float(match.group(1)) if match else float('nan'):.2f} | "
                f"{', '.join(notable) or '–'} |"
            )
    return [*lines, ""]


def _report_mode(mode: str, phase: dict, by_name: dict, args: argparse.Namespace) -> list[str]:
    runs = phase["runs"]
    explain = {
        "off": "Response cache off (DummyCache): every request runs the whole read path",
        "on": "Response cache on (per-worker memory, as deployed without REDIS_URL): repeated pages are served "
        "from the cache after the fingerprint query",
    }[mode]
    lines = [
        f"### {explain}",
        "",
        *([f"(From the run of {phase['from_run']} UTC.)", ""] if "from_run" in phase else []),
        "| scenario | HTTP | bytes | SQL queries | req/s | p50 ms | p99 ms | fixed rate req/s | p50 ms | p99 ms "
        "| non-2xx/3xx | errors | p50 ÷ baseline | req/s ÷ baseline | worker RSS after (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        s = by_name[name]
        closed, fixed = run["closed"], run["fixed_rate"]
        base = runs.get(s["baseline"] or "baseline, first page, 100", {}).get("closed")
        queries = s["queries"] if mode == "off" or s["group"] in ("baseline", "admin") else f"{s['queries']} (uncached)"
        lines.append(
            f"| {name} | {s['status']} | {s['bytes']:,} | {queries} | {closed['rps']:.0f} "
            f"| {_fmt_ms(closed['p50_ms'])} | {_fmt_ms(closed['p99_ms'])} "
            f"| {fixed['rps']:.0f} of {fixed['target_rps']:.0f}{' ⚠' if fixed['rps'] < 0.9 * fixed['target_rps'] else ''} "
            f"| {_fmt_ms(fixed['p50_ms'])} "
            f"| {_fmt_ms(fixed['p99_ms'])} "
            f"| {closed['bad_status'] + fixed['bad_status']} | {closed['errors'] + fixed['errors']} "
            f"| {_ratio(closed['p50_ms'], base and base['p50_ms'])} | {_ratio(closed['rps'], base and base['rps'])} "
            f"| {_mib(run['rss_after'])} |"
        )
    memory = phase["memory_phase"]
    lines += [
        "",
        "Ratios compare with the baseline serving the same page (page size and cursor); scenarios without "
        "their own baseline compare with the baseline's first page of 100. SQL queries are those of the whole "
        "read path (measured with the cache off); with the cache on, a hit costs the one fingerprint query. "
        "⚠: the Python fixed-rate client fell more than 10% behind its schedule (it shares the CPUs with the "
        "server), so that row's fixed-rate latency includes the client's own lag.",
        "",
        *_goals(phase, args, read_path=mode == "off"),
        f"Worker memory: {_mib(phase['rss_after_warmup'])} MiB per worker after warm-up; "
        f"{_mib(phase['rss_after_memory_phase'])} MiB after {memory['requests']:,} more requests across the "
        f"feed scenarios (statuses {memory['statuses']}, errors {memory['errors']}); "
        f"{_mib(phase['rss_at_end'])} MiB at the end of the load runs"
        + (" (a worker was restarted during the run!)" if phase["workers_restarted"] else "")
        + ".",
        "",
    ]
    return lines


def _goals(phase: dict, args: argparse.Namespace, *, read_path: bool) -> list[str]:
    """The issue's goals. Latency goals are judged on the read path (cache off): with the cache on,
    repeated requests measure the cache, not the feed."""
    runs = phase["runs"] if read_path else {}

    def p50(name: str | None) -> float | None:
        return runs.get(name, {}).get("closed", {}).get("p50_ms") if name else None

    deep = next((n for n in runs if n.startswith("feed, deep page")), None)
    conditional = next((n for n in runs if "(304)" in n), None)
    rows = []

    def goal(text: str, a: float | None, b: float | None, limit: float, *, at_least: bool = False) -> None:
        if not a or not b:
            rows.append(f"| {text} | not measured | |")
            return
        value = a / b
        met = value >= limit if at_least else value <= limit
        rows.append(f"| {text} | {value:.2f} | {'met' if met else 'NOT met'} |")

    first = p50("feed, first page, 100")
    goal("feed page 100 p50 ÷ baseline p50 (≤ 1.5)", first, p50("baseline, first page, 100"), 1.5)
    goal("deep page p50 ÷ first page p50 (≤ 1.15)", p50(deep), first, 1.15)
    goal("full page p50 ÷ 304 p50 (≥ 25)", first, p50(conditional), 25.0, at_least=True)
    for name in ("feed, filter q", "changes, first page, 100", "changes, deep page, 100"):
        own = "baseline, filter q" if name == "feed, filter q" else f"baseline, {name}"
        if own in runs:
            goal(f"{name}: p50 ÷ its own baseline's (≤ 2)", p50(name), p50(own), 2.0)
    for name in ("entity graph", "timeline", "conflicts"):  # the facts endpoints (bench.probe.facts_scenarios)
        if f"baseline, {name}" in runs:
            goal(f"{name}: p50 ÷ its own baseline's (≤ 2)", p50(name), p50(f"baseline, {name}"), 2.0)
    # ClaimReview, the DataFeed and the public claim page (bench.probe._OWN_BASELINES).
    for name in ("ClaimReview of one claim", "ClaimReview DataFeed", "public claim page"):
        if f"baseline, {name}" in runs:
            goal(f"{name}: p50 ÷ its own baseline's (≤ 2)", p50(name), p50(f"baseline, {name}"), 2.0)
    if conditional and "feed, first page, 100" in runs:
        goal(
            "304 req/s ÷ full page req/s (≥ 25)",
            runs[conditional]["closed"]["rps"],
            runs["feed, first page, 100"]["closed"]["rps"],
            25.0,
            at_least=True,
        )
    if not read_path:
        rows.clear()
    bad = sum(
        r[kind]["bad_status"] + r[kind]["errors"] for r in phase["runs"].values() for kind in ("closed", "fixed_rate")
    )
    memory = phase["memory_phase"]
    bad += memory["errors"] + sum(n for s, n in memory["statuses"].items() if not 200 <= int(s) < 400)
    rows.append(f"| errors and non-2xx/3xx responses under load | {bad} | {'met' if bad == 0 else 'NOT met'} |")
    warm, after = phase["rss_after_warmup"], phase["rss_after_memory_phase"]
    growth = max((x / y for x, y in zip(after, warm, strict=False)), default=None)
    goal(f"worker RSS after {memory['requests']:,} requests ÷ after warm-up (≤ 1.3)", growth, 1.0, 1.3)
    return ["| goal | measured | |", "|---|---|---|", *rows, ""]


# --- main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CLAIMS:,} claims and short runs")
    parser.add_argument("--claims", type=int, help=f"claims to generate (default {DEFAULT_CLAIMS:,})")
    parser.add_argument(
        "--databases",
        help="comma-separated: sqlite, postgres (default both; quick: PostgreSQL, or SQLite when it is not reachable)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"], help="gunicorn worker model")
    parser.add_argument("--threads", type=int, default=2, help="threads per gthread worker")
    parser.add_argument("--keep-alive", type=int, default=5, help="seconds gthread workers keep a connection")
    parser.add_argument("--no-edge", dest="edge", action="store_false", help="skip the nginx edge-cache phase")
    parser.add_argument("--no-writes", dest="writes", action="store_false", help="skip the write-latency phase")
    parser.add_argument("--connections", type=int, default=4, help="wrk's open connections")
    parser.add_argument("--duration", type=int, help="seconds of wrk per scenario (default 10, quick 2)")
    parser.add_argument("--rate-duration", type=int, help="seconds at a fixed rate (default 6, quick 2)")
    parser.add_argument("--rate-fraction", type=float, default=0.3, help="fixed rate as a share of wrk's req/s")
    parser.add_argument("--memory-requests", type=int, help="requests between the memory readings (10,000)")
    parser.add_argument(
        "--memory-seconds", type=int, default=240, help="time limit of the memory check (it stops early if reached)"
    )
    parser.add_argument("--warmup", type=int, default=10, help="warm-up requests per scenario")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument(
        "--keep-other", action="store_true", help="keep the other database's figures from its latest run in RESULTS.md"
    )
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from the saved figures")
    parser.add_argument("--only", help="run only scenarios whose name contains this")
    parser.add_argument(
        "--cache",
        help="response cache modes to run, comma-separated: off (every request runs the read path), on "
        "(default: off,on; quick: off)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the existing bench databases (no generate)")
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        help="also generate an archive of this many claims (COPY, second database) and compare the read "
        "path's figures with the main archive's (PostgreSQL only), e.g. --scale 1000000",
    )
    parser.add_argument("--match-queries", type=int, default=20, help="matcher queries in the scale figures")
    parser.add_argument(
        "--scale-only", action="store_true", help="run only the --scale comparison against the kept PostgreSQL archive"
    )
    parser.add_argument(
        "--reuse-scale",
        action="store_true",
        help="keep the --scale archive of an earlier run (same size), not regenerate it",
    )
    args = parser.parse_args(argv)
    args.cache = args.cache or ("off" if args.quick else "off,on")
    args.cache_modes = [m.strip() for m in args.cache.split(",") if m.strip() in ("on", "off")]
    args.claims = args.claims or (QUICK_CLAIMS if args.quick else DEFAULT_CLAIMS)
    args.duration = args.duration or (2 if args.quick else 10)
    args.rate_duration = args.rate_duration or (2 if args.quick else 6)
    args.memory_requests = args.memory_requests or (1_000 if args.quick else 10_000)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_at_start = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    if not args.port:
        # A port nobody else on this machine is using (other servers and test runs share loopback).
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    command = "python -m bench.run " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    OUT.mkdir(parents=True, exist_ok=True)
    wrk = load.ensure_wrk()
    if not wrk:
        log("wrk is not available; the closed-loop runs use the Python client instead")
    results = []
    # Quick mode measures one database, the deployed one when there is one: a few minutes in all.
    fallback = args.quick and not args.databases
    kinds = [
        k.strip() for k in (args.databases or ("postgres" if fallback else "sqlite,postgres")).split(",") if k.strip()
    ]
    if args.report_only:
        # Rewrite RESULTS.md from the saved figures of the latest runs, without running anything.
        kinds, args.keep_other = [], True
    if args.scale_only:
        # Only the scale comparison, added to PostgreSQL's saved figures (its archive is kept).
        saved = OUT / "result-postgres.json"
        if not args.scale or not saved.exists():
            raise SystemExit(
                "--scale-only needs --scale N and an earlier PostgreSQL run (bench/out/result-postgres.json)"
            )
        result = orjson.loads(saved.read_bytes())
        args.claims = result.get("claims", args.claims)
        result["scale"] = scale_phase(django_env(PG_URL), args)
        saved.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
        kinds, args.keep_other = [], True
    for kind in kinds:
        if kind not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown database {kind!r}: use sqlite and/or postgres")
        result = bench_database(kind, args, wrk)
        if result is None and fallback:
            kinds.append("sqlite")
        if result:
            result |= {
                "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
                "command": command,
                "claims": args.claims,
                "load": f"{args.load_at_start}, at the end " + " / ".join(f"{x:.1f}" for x in os.getloadavg()),
                "settings": (
                    f"gunicorn {' '.join(gunicorn_options(args))}; wrk {args.duration} s at {args.connections} connections; "
                    f"fixed rate {args.rate_fraction:.0%} of wrk's req/s for {args.rate_duration} s"
                ),
            }
            saved = OUT / f"result-{kind}.json"
            if args.keep_other and saved.exists():
                # Cache modes this run did not measure, from this database's previous run.
                previous = orjson.loads(saved.read_bytes())
                for mode, phase in previous.get("modes", {}).items():
                    if mode not in result["modes"]:
                        result["modes"][mode] = phase | {"from_run": previous.get("date", "an earlier run")}
            results.append(result)
            (OUT / f"result-{kind}.json").write_bytes(
                orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
            )
    if args.keep_other:
        # The other database's figures from its own latest run, so one file shows both.
        ran = {r["database"] for r in results}
        for kind in ("sqlite", "postgres"):
            saved = OUT / f"result-{kind}.json"
            if kind not in ran and saved.exists():
                results.append(orjson.loads(saved.read_bytes()))
        results.sort(key=lambda r: r["database"] != "postgres")
    if not results:
        raise SystemExit("no database could be benchmarked")
    RESULTS.write_text(report(results, args, wrk, command) + kept_matching_section())
    log(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


MATCHING_HEADING = "## Claim matching (bench/matching.py)"


def kept_matching_section() -> str:
    """The claim matcher's section, measured by its own command (bench/matching.py: minutes of
    index building, not part of this run) and written up by hand: carried over from the file."""
    old = RESULTS.read_text() if RESULTS.exists() else ""
    start = old.find(MATCHING_HEADING)
    return "\n" + old[start:].rstrip() + "\n" if start >= 0 else ""


if __name__ == "__main__":
    sys.exit(main())
