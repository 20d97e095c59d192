"""One editor's admin page loads, one after another, through gunicorn as the bench deploys it.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.editor [--requests 30]

The issue's admin goal (claim changelist and claim change page at 100,000 claims, p50 ≤ 150 ms)
is about what an editor waits for. bench.run loads the admin pages with wrk at four connections,
which on two cores measures queueing behind the other connections' renders (four 130 ms pages on
two workers); this measures the page itself: one signed-in client, one keep-alive connection,
each request after the previous one's answer, on the same server (`--workers 2 --worker-class
gthread --threads 2 --keep-alive 5`, response cache as deployed). Prints JSON, the figures last.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent


def pages() -> tuple[str, list[tuple[str, str]]]:
    """The editor's session cookie and the pages to load (the probe's admin scenarios)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from claims.models import Claim

    editor = get_user_model().objects.get(username="bench-editor")
    client = Client()
    client.force_login(editor)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    # The probe's corrected claim (bench/probe.py), and a plain published one.
    corrected = Claim.objects.published().filter(verdicts__version=2).order_by("id").first()
    plain = Claim.objects.published().order_by("-id").values_list("id", flat=True)[500]
    return cookie, [
        ("admin claim changelist (editor)", "/admin/claims/claim/"),
        ("admin claim change page (editor), a corrected claim", f"/admin/claims/claim/{corrected.pk}/change/"),
        ("admin claim change page (editor), a published claim", f"/admin/claims/claim/{plain}/change/"),
    ]


def measure(port: int, cookie: str, path: str, requests: int, warmup: int = 3) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, statuses, size = [], {}, 0
    try:
        for n in range(warmup + requests):
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if n >= warmup:
                times.append(elapsed)
                statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
                size = len(body)
    finally:
        conn.close()
    times.sort()
    return {
        "requests": requests,
        "statuses": statuses,
        "bytes": size,
        "p50_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
        "min_ms": round(times[0], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (after 3 of warm-up)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench import run

    cookie, targets = pages()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = run.gunicorn_options(argparse.Namespace(workers=2, worker_class="gthread", threads=2, keep_alive=5))
    log_file = run.OUT / "gunicorn-editor.log"
    run.OUT.mkdir(exist_ok=True)
    env = dict(os.environ)
    server = run.start_server(env, workers=2, port=port, log_file=log_file, options=options)
    try:
        results = {name: {"path": path, **measure(port, cookie, path, args.requests)} for name, path in targets}
    finally:
        run.stop_server(server)
    out = orjson.dumps({"database": os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1], "pages": results})
    if args.out:
        args.out.write_bytes(out)
    print(out.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
