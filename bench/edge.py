"""The edge cache: nginx with proxy_cache (deploy/nginx.conf) in front of gunicorn, measured.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.edge \\
        --upstream-port 8000 --out edge.json [--seconds 5] [--connections 16]

Starts Debian's nginx with the repository's own configuration rendered for loopback ports and
directories under bench/out/edge/, plus a second server block in the same nginx that serves
plain files. Then:

- hot public reads: for each path, the response through the proxy is saved as a file, and wrk
  loads the proxied URL and the file's URL one after the other (twice, alternating), so the
  ratio proxied ÷ static is the cache's cost against the physical limit of this machine;
- freshness after a write: the feed's first page is served from the cache, a claim is
  published (reviews.services.claim_publish, in this process), and the page is read through the
  proxy every 50 ms; the check is that no copy without the new claim is served later than the
  max-age the app declared (Cache-Control) after the write committed.

Prints nothing; writes its figures as JSON to --out (bench.run puts them in RESULTS.md).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "nginx.conf"
HOST = "127.0.0.1"


def ensure_nginx() -> str | None:
    """The nginx binary: installed from Debian when missing and we are root; None when unavailable."""
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx") or None
    if found:
        return found
    if Path("/usr/bin/apt-get").exists() and os.geteuid() == 0:
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        for step in (["apt-get", "install", "-y", "-qq", "nginx-light"], ["apt-get", "update", "-qq"]):
            subprocess.run(step, check=False, capture_output=True, env=env)
            if Path("/usr/sbin/nginx").exists():
                break
        else:
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "nginx-light"], check=False, capture_output=True, env=env
            )
    return shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx") or None


def render(*, listen: str, upstream: str, cache_dir: Path) -> str:
    """deploy/nginx.conf with its @NAMES@ filled in."""
    text = CONFIG.read_text()
    for name, value in {"LISTEN": listen, "UPSTREAM": upstream, "CACHE_DIR": str(cache_dir)}.items():
        text = text.replace(f"@{name}@", value)
    if "@" in re.sub(r"#.*", "", text):
        raise SystemExit(f"{CONFIG}: a placeholder was left unfilled")
    return text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_nginx(
    nginx: str, run_dir: Path, *, upstream_port: int, workers: int = 1
) -> tuple[subprocess.Popen, int, int]:
    """nginx in the foreground with the tracker's configuration and a static-file server; returns
    the process, the proxy's port and the static server's port."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    for sub in ("cache", "static", "tmp"):
        (run_dir / sub).mkdir(parents=True)
    proxy_port, static_port = free_port(), free_port()
    (run_dir / "tracker.conf").write_text(
        render(listen=f"{HOST}:{proxy_port}", upstream=f"{HOST}:{upstream_port}", cache_dir=run_dir / "cache")
    )
    tmp = run_dir / "tmp"
    (run_dir / "nginx.conf").write_text(
        f"""# Written by bench/edge.py: the wrapper a Debian nginx.conf would be, for loopback.
{"user root;" if os.geteuid() == 0 else ""}
worker_processes {workers};
daemon off;
pid {run_dir}/nginx.pid;
error_log {run_dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ application/json json; text/html html; }}
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {run_dir}/tracker.conf;
    # The same bytes as plain files: what this nginx can serve at most.
    server {{
        listen {HOST}:{static_port};
        root {run_dir}/static;
    }}
}}
"""
    )
    process = subprocess.Popen(
        [nginx, "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), "-e", str(run_dir / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, proxy_port), timeout=1):
            return process, proxy_port, static_port
        if process.poll() is not None:
            raise SystemExit(f"nginx exited: {process.stderr.read().decode(errors='replace')}")
        time.sleep(0.1)
    stop(process)
    raise SystemExit("nginx did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGQUIT)  # nginx's graceful shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def max_age(cache_control: str) -> int | None:
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return int(match.group(1)) if match else None


# --- hot reads ----------------------------------------------------------------------------


def hot_reads(wrk: str, proxy_port: int, static_port: int, static_dir: Path, paths: dict[str, str], args) -> dict:
    from bench import load

    out = {}
    for index, (name, path) in enumerate(paths.items()):
        status, headers, body = get(proxy_port, path)
        again = get(proxy_port, path)
        if status != 200 or again[0] != 200:
            raise SystemExit(f"edge: {path} answered {status}/{again[0]} through the proxy")
        static_name = f"copy{index}.json"
        (static_dir / static_name).write_bytes(body)
        runs: dict[str, list] = {"proxied": [], "static": []}
        for _ in range(args.rounds):
            for kind, url in (
                ("proxied", f"http://{HOST}:{proxy_port}{path}"),
                ("static", f"http://{HOST}:{static_port}/{static_name}"),
            ):
                result = load.run_wrk(wrk, url, headers={}, seconds=args.seconds, connections=args.connections)
                runs[kind].append(asdict(result))
        best = {kind: max(r["rps"] for r in results) for kind, results in runs.items()}
        out[name] = {
            "path": path,
            "bytes": len(body),
            "cache_control": headers.get("cache-control", ""),
            "second_request": again[1].get("x-cache-status", "?"),
            "runs": runs,
            "rps_proxied": best["proxied"],
            "rps_static": best["static"],
            "ratio": best["proxied"] / best["static"] if best["static"] else None,
            "p50_proxied_ms": min(r["p50_ms"] for r in runs["proxied"]),
            "p50_static_ms": min(r["p50_ms"] for r in runs["static"]),
            "errors": sum(r["errors"] + r["bad_status"] for rs in runs.values() for r in rs),
        }
    return out


# --- freshness after a write --------------------------------------------------------------


def publish_one() -> tuple[int, float]:
    """Publish a reviewed claim through the service (it becomes the feed's newest); its id and
    the wall-clock time the transaction committed."""
    from django.contrib.auth import get_user_model

    from claims.models import Claim
    from reviews import services
    from reviews.models import Rating

    editor = get_user_model().objects.get(username="bench-editor")
    rating = Rating.objects.filter(value__isnull=False).first()
    claim = Claim.objects.filter(status="reviewed").order_by("-id").first()
    if claim is None:
        raise SystemExit("edge: no reviewed claim left to publish")
    services.claim_publish(
        claim=claim, by=editor, rating=rating, summary="Published by the edge bench.", resolution="Benchmark."
    )
    return claim.pk, time.time()


def freshness(proxy_port: int, path: str, *, interval: float = 0.05) -> dict:
    """Serve `path` from the cache, publish a claim, and read `path` through the proxy until well
    past its max-age: when was the old copy last served, and when the new one first?"""
    import orjson

    get(proxy_port, path)
    status, headers, body = get(proxy_port, path)
    declared = max_age(headers.get("cache-control", ""))
    if declared is None:
        raise SystemExit(f"edge: {path} declares no max-age through the proxy")
    # Wait until the cached copy is a few seconds old, so the write lands inside its lifetime.
    time.sleep(min(3, declared / 2))
    claim_id, committed = publish_one()
    readings = []
    while time.time() - committed < declared + 5:
        started = time.time()
        status, headers, body = get(proxy_port, path)
        ids = [item["id"] for item in orjson.loads(body)["results"]] if status == 200 else []
        readings.append(
            {
                "after_s": round(started - committed, 3),
                "status": status,
                "fresh": claim_id in ids,
                "cache": headers.get("x-cache-status", "?"),
            }
        )
        time.sleep(interval)
    stale = [r["after_s"] for r in readings if not r["fresh"]]
    fresh = [r["after_s"] for r in readings if r["fresh"]]
    last_stale = max(stale, default=None)
    return {
        "path": path,
        "max_age": declared,
        "claim": claim_id,
        "readings": len(readings),
        "stale_readings": len(stale),
        "last_stale_after_s": last_stale,
        "first_fresh_after_s": min(fresh, default=None),
        # Anything stale after a fresh copy was served would be a cache serving two generations.
        "stale_after_fresh": any(s > min(fresh) for s in stale) if fresh else None,
        "met": bool(fresh) and (last_stale is None or last_stale <= declared),
        "statuses": sorted({r["status"] for r in readings}),
        "cache_statuses": sorted({r["cache"] for r in readings}),
    }


def run(args) -> dict:
    from bench import load

    wrk = load.ensure_wrk()
    nginx = ensure_nginx()
    if not wrk or not nginx:
        return {"skipped": f"{'wrk' if not wrk else 'nginx'} is not available"}
    run_dir = Path(args.run_dir)
    process, proxy_port, static_port = start_nginx(nginx, run_dir, upstream_port=args.upstream_port)
    try:
        version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
        paths = dict(pair.split("=", 1) for pair in args.path)
        reads = hot_reads(wrk, proxy_port, static_port, run_dir / "static", paths, args)
        fresh = freshness(proxy_port, args.fresh_path)
    finally:
        stop(process)
    return {"nginx": version, "seconds": args.seconds, "connections": args.connections, "reads": reads, "fresh": fresh}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream-port", type=int, required=True, help="gunicorn's port")
    parser.add_argument("--out", required=True)
    parser.add_argument("--run-dir", default=str(ROOT / "bench" / "out" / "edge"))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--path",
        action="append",
        help="name=path of a hot public read (repeatable)",
    )
    parser.add_argument("--fresh-path", default="/api/claims/?page_size=20")
    args = parser.parse_args(argv)
    args.path = args.path or ["feed, first page, 100=/api/claims/?page_size=100"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    import orjson

    Path(args.out).write_bytes(orjson.dumps(run(args), option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
