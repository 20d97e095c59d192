"""Webhooks: register endpoints, fan changes out into deliveries, send them signed.

The outbox is the change log itself: claims.changelog.record() writes a Change row in each
write's own transaction, so a change that committed will be delivered and one that rolled back
never exists. Nothing here runs inside a request's transaction: the task queue's worker calls
`deliver_due()` (webhooks/queue.py).

Sending is at least once. A sender claims one due delivery at a time under a lease
(`locked_until`) in a short transaction (`select_for_update(skip_locked=True)` on PostgreSQL,
so several workers on several machines share the work; SQLite has one writer at a time), then
POSTs outside any transaction. If the worker dies mid-send, the lease runs out and another run
takes the delivery again with the same `webhook-id`, so receivers dedupe on it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from claims.changelog import as_event
from claims.errors import NotPermitted
from claims.models import Change
from webhooks import queue
from webhooks.addresses import refusal
from webhooks.models import Delivery, Endpoint

DISPATCH_BATCH = 500


# --- Endpoints ------------------------------------------------------------------------------


def _require_perm(user: AbstractBaseUser, perm: str, action: str) -> None:
    if not user.has_perm(perm):
        raise NotPermitted("webhooks_permission", f"You may not {action}.")


def endpoint_create(
    *, name: str, url: str, by: AbstractBaseUser, events: list[str] | None = None, active: bool = True
) -> Endpoint:
    """Register a partner endpoint; it receives the changes committed from now on."""
    _require_perm(by, "webhooks.add_endpoint", "register webhook endpoints")
    with transaction.atomic():
        endpoint = Endpoint(name=name, url=url, events=sorted(events or []), active=active, created_by=by)
        # History is in GET /api/changes/; a new partner starts at the present.
        endpoint.cursor = Change.objects.aggregate(last=Max("position"))["last"] or 0
        endpoint.full_clean()
        endpoint.save()
    return endpoint


def endpoint_update(
    *, endpoint: Endpoint, by: AbstractBaseUser, name: str, url: str, events: list[str], active: bool
) -> Endpoint:
    """Change an endpoint's partner name, URL, event kinds or active flag (the secret stays)."""
    _require_perm(by, "webhooks.change_endpoint", "change webhook endpoints")
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.name, locked.url, locked.events, locked.active = name, url, sorted(events), active
        locked.full_clean()
        locked.save(update_fields=["name", "url", "events", "active"])
    return locked


def endpoint_send_test(*, endpoint: Endpoint, by: AbstractBaseUser) -> Delivery:
    """Queue a `webhook.test` event to one endpoint, so the partner can check its receiver."""
    _require_perm(by, "webhooks.change_endpoint", "send test events")
    with transaction.atomic():
        delivery = Delivery.objects.create(
            endpoint=endpoint, webhook_id=f"msg_{endpoint.pk}_test_{timezone.now().strftime('%Y%m%dT%H%M%S%f')}"
        )
        transaction.on_commit(queue.wake)
    return delivery


def delivery_redeliver(*, delivery: Delivery, by: AbstractBaseUser) -> Delivery:
    """Send a delivery again from the first attempt, with the same webhook-id."""
    _require_perm(by, "webhooks.change_delivery", "redeliver webhooks")
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        now = timezone.now()
        locked.status = Delivery.Status.PENDING
        locked.attempts = 0
        locked.next_attempt_at = now
        locked.locked_until = None
        locked.updated_at = now
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "locked_until", "updated_at"])
        transaction.on_commit(queue.wake)
    return locked


# --- Fan-out: change log → deliveries --------------------------------------------------------


def dispatch() -> int:
    """Turn every change past each active endpoint's cursor into deliveries; returns how many."""
    created = 0
    for endpoint_id in Endpoint.objects.filter(active=True).values_list("pk", flat=True):
        while True:
            made, more = _dispatch_batch(endpoint_id)
            created += made
            if not more:
                break
    return created


def _dispatch_batch(endpoint_id: int) -> tuple[int, bool]:
    with transaction.atomic():
        # The lock makes two dispatchers take turns on one endpoint, so a range is fanned out once
        # and the cursor only moves forward (the unique constraint is the second guard).
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint_id)
        changes = list(Change.objects.filter(position__gt=endpoint.cursor).order_by("position")[:DISPATCH_BATCH])
        if not changes:
            return 0, False
        rows = [
            Delivery(endpoint=endpoint, change=change, webhook_id=f"msg_{endpoint.pk}_{change.position}")
            for change in changes
            if endpoint.wants(change)
        ]
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        # Positions become visible in commit order, so no change at or below the last one read can
        # still appear: the cursor never skips one. Gaps are rolled-back transactions.
        endpoint.cursor = changes[-1].position
        endpoint.save(update_fields=["cursor"])
    return len(rows), len(changes) == DISPATCH_BATCH


# --- Sending -----------------------------------------------------------------------------------


def retry_schedule() -> list[timedelta]:
    """Waits after the 1st, 2nd, … failed attempt; after the last one the delivery is failed."""
    return [timedelta(seconds=s) for s in settings.WEBHOOK_RETRY_SCHEDULE]


def _due(now: datetime) -> Q:
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, locked_until__lte=now
    )


def claim_next(now: datetime | None = None) -> Delivery | None:
    """Take one due delivery under a lease, or None. Commits before anything is sent."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        delivery = (
            Delivery.objects.filter(_due(now), endpoint__active=True)
            .select_related("endpoint", "change")
            .order_by("next_attempt_at", "pk")
            # skip_locked: concurrent senders each take a different row instead of queueing.
            .select_for_update(skip_locked=True, of=("self",))
            .first()
        )
        if delivery is None:
            return None
        delivery.status = Delivery.Status.SENDING
        delivery.attempts += 1
        delivery.locked_until = lease
        delivery.updated_at = now
        delivery.save(update_fields=["status", "attempts", "locked_until", "updated_at"])
        # If this worker dies mid-send, this later run takes the delivery over (it commits with the lease).
        queue.wake(at=lease)
    return delivery


def payload(delivery: Delivery) -> bytes:
    """The request body, the same on every attempt: Standard Webhooks' type/timestamp/data envelope."""
    if delivery.change_id:
        body = {
            "type": delivery.event_type,
            "timestamp": delivery.change.at.isoformat(),
            "data": as_event(delivery.change),
        }
    else:
        body = {
            "type": delivery.event_type,
            "timestamp": delivery.created_at.isoformat(),
            "data": {"endpoint": delivery.endpoint.name},
        }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_headers(delivery: Delivery, body: bytes, now: datetime) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature (`v1,` base64 HMAC-SHA256 of id.timestamp.body)."""
    timestamp = now.replace(microsecond=0)
    signature = Webhook(delivery.endpoint.secret).sign(delivery.webhook_id, timestamp, body.decode("utf-8"))
    return {
        "Content-Type": "application/json",
        "User-Agent": "claim-tracker-webhooks/1",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead anywhere, private addresses included: it counts as a failed attempt.
    def redirect_request(self, *args, **kwargs):
        return None


# No proxies from the environment either: the address check must be about the real destination.
_opener = urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST once, with the timeout; any 2xx is success, everything else an error to retry."""
    reason = refusal(url, resolve=True)
    if reason:
        return Outcome(None, f"refused: {reason}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return Outcome(response.status, "")
    except urllib.error.HTTPError as exc:
        return Outcome(exc.code, f"HTTP {exc.code} {exc.reason}"[:500])
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Outcome(None, f"{type(exc).__name__}: {reason}"[:500])


def send(delivery: Delivery, now: datetime | None = None) -> Delivery:
    """Make one attempt at a claimed delivery and record its outcome (unless the lease was lost).

    `now` places the outcome on the retry schedule (tests move it); the signature's timestamp is
    always the real time of sending, which receivers compare with their own clock.
    """
    body = payload(delivery)
    outcome = post(delivery.endpoint.url, body, signed_headers(delivery, body, timezone.now()))
    return record_outcome(delivery, outcome, now)


def record_outcome(delivery: Delivery, outcome: Outcome, now: datetime | None = None) -> Delivery:
    """Delivered on a 2xx; otherwise the next try on the schedule, or failed when it is used up."""
    now = now or timezone.now()
    fields = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "updated_at": now,
        "locked_until": None,
    }
    schedule = retry_schedule()
    if outcome.ok:
        fields |= {"status": Delivery.Status.DELIVERED, "delivered_at": now, "next_attempt_at": None}
    elif delivery.attempts > len(schedule):
        fields |= {"status": Delivery.Status.FAILED, "next_attempt_at": None}
    else:
        fields |= {"status": Delivery.Status.PENDING, "next_attempt_at": now + schedule[delivery.attempts - 1]}
    with transaction.atomic():
        # Only the lease holder records: a sender whose lease ran out (and was taken over) writes nothing.
        owned = Delivery.objects.filter(
            pk=delivery.pk, status=Delivery.Status.SENDING, locked_until=delivery.locked_until
        ).update(**fields)
        if owned and fields["status"] == Delivery.Status.PENDING:
            queue.wake(at=fields["next_attempt_at"])
    if owned:
        for name, value in fields.items():
            setattr(delivery, name, value)
    return delivery


def deliver_due(*, limit: int | None = None) -> int:
    """Fan out new changes, then send due deliveries one at a time until none is due; returns attempts made."""
    dispatch()
    attempts = 0
    while limit is None or attempts < limit:
        delivery = claim_next()
        if delivery is None:
            break
        send(delivery)
        attempts += 1
    return attempts
