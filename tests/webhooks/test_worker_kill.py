"""Real worker processes (`manage.py db_worker`): one is killed with SIGKILL mid-delivery, others finish.

The workers are separate processes, so they need the test database on disk: on PostgreSQL they
connect to the test database; on SQLite (an in-memory test database) it is copied to a file for
them and copied back afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from tests.factories import ClaimFactory
from tests.webhooks.helpers import public_claim, record_change
from webhooks.models import Delivery

LEASE_SECONDS = 6


@contextlib.contextmanager
def database_for_workers(tmp_path: Path):
    """DATABASE_URL under which other processes see this test's database."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        yield f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
        return
    path = tmp_path / "workers.sqlite3"
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    yield f"sqlite:///{path}"
    with contextlib.closing(sqlite3.connect(path)) as copy:
        copy.backup(connection.connection)


def start_worker(database_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


# serialized_rollback keeps the migration-seeded groups for the tests that run after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_delivery_is_followed_by_redelivery(receiver, endpoint, tmp_path):
    receiver.stall = threading.Event()  # the receiver holds the first request: the worker is mid-send
    changes = [record_change(public_claim()) for _ in range(3)]
    record_change(ClaimFactory(status="draft"), "claim")
    # The public writes woke the worker on commit: the queue holds their task.
    assert DBTaskResult.objects.filter(task_path="webhooks.queue.deliver").exists()
    expected = {f"msg_{endpoint.pk}_{c.position}" for c in changes}

    workers = []
    try:
        with database_for_workers(tmp_path) as database_url:
            doomed = start_worker(database_url, tmp_path / "doomed.log")
            workers.append(doomed)
            assert receiver.first_arrived.wait(60), (tmp_path / "doomed.log").read_text()
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
            receiver.stall.set()
            killed_id = receiver.ids()[0]

            # Two workers take over: the killed one's delivery once its lease runs out, the rest at once.
            workers += [start_worker(database_url, tmp_path / f"worker{n}.log") for n in (1, 2)]
            done = wait_for(lambda: set(receiver.ids()) >= expected and receiver.ids().count(killed_id) >= 2, 60)
            assert done, (tmp_path / "worker1.log").read_text() + (tmp_path / "worker2.log").read_text()
            time.sleep(0.5)  # let the finishing worker record its outcome
            for worker in workers[1:]:
                worker.terminate()
                worker.wait(20)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    assert all(r.verified for r in receiver.received)
    counts = Counter(receiver.ids())
    assert counts == {webhook_id: 2 if webhook_id == killed_id else 1 for webhook_id in expected}
    # After deduplication on webhook-id, each public change arrived exactly once.
    assert sorted(body["data"]["position"] for body in receiver.events().values()) == [c.position for c in changes]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert Delivery.objects.get(webhook_id=killed_id).attempts == 2
