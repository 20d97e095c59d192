"""Background tasks of the claims app (django-tasks; the worker is `manage.py db_worker`)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_tasks import task

from claims.models import Change

# The writes that change what the matcher indexes: claim texts and anchored quotes.
_INDEXED = {Change.Kind.CLAIM, Change.Kind.APPEARANCE, Change.Kind.MERGED}


@task()
def refresh_match_index() -> list:
    """Rebuild the claim matcher's index and store it for every process (claims.matching.refresh)."""
    from claims import matching

    return list(matching.refresh())


def refresh_on_indexed_changes(sender, changes, **kwargs) -> None:
    """After a write to claims or appearances commits: rebuild the index in the background.

    Cache upkeep only (the index is derived data); a duplicate run finds the index stored and stops.
    """
    if settings.MATCH_INDEX_REFRESH == "background" and any(change.kind in _INDEXED for change in changes):
        transaction.on_commit(refresh_match_index.enqueue)
