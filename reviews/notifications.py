"""Telling people that something waits for them: in-app notifications and e-mail.

The workflow services call `notify` inside their transaction: the rows commit or roll back with
the step. E-mail never goes out from the request: `notify` enqueues the `send_notification_emails`
task with `transaction.on_commit`, and the task queue's worker (`manage.py db_worker`, started by
`make run`) sends it through Django's mail framework. Users who chose a daily digest get one
e-mail a day instead (`manage.py send_notification_digests`, from cron).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from claims.models import Claim
from reviews.models import Assignment, Notification, NotificationPreference, Review

Kind = Notification.Kind


def _users_with_perm(perm: str) -> QuerySet:
    return get_user_model().objects.with_perm(perm, is_active=True, include_superusers=False)


def notify(*, recipients: Iterable, kind: str, claim: Claim | None, text: str) -> list[Notification]:
    """Record a notification for each recipient (once each) in the caller's transaction; e-mail
    them after it commits."""
    unique = {user.pk: user for user in recipients if user is not None and user.is_active}
    rows = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, claim=claim, text=text) for user in unique.values()]
    )
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: send_notification_emails.enqueue(ids))
    return rows


def _claim_words(claim: Claim) -> str:
    return f"“{claim}”"


# --- The workflow's events ----------------------------------------------------------------------


def on_assigned(*, claim: Claim, by, assignments: list[Assignment]) -> None:
    for assignment in assignments:
        due = timezone.localtime(assignment.due_at).strftime("%d %b %Y") if assignment.due_at else "no date"
        notify(
            recipients=[assignment.reviewer],
            kind=Kind.ASSIGNED,
            claim=claim,
            text=f"{by} asked you to review {_claim_words(claim)}, due {due}.",
        )


def on_review_submitted(*, claim: Claim, review: Review, ready: bool) -> None:
    """The editors who assigned the claim hear of each review; every editor who may publish it
    hears when it is ready (the four-eyes rule keeps its reviewers out)."""
    assigners = [a.assigned_by for a in Assignment.objects.filter(claim=claim).select_related("assigned_by")]
    notify(
        recipients=[u for u in assigners if u.pk != review.reviewer_id],
        kind=Kind.REVIEW_SUBMITTED,
        claim=claim,
        text=f"{review.reviewer} submitted a review of {_claim_words(claim)}.",
    )
    if ready:
        involved = set(Assignment.objects.filter(claim=claim).values_list("reviewer_id", flat=True))
        notify(
            recipients=_users_with_perm("reviews.publish_verdict").exclude(pk__in=involved),
            kind=Kind.READY_TO_PUBLISH,
            claim=claim,
            text=f"{_claim_words(claim).capitalize()} has its reviews and is ready to publish.",
        )


def on_sent_back(*, claim: Claim, by, reason: str, reviewers: Iterable) -> None:
    notify(
        recipients=[u for u in reviewers if u.pk != by.pk],
        kind=Kind.SENT_BACK,
        claim=claim,
        text=f"{by} sent {_claim_words(claim)} back to draft: {reason}",
    )


def on_recheck_opened(*, claim: Claim, reason: str) -> None:
    notify(
        recipients=_users_with_perm("reviews.correct_verdict"),
        kind=Kind.RECHECK_OPENED,
        claim=claim,
        text=f"A re-check was opened on {_claim_words(claim)}: {reason}",
    )


MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


def mentioned_usernames(text: str) -> list[str]:
    """The @usernames in a note, in order, once each (a trailing full stop is not part of a name)."""
    return list(dict.fromkeys(name.rstrip(".") for name in MENTION.findall(text)))


def on_mentioned(*, claim: Claim, author, users: Iterable, text: str) -> None:
    excerpt = text if len(text) <= 200 else text[:197] + "..."
    notify(
        recipients=[u for u in users if u.pk != author.pk],
        kind=Kind.MENTIONED,
        claim=claim,
        text=f"{author} mentioned you on {_claim_words(claim)}: {excerpt}",
    )


def notify_overdue_reviews(now: datetime | None = None) -> int:
    """Tell each reviewer (and the editor who assigned them) once that a review is overdue."""
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        overdue = list(
            Assignment.objects.overdue(now)
            .filter(overdue_notified_at__isnull=True)
            .select_for_update()  # two cron runs at once notify once
            .select_related("claim", "reviewer", "assigned_by")
        )
        for assignment in overdue:
            due = timezone.localtime(assignment.due_at).strftime("%d %b %Y")
            notify(
                recipients=[assignment.reviewer, assignment.assigned_by],
                kind=Kind.OVERDUE,
                claim=assignment.claim,
                text=f"The review of {_claim_words(assignment.claim)} by {assignment.reviewer} was due {due}.",
            )
            assignment.overdue_notified_at = now
            assignment.save(update_fields=["overdue_notified_at"])
            count += 1
    return count


# --- E-mail ---------------------------------------------------------------------------------------


def _link(notification: Notification) -> str:
    path = reverse("admin:reviews_notification_open", args=[notification.pk])
    return f"{settings.PUBLISHER_URL.rstrip('/')}{path}"


def wants_digest(user) -> bool:
    return NotificationPreference.objects.filter(user=user, daily_digest=True).exists()


@task()
def send_notification_emails(ids: list[int]) -> int:
    """E-mail each of these notifications not sent yet, except to users who chose the daily digest."""
    sent = 0
    digest_users = set(NotificationPreference.objects.filter(daily_digest=True).values_list("user_id", flat=True))
    for notification in Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("recipient"):
        user = notification.recipient
        if user.pk in digest_users or not user.email:
            continue
        send_mail(
            subject=f"[Claim tracker] {notification.get_kind_display()}",
            message=f"{notification.text}\n\n{_link(notification)}\n",
            from_email=None,
            recipient_list=[user.email],
        )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def send_digests(now: datetime | None = None) -> int:
    """One e-mail per digest user with everything not e-mailed yet; returns how many were sent."""
    now = now or timezone.now()
    pending = defaultdict(list)
    for notification in (
        Notification.objects.filter(emailed_at__isnull=True, recipient__notification_preference__daily_digest=True)
        .select_related("recipient")
        .order_by("created_at", "id")
    ):
        pending[notification.recipient].append(notification)
    for user, notifications in pending.items():
        if not user.email:
            continue
        lines = [f"- {n.text}\n  {_link(n)}" for n in notifications]
        send_mail(
            subject=f"[Claim tracker] Your daily digest: {len(notifications)} notification(s)",
            message="\n".join(lines) + "\n",
            from_email=None,
            recipient_list=[user.email],
        )
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=now)
    return sum(1 for user in pending if user.email)


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (these, or all) read."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def preference_set(*, user, daily_digest: bool) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.update_or_create(user=user, defaults={"daily_digest": daily_digest})
    return preference
