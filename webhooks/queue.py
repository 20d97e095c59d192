"""The task queue side: one `deliver` task that the worker (`manage.py db_worker`) runs.

The task is only a wake-up: what to send lives in the database (the change log, the endpoints'
cursors, the deliveries and their leases), so a duplicate run is harmless and a lost one is
made up by the next. Runs are enqueued
- when a write that the public can see commits (claims.changelog.changes_recorded),
- when a delivery is claimed, for when its lease runs out (the worker may die mid-send),
- when an attempt fails, for its next try; and by the admin's redeliver and test buttons.
Deferred runs need a backend that supports `run_after` (the database backend does); with the
immediate backend (tests) only the undeferred wake-ups run, synchronously, after the commit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django_tasks import task


@task()
def deliver() -> int:
    """Fan out new changes and send every due delivery."""
    from webhooks.services import deliver_due

    return deliver_due()


def wake(at: datetime | None = None) -> None:
    """Enqueue a `deliver` run now, or at `at` if the backend can defer."""
    if at is None:
        deliver.enqueue()
    elif deliver.get_backend().supports_defer:
        deliver.using(run_after=at).enqueue()


def wake_on_public_changes(sender, changes, **kwargs) -> None:
    """After a write commits: wake the worker if a partner could be told about it."""
    if any(change.public_before or change.public_after for change in changes):
        transaction.on_commit(wake)
