"""The change log: every write that something public (or visible to a role) shows, in commit order.

Readers (GET /api/changes/, webhooks, ETags) follow `Change.position`. The promise they rely on:
**no reader ever sees position N+1 while a transaction that will get position N can still
commit.** A plain sequence does not keep it: ids are handed out at insert time, so a
transaction that inserts early and commits late publishes a lower position after a reader
has moved past it, and that change is skipped for good.

How it is kept:
- PostgreSQL: record() first takes a transaction-level advisory lock (`pg_advisory_xact_lock`)
  and only then inserts. The lock is held until the transaction ends, so the next writer
  draws its position only after this one has committed or rolled back: positions become
  visible in the order they were drawn. The cost is that writes to the log are serialized
  from their first log row to their commit; the services are short, one transaction each,
  and take the lock as their last step where they can. The alternative, exposing only
  positions below the snapshot's xmin horizon, leaves writers free but delays every reader
  behind the oldest open transaction of the whole database (a long report holds everyone
  back) and needs txid bookkeeping per row; the lock is simpler to reason about and to test.
- SQLite: a write transaction holds the database's single write lock until it commits, so
  positions are already drawn and committed in the same order.

A rolled-back transaction leaves a gap in positions; readers must not read gaps as loss.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.dispatch import Signal

from claims.models import Change, Claim
from claims.querysets import PUBLIC_STATUSES

# Any constant that no other advisory lock of the application uses.
_ADVISORY_KEY = 0x636C61696D  # "claim"

# Sent by record() inside the write's transaction with the rows it appended. Only a wake-up for
# readers that push (the webhooks app enqueues its worker on commit); no rule hangs on it.
changes_recorded = Signal()


def _serialize_appends() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_KEY])


def record(
    claims: Iterable[Claim],
    kind: str,
    *,
    status_before: dict[int, str] | None = None,
    detail: dict | None = None,
) -> list[Change]:
    """Append one change per claim, in the caller's transaction (which must be open).

    `status_before` maps claim id to its status before the write, for writes that move a claim
    in or out of public view; by default a claim's status is taken as unchanged.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("claims.changelog.record() must run inside the write's transaction")
    claims = list(claims)
    if not claims:
        return []
    _serialize_appends()
    status_before = status_before or {}
    rows = [
        Change(
            claim_id=claim.pk,
            kind=kind,
            status=claim.status,
            public_before=status_before.get(claim.pk, claim.status) in PUBLIC_STATUSES,
            public_after=claim.status in PUBLIC_STATUSES,
            detail=detail or {},
        )
        for claim in claims
    ]
    changes = Change.objects.bulk_create(rows)
    changes_recorded.send(sender=Change, changes=changes)
    return changes


def as_events(changes: list[Change]) -> list[dict]:
    """Changes as readers receive them, the same in GET /api/changes/ and in webhook payloads.

    An event of a claim the public sees after the change carries `url`, its public page: from
    `page_slug` when the changes were read `with_page_slug()`, else one query for the slugs.
    """
    public = {change.claim_id for change in changes if change.public_after and not hasattr(change, "page_slug")}
    slugs = dict(Claim.objects.filter(pk__in=public).values_list("pk", "slug")) if public else {}
    return [
        _event(
            change, getattr(change, "page_slug", None) or slugs.get(change.claim_id) if change.public_after else None
        )
        for change in changes
    ]


def as_event(change: Change) -> dict:
    """One change as readers receive it (see as_events)."""
    return as_events([change])[0]


def _event(change: Change, slug: str | None) -> dict:
    return {
        "position": change.position,
        "claim": change.claim_id,
        "kind": change.kind,
        "status": change.status,
        "public": change.public_after,
        # A claim that leaves the public view says so: a retraction or a withdrawal is never silence.
        "left_public_view": change.public_before and not change.public_after,
        "at": change.at.isoformat(),
        # The public page of the claim (None while it has none); a merged-away claim has none:
        # its event names the survivor in detail.merged_into.
        "url": page_url(slug) if slug else None,
        "detail": change.detail,
    }


def page_url(slug: str) -> str:
    """The absolute address of a claim's public page (PUBLISHER_URL + its path)."""
    return settings.PUBLISHER_URL.rstrip("/") + Claim.page_path(slug)
