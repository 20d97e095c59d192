"""Write latency: publish and correct with 1, 4 and 16 editors at once, with and without the
change log and the webhook outbox.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=... python -m bench.writes --out writes.json

Each editor is its own process (forked after Django is set up, one database connection each,
as gunicorn workers would be) calling the services directly: `claim_publish` on claims waiting
in "reviewed", then `verdict_correct` on published ones, each call one committed transaction,
every editor on claims of its own. Three arms, run in turn for each number of editors:

- as deployed: the change log row (after its advisory lock, which serializes log appends until
  commit) and the webhook wake-up enqueued on commit (django-tasks' database backend);
- without the outbox: the log is written, the wake-up receiver is disconnected;
- without either: `claims.changelog.record` is a no-op (no lock, no row, no wake-up).

It publishes and corrects claims: run it on a bench database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

EDITORS = (1, 4, 16)
ARMS = ("as deployed (log + outbox)", "log, no outbox", "neither")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _editor(arm: str, operation: str, claim_ids: list[int], conn) -> None:
    """One editor's process: the writes, each timed; latencies (ms) and errors back through `conn`."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from claims import changelog
    from claims.models import Claim
    from reviews import services
    from reviews.models import Rating

    connection.close()  # never share the parent's socket
    if arm == "neither":
        changelog.record = lambda *args, **kwargs: []
    elif arm == "log, no outbox":
        from webhooks import queue

        changelog.changes_recorded.disconnect(queue.wake_on_public_changes, dispatch_uid="webhooks.wake")
    # Connected and warm before the clock starts: these reads open this process's connection.
    editor = get_user_model().objects.get(username="bench-editor")
    ratings = list(Rating.objects.filter(value__isnull=False))
    latencies, errors = [], []
    for index, claim_id in enumerate(claim_ids):
        claim = Claim.objects.get(pk=claim_id)
        rating = ratings[index % len(ratings)]
        started = time.perf_counter()
        try:
            if operation == "publish":
                services.claim_publish(claim=claim, by=editor, rating=rating, summary="Bench.", resolution="Bench.")
            else:
                services.verdict_correct(claim=claim, by=editor, rating=rating, summary="Bench.", note="Bench.")
        except Exception as exc:  # reported, not hidden: the bench counts errors
            errors.append(f"{exc.__class__.__name__}: {exc}")
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    conn.send((latencies, errors))
    conn.close()


def run_arm(arm: str, operation: str, editors: int, pool: list[int], per_editor: int) -> tuple[list, list, float]:
    import multiprocessing

    from django.db import connections

    context = multiprocessing.get_context("fork")
    connections.close_all()
    jobs = []
    started = time.perf_counter()
    for _ in range(editors):
        mine = [pool.pop() for _ in range(per_editor)]
        parent, child = context.Pipe(duplex=False)
        process = context.Process(target=_editor, args=(arm, operation, mine, child))
        process.start()
        jobs.append((process, parent))
    latencies, errors = [], []
    for process, parent in jobs:
        got, bad = parent.recv()
        latencies += got
        errors += bad
        process.join()
    return latencies, errors, time.perf_counter() - started


def summary(latencies: list[float], errors: list[str], seconds: float) -> dict:
    return {
        "n": len(latencies),
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": _percentile(latencies, 0.99) if latencies else None,
        "writes_per_s": len(latencies) / seconds if seconds else None,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def measure(*, per_editor: int, editors: tuple[int, ...] = EDITORS) -> dict:
    from claims.models import Claim

    # Each arm runs twice, in the order A B C C B A, so drift in the machine's load during a run
    # falls on every arm alike.
    need = sum(editors) * per_editor * len(ARMS) * 2
    reviewed = list(Claim.objects.filter(status="reviewed").order_by("id").values_list("id", flat=True))
    published = list(Claim.objects.filter(status="published").order_by("id").values_list("id", flat=True))
    if len(reviewed) < need:
        per_editor = max(1, len(reviewed) // (sum(editors) * len(ARMS) * 2))
    pools = {"publish": reviewed, "correct": published}
    out: dict = {"per_editor": per_editor, "runs": []}
    for operation in ("publish", "correct"):
        pool = list(pools[operation])
        for count in editors:
            pooled: dict[str, tuple[list, list, float]] = {arm: ([], [], 0.0) for arm in ARMS}
            for arm in (*ARMS, *reversed(ARMS)):
                if len(pool) < count * per_editor:
                    continue
                latencies, errors, seconds = run_arm(arm, operation, count, pool, per_editor)
                done = pooled[arm]
                pooled[arm] = (done[0] + latencies, done[1] + errors, done[2] + seconds)
            for arm, (latencies, errors, seconds) in pooled.items():
                if latencies or errors:
                    out["runs"].append(
                        {"operation": operation, "editors": count, "arm": arm, **summary(latencies, errors, seconds)}
                    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-editor", type=int, default=10, help="writes per editor per run")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    import orjson

    result = measure(per_editor=args.per_editor)
    with open(args.out, "wb") as fh:
        fh.write(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
