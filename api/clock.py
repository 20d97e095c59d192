"""The API's clock: positions in the change log (claims/changelog.py), from which ETags,
Last-Modified and the response cache's keys derive.

Positions become visible in commit order, so a response built after reading position P shows at
least everything up to P, and any write it does not show gets a position above P: its ETag can
never be answered 304 once that write is visible. (The history-id fingerprint this replaces
could: an id drawn early and committed late hid behind a newer one.)

- The public reads the newest *public* position (`Change.objects.public()`, a partial index):
  a write to an unpublished draft leaves every public ETag alone.
- A signed-in reader reads the newest position of all (an upper bound of whatever their view
  holds, role-visible drafts included); their responses are private and never shared.
- One claim's detail reads that claim's newest position (an index on (claim_id, position)) in
  the same query as its status and version.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router
from django.db.models import OuterRef, Subquery

from claims.models import Change, Claim


@dataclass(frozen=True)
class Clock:
    position: int
    at: datetime | None
    # For one claim: its status and version (None when it does not exist).
    status: str | None = None
    version: int | None = None


def _changes_seen_by(user):
    # Signed in: every change, an upper bound of what any role's view shows. Anonymous: the
    # changes the public could see happen.
    if user is not None and user.is_authenticated:
        return Change.objects.all()
    return Change.objects.public()


def for_list(user) -> Clock:
    """The newest position of anything a list the user reads can show; one index lookup."""
    row = _changes_seen_by(user).order_by("-position").values_list("position", "at").first()
    return Clock(*row) if row else Clock(0, None)


def for_claim(pk: int, user) -> Clock:
    """One claim's newest position for this reader, with its status and version; one query."""
    found = _claim_clock("pk", pk, public=not (user is not None and user.is_authenticated))
    return found[1] if found is not None else Clock(0, None)


def for_public_claim(slug: str) -> tuple[int, Clock] | None:
    """The public claim at `slug` (Claim.objects.published()) and its public clock, in one query: what
    a public page reads before anything else (and all a cache hit reads). None: no such public claim."""
    return _claim_clock("slug", slug, public=True)


def _claim_clock(key: str, value, *, public: bool) -> tuple[int, Clock] | None:
    alias = router.db_for_read(Claim)
    sql, params, at = _compiled(key, public, alias)
    params = list(params)
    params[at] = value
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    pk, position, changed_at, status, version = row
    if changed_at is not None and hasattr(connection.ops, "convert_datetimefield_value"):
        # SQLite hands back text (what the ORM's converters would have parsed).
        changed_at = connection.ops.convert_datetimefield_value(changed_at, None, connection)
    return pk, Clock(position or 0, changed_at, status, version)


# Stand-ins for the looked-up value while the ORM compiles the query (found again among its params).
_PLACEHOLDER = {"pk": -918_273_645, "slug": "\x00clock-slug\x00"}


@functools.cache
def _compiled(key: str, public: bool, alias: str) -> tuple[str, tuple, int]:
    """The clock query by claim id or by public slug, compiled by the ORM once per process: a cache hit
    runs nothing else, and building and compiling this queryset cost more than the query itself."""
    newest = _changes_seen_by(None if public else _SIGNED_IN).filter(claim_id=OuterRef("pk")).order_by("-position")
    claims = Claim.objects.published() if key == "slug" else Claim.objects.all()
    rows = (
        claims.using(alias)
        .filter(**{key: _PLACEHOLDER[key]})
        .annotate(position=Subquery(newest.values("position")[:1]), changed_at=Subquery(newest.values("at")[:1]))
        .values_list("id", "position", "changed_at", "status", "version")
        .order_by("pk")[:1]
    )
    sql, params = rows.query.sql_with_params()
    return sql, tuple(params), list(params).index(_PLACEHOLDER[key])


class _SignedIn:
    is_authenticated = True


_SIGNED_IN = _SignedIn()
