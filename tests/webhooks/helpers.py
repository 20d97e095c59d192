"""Changes as the services record them, and what the loopback receiver got."""

from __future__ import annotations

from django.db import transaction

from claims import changelog
from tests.factories import ClaimFactory


def record_change(claim, kind="published", *, status_before=None, detail=None):
    """A change as a write's transaction records it."""
    with transaction.atomic():
        (change,) = changelog.record([claim], kind, status_before=status_before, detail=detail)
    return change


def public_claim(**kwargs):
    return ClaimFactory(status="published", **kwargs)


def event_positions(receiver) -> list[int]:
    return sorted(body["data"]["position"] for body in receiver.events().values())
