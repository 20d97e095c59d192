"""The claim list the desk works from: newest first, status and rating badges, assignees and due
dates, queue filters, bulk workflow actions (each claim through its service, failures reported per
claim) and export of the selection as CSV or JSON.

Mixed into the claim admin by reviews/admin.py; the rows are ClaimAdmin's (Claim.objects.visible_to).
"""

from __future__ import annotations

import csv
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from claims.errors import ServiceError
from claims.models import Claim
from reviews import services
from reviews.models import Assignment, Recheck, Verdict
from reviews.querysets import claims_assigned_to, claims_in_queue_of, claims_with_disagreement
from reviews.roles import reviewers

NEW_CLAIM_DAYS = 7


# --- Badges ---------------------------------------------------------------------------------


def status_badge(claim: Claim) -> str:
    """The claim's status as a coloured badge (colours in desk/admin.css)."""
    return format_html('<span class="badge status-{}">{}</span>', claim.status, claim.get_status_display())


def rating_badge(slug: str | None, label: str | None) -> str:
    """A rating as a badge in the scale's own colour (classes served by RatingAdmin's colours.css)."""
    if not slug:
        return format_html('<span class="muted">{}</span>', "—")
    return format_html('<span class="badge rating rating-{}">{}</span>', slug, label)


def due_badge(due_at, now) -> str:
    if due_at is None:
        return format_html('<span class="muted">{}</span>', "—")
    overdue = due_at < now
    return format_html(
        '<time class="due{}" datetime="{}">{}{}</time>',
        " overdue" if overdue else "",
        due_at.isoformat(),
        timezone.localtime(due_at).strftime("%d %b %Y"),
        " (overdue)" if overdue else "",
    )


# --- Filters --------------------------------------------------------------------------------


class MyQueueFilter(admin.SimpleListFilter):
    title = "my queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("mine", "Awaiting my review"), ("assigned", "Ever assigned to me")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return claims_in_queue_of(request.user, queryset)
        if self.value() == "assigned":
            return claims_assigned_to(request.user, queryset)
        return queryset


class DueFilter(admin.SimpleListFilter):
    title = "due date"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue reviews"), ("pending", "Reviews outstanding")]

    def queryset(self, request, queryset):
        pending = Assignment.objects.pending().visible_to(request.user)
        if self.value() == "overdue":
            return queryset.filter(pk__in=pending.overdue(timezone.now()).values("claim"))
        if self.value() == "pending":
            return queryset.filter(pk__in=pending.values("claim"))
        return queryset


class DisagreementFilter(admin.SimpleListFilter):
    title = "reviewers"
    parameter_name = "reviewers"

    def lookups(self, request, model_admin):
        return [("disagree", "Disagree (different ratings)")]

    def queryset(self, request, queryset):
        if self.value() == "disagree":
            return claims_with_disagreement(queryset)
        return queryset


class RecheckFilter(admin.SimpleListFilter):
    title = "re-check"
    parameter_name = "recheck"

    def lookups(self, request, model_admin):
        return [("open", "Needs re-check")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(Exists(Recheck.objects.open().filter(claim=OuterRef("pk"))))
        return queryset


class NewFilter(admin.SimpleListFilter):
    title = "added"
    parameter_name = "new"

    def lookups(self, request, model_admin):
        return [("week", f"In the last {NEW_CLAIM_DAYS} days")]

    def queryset(self, request, queryset):
        if self.value() == "week":
            return queryset.filter(created_at__gte=timezone.now() - timedelta(days=NEW_CLAIM_DAYS))
        return queryset


# --- Bulk action forms ----------------------------------------------------------------------


class BulkAssignForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for the default (a week from now, ASSIGNMENT_DUE_DAYS).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = reviewers().order_by("username")


class BulkSendBackForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Told to every claim's reviewers.")


EXPORT_FIELDS = [
    "id",
    "slug",
    "text",
    "kind",
    "status",
    "claimant",
    "rating",
    "assignees",
    "next_due",
    "created_at",
    "updated_at",
    "published_at",
]


def export_rows(claims) -> list[dict]:
    """The selected claims as plain rows (the list's own queryset: its annotations and prefetches)."""
    rows = []
    for claim in claims:
        rows.append(
            {
                "id": claim.pk,
                "slug": claim.slug,
                "text": claim.text,
                "kind": claim.kind,
                "status": claim.status,
                "claimant": claim.claimant.name,
                "rating": claim.rating_label or "",
                "assignees": [a.reviewer.get_username() for a in claim.active_assignments],
                "next_due": claim.next_due.isoformat() if claim.next_due else None,
                "created_at": claim.created_at.isoformat(),
                "updated_at": claim.updated_at.isoformat(),
                "published_at": claim.published_at.isoformat() if claim.published_at else None,
            }
        )
    return rows


def _spreadsheet_safe(value):
    # A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection); quote it.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


class ClaimListMixin:
    """The claim changelist of the desk (mixed into the claim admin)."""

    ordering = ["-created_at", "-id"]
    # merge_selected: the claims app's own action (ClaimAdmin), kept beside the bulk steps.
    actions = [
        "submit_selected",
        "assign_selected",
        "send_back_selected",
        "merge_selected",
        "export_csv",
        "export_json",
    ]
    bulk_template = "admin/reviews/claim_bulk_action.html"

    def get_list_display(self, request):
        return ["claim_text", "status_badge", "rating_badge", "claimant", "assignees", "due", "updated"]

    def get_list_display_links(self, request, list_display):
        return ["claim_text"]

    def get_list_filter(self, request):
        # "My queue" first: a reviewer's first question; the long claimant list last.
        rest = [f for f in super().get_list_filter(request) if f not in ("status", "kind")]
        return [MyQueueFilter, "status", DueFilter, DisagreementFilter, RecheckFilter, NewFilter, "kind", *rest]

    def get_queryset(self, request):
        claims = super().get_queryset(request)
        current = Verdict.objects.filter(claim=OuterRef("pk")).order_by("-version")
        pending = (
            Assignment.objects.pending()
            .visible_to(request.user)
            .filter(claim=OuterRef("pk"), due_at__isnull=False)
            .order_by("due_at")
        )
        assignments = Assignment.objects.active().visible_to(request.user).select_related("reviewer")
        return claims.annotate(
            rating_slug=Subquery(current.values("rating__slug")[:1]),
            rating_label=Subquery(current.values("rating__label")[:1]),
            next_due=Subquery(pending.values("due_at")[:1]),
        ).prefetch_related(
            Prefetch("assignments", queryset=assignments.order_by("reviewer__username"), to_attr="active_assignments")
        )

    def changelist_view(self, request, extra_context=None):
        self._now = timezone.now()
        return super().changelist_view(request, extra_context)

    # --- columns

    @admin.display(description="claim", ordering="text")
    def claim_text(self, obj) -> str:
        return format_html(
            '<span class="claim-text">{}</span><span class="claim-meta">{} · {}</span>',
            obj.text,
            obj.slug,
            obj.get_kind_display(),
        )

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj) -> str:
        return status_badge(obj)

    @admin.display(description="rating", ordering="rating_label")
    def rating_badge(self, obj) -> str:
        return rating_badge(obj.rating_slug, obj.rating_label)

    @admin.display(description="assignees")
    def assignees(self, obj) -> str:
        names = [a.reviewer.get_username() for a in obj.active_assignments]
        if not names:
            return format_html('<span class="muted">{}</span>', "—")
        return format_html_join(", ", "{}", ((name,) for name in names))

    @admin.display(description="due", ordering="next_due")
    def due(self, obj) -> str:
        return due_badge(obj.next_due, getattr(self, "_now", None) or timezone.now())

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, obj) -> str:
        return format_html(
            '<time datetime="{}">{}</time>',
            obj.updated_at.isoformat(),
            timezone.localtime(obj.updated_at).strftime("%d %b %Y"),
        )

    # --- bulk actions: each claim through its own service, each failure reported with its claim

    def has_submit_permission(self, request) -> bool:
        return request.user.has_perm("reviews.submit_claim")

    def has_assign_permission(self, request) -> bool:
        return request.user.has_perm("reviews.assign_reviewers")

    def has_send_back_permission(self, request) -> bool:
        return request.user.has_perm("reviews.send_back_claim")

    def _each(self, request, queryset, label: str, call) -> None:
        done = []
        for claim in queryset.order_by("pk"):
            try:
                call(claim)
            except ServiceError as exc:
                self.message_user(request, f"{label}: {claim.slug}: {exc.message}", messages.ERROR)
            except ValidationError as exc:
                self.message_user(request, f"{label}: {claim.slug}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                done.append(claim.slug)
        if done:
            self.message_user(request, f"{label}: done for {len(done)} claim(s): {', '.join(done)}.", messages.SUCCESS)

    def _bulk_form(self, request, queryset, form_class, action: str, title: str, apply):
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            apply(form.cleaned_data)
            return None  # back to the list, with the messages
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "claims": queryset,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.bulk_template, context)

    @admin.action(description="Submit the selected claims for review", permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Submit for review",
            lambda claim: services.claim_submit_for_review(claim=claim, by=request.user),
        )

    @admin.action(description="Assign reviewers to the selected claims", permissions=["assign"])
    def assign_selected(self, request, queryset):
        def apply(data):
            self._each(
                request,
                queryset,
                "Assign reviewers",
                lambda claim: services.claim_assign_reviewers(
                    claim=claim, by=request.user, reviewers=list(data["reviewers"]), due_at=data["due_at"]
                ),
            )

        return self._bulk_form(
            request, queryset, BulkAssignForm, "assign_selected", "Assign reviewers to the selected claims", apply
        )

    @admin.action(description="Send the selected claims back to draft", permissions=["send_back"])
    def send_back_selected(self, request, queryset):
        def apply(data):
            self._each(
                request,
                queryset,
                "Send back",
                lambda claim: services.claim_send_back(claim=claim, by=request.user, reason=data["reason"]),
            )

        return self._bulk_form(
            request, queryset, BulkSendBackForm, "send_back_selected", "Send the selected claims back to draft", apply
        )

    @admin.action(description="Export the selected claims as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="claims.csv"'
        writer = csv.DictWriter(response, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for row in export_rows(queryset.select_related("claimant")):
            row = {**row, "assignees": " ".join(row["assignees"]), "next_due": row["next_due"] or ""}
            writer.writerow({key: _spreadsheet_safe(value) for key, value in row.items()})
        return response

    @admin.action(description="Export the selected claims as JSON")
    def export_json(self, request, queryset):
        response = JsonResponse({"claims": export_rows(queryset.select_related("claimant"))})
        response["Content-Disposition"] = 'attachment; filename="claims.json"'
        return response
