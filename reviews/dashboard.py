"""The admin's start page: what needs me now, per role, and charts of the desk's work.

Every count is a queryset of what the user may see (Claim.objects.visible_to and friends) and
links to the claim list filtered the same way, so a number and the list behind it never differ.
Charts are drawn here as SVG (no script, no CDN): bars with their numbers written on them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from claims.models import Claim, Conflict
from reviews.claimlist import NEW_CLAIM_DAYS
from reviews.models import Assignment, Rating, Recheck, Review, Transition, Verdict
from reviews.querysets import claims_in_queue_of, claims_with_disagreement
from reviews.roles import is_editor, is_reviewer

WEEKS = 12
MONTHS = 6
RECENT = 12


@dataclass
class Card:
    """One count on the start page and the filtered list it links to."""

    label: str
    count: int
    url: str
    alert: bool = False
    hint: str = ""


@dataclass
class Chart:
    title: str
    svg: SafeString
    summary: str = ""


@dataclass
class Dashboard:
    cards: list[Card] = field(default_factory=list)
    queue: list[Assignment] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    activity: list[Transition] = field(default_factory=list)
    editor: bool = False
    reviewer: bool = False
    now: datetime | None = None


def _claims_url(query: str) -> str:
    return f"{reverse('admin:claims_claim_changelist')}?{query}"


def editor_cards(user, now: datetime) -> list[Card]:
    """The editor's queues: where claims wait for the desk."""
    claims = Claim.objects.visible_to(user)
    by_status = dict(claims.order_by().values_list("status").annotate(n=Count("id")))
    overdue = claims.filter(pk__in=Assignment.objects.overdue(now).values("claim")).count()
    disagree = claims_with_disagreement(claims.filter(status=Claim.Status.REVIEWED)).count()
    rechecks = claims.filter(Exists(Recheck.objects.open().filter(claim=OuterRef("pk")))).count()
    conflicts = Conflict.objects.visible_to(user).open().count()
    new = claims.filter(status=Claim.Status.DRAFT, created_at__gte=now - timedelta(days=NEW_CLAIM_DAYS)).count()
    return [
        Card("Awaiting assignment", by_status.get("submitted", 0), _claims_url("status__exact=submitted")),
        Card("In review", by_status.get("in_review", 0), _claims_url("status__exact=in_review")),
        Card("Overdue reviews", overdue, _claims_url("due=overdue"), alert=overdue > 0, hint="claims in review"),
        Card("Ready to publish", by_status.get("reviewed", 0), _claims_url("status__exact=reviewed")),
        Card(
            "Reviewers disagree",
            disagree,
            _claims_url("status__exact=reviewed&reviewers=disagree"),
            alert=disagree > 0,
            hint="reviewed, ratings differ",
        ),
        Card("Needs re-check", rechecks, _claims_url("recheck=open"), alert=rechecks > 0),
        Card(
            "Open conflicts",
            conflicts,
            f"{reverse('admin:claims_conflict_changelist')}?status__exact=open",
            hint="between sources",
        ),
        Card(
            "New draft claims",
            new,
            _claims_url("status__exact=draft&new=week"),
            hint=f"last {NEW_CLAIM_DAYS} days, suggested or typed in",
        ),
    ]


def reviewer_cards(user, now: datetime) -> list[Card]:
    """The reviewer's own queue."""
    queue = claims_in_queue_of(user, Claim.objects.visible_to(user))
    overdue = queue.filter(pk__in=Assignment.objects.overdue(now).of(user).values("claim")).count()
    return [
        Card("Awaiting my review", queue.count(), _claims_url("queue=mine")),
        Card("My overdue reviews", overdue, _claims_url("queue=mine&due=overdue"), alert=overdue > 0),
    ]


def reviewer_queue(user) -> list[Assignment]:
    """The user's pending assignments, soonest due first, with their claims."""
    return list(
        Assignment.objects.pending().of(user).select_related("claim", "assigned_by").order_by("due_at", "id")[:50]
    )


def recent_activity(user) -> list[Transition]:
    """The newest workflow steps on claims the user may see."""
    return list(Transition.objects.visible_to(user).select_related("claim", "by").order_by("-at", "-id")[:RECENT])


# --- Charts ----------------------------------------------------------------------------------


def bar_chart(title: str, bars: list[tuple[str, float, str]], *, unit: str = "", width: int = 440) -> SafeString:
    """A horizontal bar chart as SVG: one row per (label, value, fill); the value is written at the bar's end."""
    row, label_width, pad = 22, 150, 40
    height = max(1, len(bars)) * row + 8
    top = max((value for _, value, _ in bars), default=0) or 1
    span = width - label_width - pad
    rows = []
    for i, (label, value, fill) in enumerate(bars):
        y = 4 + i * row
        length = 0 if value <= 0 else max(2, round(span * value / top))
        shown = f"{value:g}{unit}" if isinstance(value, (int, float)) else str(value)
        rows.append(
            format_html(
                '<text x="{}" y="{}" class="chart-label" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                label_width - 6,
                y + 14,
                label,
                label_width,
                y + 2,
                length,
                row - 6,
                fill,
                label,
                shown,
                label_width + length + 4,
                y + 14,
                shown,
            )
        )
    if not bars:
        rows.append(format_html('<text x="10" y="18" class="chart-label">{}</text>', "Nothing yet."))
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">{}</svg>',
        width,
        height,
        width,
        height,
        title,
        mark_safe("".join(rows)),  # each row escaped by format_html
    )


BAR = "#1a5fb4"


def verdicts_by_rating() -> Chart:
    """Current verdicts of published claims, per rating, in the scale's colours."""
    counts = dict(
        Verdict.objects.current()
        .filter(claim__status=Claim.Status.PUBLISHED)
        .order_by()
        .values_list("rating")
        .annotate(n=Count("id"))
    )
    bars = [(r.label, counts.get(r.pk, 0), r.colour) for r in Rating.objects.order_by("order", "id")]
    title = "Published verdicts by rating"
    return Chart(title, bar_chart(title, bars), f"{sum(counts.values())} published")


def _week_start(moment: datetime) -> datetime:
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


def published_per_week(now: datetime) -> Chart:
    """Claims first published in each of the last WEEKS weeks."""
    this_week = _week_start(now)
    weeks = [this_week - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    since = timezone.make_aware(datetime.combine(weeks[0], datetime.min.time()))
    counts: dict = defaultdict(int)
    for (published_at,) in Claim.objects.filter(published_at__gte=since).values_list("published_at"):
        counts[_week_start(published_at)] += 1
    bars = [(f"week of {week:%d %b}", counts[week], BAR) for week in weeks]
    title = f"Claims published per week (last {WEEKS} weeks)"
    return Chart(title, bar_chart(title, bars), f"{sum(counts.values())} in {WEEKS} weeks")


def _months(now: datetime) -> list[tuple[int, int]]:
    year, month = now.year, now.month
    months = []
    for _ in range(MONTHS):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _month_start(months) -> datetime:
    year, month = months[0]
    return timezone.make_aware(datetime(year, month, 1))


def median_days_to_publish(now: datetime) -> Chart:
    """Per month of publication: the median days from the last submission to publication."""
    months = _months(now)
    published = list(
        Transition.objects.filter(to_status=Claim.Status.PUBLISHED, from_status=Claim.Status.REVIEWED)
        .filter(at__gte=_month_start(months))
        .values_list("claim_id", "at")
    )
    submitted = defaultdict(list)
    for claim_id, at in Transition.objects.filter(
        to_status=Claim.Status.SUBMITTED, claim_id__in=[c for c, _ in published]
    ).values_list("claim_id", "at"):
        submitted[claim_id].append(at)
    days = defaultdict(list)
    for claim_id, at in published:
        before = [s for s in submitted[claim_id] if s <= at]
        if before:
            local = timezone.localtime(at)
            days[(local.year, local.month)].append((at - max(before)).total_seconds() / 86400)
    bars = [
        (datetime(y, m, 1).strftime("%b %Y"), round(statistics.median(days[(y, m)]), 1) if days[(y, m)] else 0, BAR)
        for y, m in months
    ]
    every = [d for values in days.values() for d in values]
    overall = f"median {statistics.median(every):.1f} days overall" if every else "nothing published yet"
    title = "Median days from submission to publication"
    return Chart(title, bar_chart(title, bars, unit=" d"), overall)


def agreement_over_time(now: datetime) -> Chart:
    """Per month a claim was fully reviewed: the share of claims whose reviewers gave one rating."""
    months = _months(now)
    reviewed = dict(
        Transition.objects.filter(to_status=Claim.Status.REVIEWED, at__gte=_month_start(months))
        .order_by("at")
        .values_list("claim_id", "at")
    )
    ratings = defaultdict(set)
    for claim_id, rating_id in (
        Review.objects.submitted().filter(claim_id__in=reviewed).values_list("claim_id", "rating_id")
    ):
        ratings[claim_id].add(rating_id)
    agreed, total = defaultdict(int), defaultdict(int)
    for claim_id, at in reviewed.items():
        local = timezone.localtime(at)
        total[(local.year, local.month)] += 1
        agreed[(local.year, local.month)] += len(ratings[claim_id]) == 1
    bars = [
        (
            datetime(y, m, 1).strftime("%b %Y"),
            round(100 * agreed[(y, m)] / total[(y, m)]) if total[(y, m)] else 0,
            BAR,
        )
        for y, m in months
    ]
    title = "Reviewers agreeing (share of claims reviewed)"
    summary = f"{sum(agreed.values())} of {sum(total.values())} claims agreed"
    return Chart(title, bar_chart(title, bars, unit="%"), summary)


def dashboard_for(user, now: datetime | None = None) -> Dashboard:
    """Everything the start page shows `user`."""
    now = now or timezone.now()
    board = Dashboard(editor=is_editor(user), reviewer=is_reviewer(user), now=now)
    if board.editor:
        board.cards += editor_cards(user, now)
        board.charts = [
            verdicts_by_rating(),
            published_per_week(now),
            median_days_to_publish(now),
            agreement_over_time(now),
        ]
    if board.reviewer:
        board.cards += reviewer_cards(user, now)
        board.queue = reviewer_queue(user)
    board.activity = recent_activity(user)
    return board


def activity_line(transition: Transition) -> SafeString:
    """One workflow step in words: who moved which claim from what to what."""
    return format_html(
        '{} <a href="{}">{}</a>: {} → {}',
        transition.by,
        reverse("admin:claims_claim_change", args=[transition.claim_id]),
        transition.claim,
        Claim.Status(transition.from_status).label,
        Claim.Status(transition.to_status).label,
    )
