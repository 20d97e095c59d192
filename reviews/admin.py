"""The review workflow in the admin: buttons for each transition, the review form, read-only
verdicts, history, and the agreement page. Every write goes through reviews.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import formset_factory
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from claims.admin import ClaimAdmin
from claims.admin_refusal import RefuseHiddenAdminMixin
from claims.errors import ServiceError
from claims.models import Claim, Conflict, SourceDocument
from claims.querysets import NOT_ASSIGNED
from claims.submit_once import new_token, submit_once
from reviews import rechecks, services
from reviews.agreement import agreement_report
from reviews.claimlist import ClaimListMixin, due_badge, rating_badge
from reviews.external import external_reviews_import, read_sources
from reviews.models import (
    Assignment,
    Evidence,
    ExternalReview,
    Note,
    Notification,
    NotificationPreference,
    Rating,
    RatingMapping,
    Recheck,
    Review,
    Transition,
    Verdict,
)
from reviews.notes import may_discuss, note_add
from reviews.notifications import notifications_mark_read, preference_set
from reviews.querysets import claim_reviewers_disagree, claims_in_queue_of
from reviews.roles import is_editor, reviewers
from reviews.services import EvidenceInput


class HistoryAdmin(RefuseHiddenAdminMixin, SimpleHistoryAdmin):
    """History is for reading: a revert would write around the services and their rules.

    History pages are shown only for objects the user may see (get_queryset): simple_history
    would otherwise fall back to the history table and show, say, another reviewer's rating
    to a reviewer who has not submitted their own yet. Others get the refusal page.
    """

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def _visible(self, request, object_id) -> bool:
        try:
            return self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            return False

    def history_view(self, request, object_id, extra_context=None):
        if not self._visible(request, object_id):
            return self.refused(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History cannot be reverted from the admin.")
        if not self._visible(request, object_id):
            return self.refused(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin:
    """Records the workflow writes; the admin only shows them (and their history)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Inlines on the claim page -------------------------------------------------------------


def _assignment_due(assignment: Assignment) -> str:
    """The due date, marked overdue while the review is outstanding (`with_outstanding`)."""
    if getattr(assignment, "outstanding", False):
        return due_badge(assignment.due_at, timezone.now())
    return timezone.localtime(assignment.due_at).strftime("%d %b %Y") if assignment.due_at else "—"


class ReviewInline(ReadOnlyInline):
    """The claim's reviews, under the blind-review rule."""

    model = Review
    fields = ["reviewer", "rating", "status", "submitted_at", "rationale", "evidence_count"]
    readonly_fields = fields
    verbose_name_plural = "reviews (other reviewers' reviews appear once you submitted yours)"

    def get_queryset(self, request):
        return (
            Review.objects.visible_to(request.user)
            .select_related("reviewer", "rating")
            .prefetch_related("evidence")
            .order_by("submitted_at", "id")
        )

    @admin.display(description="evidence")
    def evidence_count(self, obj) -> int:
        return len(obj.evidence.all())


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ["reviewer", "assigned_by", "assigned_at", "due", "active"]
    readonly_fields = fields

    @admin.display(description="due")
    def due(self, obj) -> str:
        return _assignment_due(obj)

    def get_queryset(self, request):
        return Assignment.objects.visible_to(request.user).with_outstanding().select_related("reviewer", "assigned_by")


class VerdictInline(ReadOnlyInline):
    """Every verdict version, oldest first; none is ever edited."""

    model = Verdict
    fields = ["version", "kind", "rating", "summary", "resolution", "correction_note", "published_by", "published_at"]
    readonly_fields = fields
    verbose_name_plural = "verdict versions"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rating", "published_by").order_by("version")


class ExternalReviewInline(ReadOnlyInline):
    """ "Also checked by": other fact-checkers' reviews the matcher found closest to this claim."""

    model = ExternalReview
    fields = ["publisher", "rating_text", "on_our_scale", "date_published", "claim_reviewed", "link", "match_score"]
    readonly_fields = fields
    verbose_name = "review by another fact-checker"
    verbose_name_plural = "also checked by (other fact-checkers' ClaimReviews, suggested by the matcher)"

    def get_queryset(self, request):
        return super().get_queryset(request).with_normalised_rating().order_by("-match_score", "-date_published")

    @admin.display(description="on our scale")
    def on_our_scale(self, obj) -> str:
        return obj.normalised_rating_label or "— (map it under Rating mappings)"

    @admin.display(description="fact-check")
    def link(self, obj) -> str:
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', obj.url, obj.url)


class TransitionInline(ReadOnlyInline):
    model = Transition
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    verbose_name_plural = "transition log"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by").order_by("at", "id")


def _side_by_side(recheck: Recheck) -> str:
    """The old and the new text of a re-check's anchor, the quote in bold within its context."""
    if recheck.reason == Recheck.Reason.OVERDUE:
        return recheck.detail
    cell = '<td class="recheck-side">{}<strong>{}</strong>{}</td>'
    new = (
        format_html(cell, recheck.new_prefix, recheck.new_exact, recheck.new_suffix)
        if recheck.new_exact
        else format_html('<td class="recheck-missing"><em>{}</em></td>', "not found in the new version")
    )
    return format_html(
        "<table><tr><th>Before ({})</th><th>Now ({})</th></tr><tr>{}{}</tr></table><p>{}</p>",
        recheck.old_document,
        recheck.new_document,
        format_html(cell, recheck.old_prefix, recheck.old_exact, recheck.old_suffix),
        new,
        recheck.detail,
    )


class RecheckInline(ReadOnlyInline):
    """The claim's re-checks, open ones first, with the text before and after side by side."""

    model = Recheck
    fk_name = "claim"
    fields = ["reason", "before_and_after", "opened_at", "closed_at", "closed_by", "resolution", "note"]
    readonly_fields = fields
    verbose_name_plural = "re-checks (confirm from Reviews and verdicts → Re-checks, or correct or retract)"

    def has_view_permission(self, request, obj=None) -> bool:
        # Every editor works the queue; the Editors group predates the model.
        return is_editor(request.user) or super().has_view_permission(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("old_document", "new_document", "closed_by")
            .order_by("-closed_at", "-opened_at")
        )

    @admin.display(description="before and after")
    def before_and_after(self, obj) -> str:
        return _side_by_side(obj)


# --- Transition forms ----------------------------------------------------------------------


class TransitionForm(forms.Form):
    # The claim version the editor saw; the service refuses the step if it changed since.
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, claim: Claim, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim = claim
        self.fields["expected_version"].initial = claim.version


class SubmitForm(TransitionForm):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(TransitionForm):
    reviewers = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for the default: ASSIGNMENT_DUE_DAYS (a week) from now.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = reviewers().order_by("username")
        self.fields["reviewers"].initial = list(
            Assignment.objects.active().filter(claim=self.claim).values_list("reviewer_id", flat=True)
        )


class ReasonForm(TransitionForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


DATE = forms.DateInput(attrs={"type": "date"})
VALID_UNTIL_HELP = "Optional: the last day the verdict holds (e.g. while a contract runs)."
RECHECK_BY_HELP = "Optional: when the desk looks at it again; blank: the default for the claim's kind."


class PublishForm(TransitionForm):
    rating = forms.ModelChoiceField(queryset=Rating.objects.all())
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="The public verdict.")
    resolution = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the reviewers disagree: how the disagreement was settled.",
    )
    cited_conflicts = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    valid_until = forms.DateField(required=False, widget=DATE, help_text=VALID_UNTIL_HELP)
    recheck_by = forms.DateField(required=False, widget=DATE, help_text=RECHECK_BY_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # When the reviewers agree, their rating is the likely verdict: offered, never imposed.
        ratings = set(Review.objects.submitted().filter(claim=self.claim).values_list("rating_id", flat=True))
        if len(ratings) == 1:
            self.fields["rating"].initial = ratings.pop()
        citable = Conflict.objects.confirmed_of(self.claim)
        if citable.exists():
            self.fields["cited_conflicts"].queryset = citable
        else:  # nothing to cite: no empty "Cited conflicts:" label
            del self.fields["cited_conflicts"]


class CorrectForm(TransitionForm):
    rating = forms.ModelChoiceField(queryset=Rating.objects.all())
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    note = forms.CharField(label="Correction note", widget=forms.Textarea(attrs={"rows": 3}))
    valid_until = forms.DateField(required=False, widget=DATE, help_text=VALID_UNTIL_HELP)
    recheck_by = forms.DateField(required=False, widget=DATE, help_text=RECHECK_BY_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = Verdict.objects.current_of(self.claim)
        if current is not None:
            self.fields["rating"].initial = current.rating_id
            self.fields["summary"].initial = current.summary
            self.fields["valid_until"].initial = current.valid_until


# action -> (button label, form, service call)
WORKFLOW_ACTIONS = {
    "submit": ("Submit for review", SubmitForm, services.claim_submit_for_review),
    "assign": ("Assign reviewers", AssignForm, services.claim_assign_reviewers),
    "send_back": ("Send back to draft", ReasonForm, services.claim_send_back),
    "publish": ("Publish verdict", PublishForm, services.claim_publish),
    "correct": ("Correct verdict", CorrectForm, services.verdict_correct),
    "retract": ("Retract verdict", ReasonForm, services.verdict_retract),
}
# Actions with nothing to fill in post straight from the claim page.
DIRECT_ACTIONS = {"submit"}


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ClaimWorkflowAdminMixin(HistoryAdmin):
    """Mixed into ClaimAdmin: workflow buttons, the review/verdict/transition inlines, queue
    filters and history. Which claims the user sees is ClaimAdmin's (Claim.objects.visible_to)."""

    workflow_inlines = [
        RecheckInline,
        ReviewInline,
        AssignmentInline,
        VerdictInline,
        TransitionInline,
        ExternalReviewInline,
    ]

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is None:
            return inlines
        return inlines + [inline for inline in self.workflow_inlines if inline not in inlines]

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/workflow/<slug:action>/",
                self.admin_site.admin_view(self.workflow_view),
                name=f"{info[0]}_{info[1]}_workflow",
            ),
            path(
                "<path:object_id>/notes/", self.admin_site.admin_view(self.note_view), name=f"{info[0]}_{info[1]}_note"
            ),
            *super().get_urls(),
        ]

    def workflow_actions(self, request, claim: Claim) -> list[dict]:
        """The buttons shown on the claim page: the transitions the services would accept from this user now."""
        allowed = services.allowed_actions(claim=claim, user=request.user)
        actions = [
            {
                "name": name,
                "label": WORKFLOW_ACTIONS[name][0],
                "url": reverse("admin:claims_claim_workflow", args=[claim.pk, name]),
                "direct": name in DIRECT_ACTIONS,
            }
            for name in allowed
            if name in WORKFLOW_ACTIONS
        ]
        if "review" in allowed:  # written on the review form rather than a transition page
            actions.append(
                {
                    "name": "review",
                    "label": "Write your review",
                    "url": reverse("admin:reviews_review_add") + f"?claim={claim.pk}",
                    "direct": False,
                }
            )
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        claim = self.get_object(request, object_id)
        if claim is not None:
            extra_context["workflow_actions"] = self.workflow_actions(request, claim)
            extra_context["workflow_version"] = claim.version
            extra_context["workflow_token"] = new_token()
            extra_context["notes"] = Note.objects.visible_to(request.user).filter(claim=claim).select_related("author")
            extra_context["note_form"] = NoteForm() if may_discuss(claim, request.user) else None
            extra_context["note_url"] = reverse("admin:claims_claim_note", args=[claim.pk])
            extra_context["note_token"] = new_token()
        return super().change_view(request, object_id, form_url, extra_context)

    def workflow_view(self, request, object_id, action):
        return submit_once(request, lambda: self._workflow_step(request, object_id, action))

    def note_view(self, request, object_id):
        """Add a note to the claim's thread (reviews/notes.py), then back to the claim's notes."""
        claim = self.get_object(request, object_id)
        if claim is None:
            return self.refused(request, object_id)
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        if request.method != "POST":
            raise Http404("Notes are added with the form under the claim, on its page.")

        def add():
            form = NoteForm(request.POST)
            if not form.is_valid():
                self.message_user(request, "The note was empty; nothing was added.", messages.ERROR)
            else:
                try:
                    note_add(claim=claim, author=request.user, text=form.cleaned_data["text"])
                except ServiceError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                except ValidationError as exc:
                    self.message_user(request, _error_text(exc), messages.ERROR)
                else:
                    self.message_user(request, "Note added.", messages.SUCCESS)
            return HttpResponseRedirect(f"{change_url}#notes")

        return submit_once(request, add)

    def _workflow_step(self, request, object_id, action):
        if action not in WORKFLOW_ACTIONS:
            raise Http404("No such workflow step.")
        claim = self.get_object(request, object_id)
        if claim is None:
            return self.refused(request, object_id)
        label, form_class, service = WORKFLOW_ACTIONS[action]
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        form = form_class(request.POST or None, claim=claim)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            try:
                result = service(claim=claim, by=request.user, **data)
            except ServiceError as exc:
                self.message_user(request, f"{label}: {exc.message}", level=messages.ERROR)
            except ValidationError as exc:
                _apply_errors(form, exc)
                if action in DIRECT_ACTIONS:
                    self.message_user(request, f"{label}: {_error_text(exc)}", level=messages.ERROR)
            else:
                done = (
                    f"verdict version {result.version}" if isinstance(result, Verdict) else result.get_status_display()
                )
                self.message_user(request, f"{label}: done ({done}).", level=messages.SUCCESS)
                return HttpResponseRedirect(change_url)
            if action in DIRECT_ACTIONS:
                return HttpResponseRedirect(change_url)
        elif request.method == "POST" and action in DIRECT_ACTIONS:
            self.message_user(request, f"{label}: the claim changed since you loaded it; reload.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        reviews = Review.objects.visible_to(request.user).filter(claim=claim).select_related("reviewer", "rating")
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}: {claim}",
            "opts": self.model._meta,
            "original": claim,
            "claim": claim,
            "form": form,
            "action": action,
            "label": label,
            "change_url": change_url,
            "reviews": reviews.prefetch_related("evidence__document"),
            "disagreement": claim_reviewers_disagree(claim),
            "submit_token": new_token(),
        }
        return TemplateResponse(request, "admin/reviews/claim_transition.html", context)


# The claim admin of the claims app, with the workflow on top: re-registered, so that claims
# never imports reviews.
class WorkflowClaimAdmin(ClaimListMixin, ClaimWorkflowAdminMixin, ClaimAdmin):
    change_form_template = "admin/reviews/claim_change_form.html"  # the claims app's form, with the notes


admin.site.unregister(Claim)
admin.site.register(Claim, WorkflowClaimAdmin)


# --- Reviews and the review form -----------------------------------------------------------


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["stance", "document", "exact", "start", "end", "url", "title", "excerpt"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("document")


class ReviewForm(forms.Form):
    claim = forms.ModelChoiceField(queryset=None, help_text="Claims in review that await your review.")
    rating = forms.ModelChoiceField(queryset=Rating.objects.all())
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claim"].queryset = claims_in_queue_of(user, Claim.objects.all())


class EvidenceForm(forms.Form):
    """One evidence row: a passage of a source document (pick it, paste the quote; the offsets are
    found) or an outside URL, chosen per row. Only the chosen kind's fields are used."""

    PASSAGE, URL = "passage", "url"

    stance = forms.ChoiceField(choices=[("", "---------"), *Evidence.Stance.choices], required=False)
    kind = forms.ChoiceField(
        label="Evidence is",
        choices=[(PASSAGE, "a passage of a source document"), (URL, "an outside URL")],
        widget=forms.RadioSelect(attrs={"class": "evidence-kind"}),
        required=False,
        initial=PASSAGE,
    )
    document = forms.ModelChoiceField(queryset=SourceDocument.objects.latest_versions(), required=False)
    quote = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Paste the passage; whitespace and quote styles need not match.",
    )
    occurrence = forms.IntegerField(
        required=False, min_value=1, help_text="When the quote occurs several times: which one (1 = first)."
    )
    url = forms.URLField(required=False, label="URL", assume_scheme="https")
    title = forms.CharField(required=False)
    excerpt = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def chosen_kind(self) -> str:
        data = self.cleaned_data
        if data.get("kind") in (self.PASSAGE, self.URL):
            return data["kind"]
        # Rows posted without a choice (the API-shaped tests, old pages): whichever was filled in.
        return self.URL if data.get("url") and not data.get("document") else self.PASSAGE

    def to_input(self) -> EvidenceInput:
        data = self.cleaned_data
        stance = data.get("stance") or ""
        if self.chosen_kind() == self.URL:
            return EvidenceInput(
                stance=stance,
                url=data.get("url") or "",
                title=data.get("title") or "",
                excerpt=data.get("excerpt") or "",
            )
        return EvidenceInput(
            stance=stance,
            document=data.get("document"),
            quote=data.get("quote") or "",
            occurrence=data.get("occurrence"),
        )

    def is_blank(self) -> bool:
        """Nothing typed or picked beyond what the page filled in (choosing the kind alone does not
        count): the row is left out."""
        return not set(self.changed_data) - {"kind"}


# The page fills in the first rows (initial); "Add another evidence row" adds more.
EvidenceFormSet = formset_factory(EvidenceForm, extra=0, max_num=20)


@admin.register(Review)
class ReviewAdmin(HistoryAdmin):
    hidden_reason = (
        "Blind review: you see other reviewers' reviews of a claim once you have submitted your own, "
        "and only of claims you are assigned to."
    )
    list_display = ["claim_text", "reviewer", "rating", "status", "submitted_at"]
    list_filter = ["status", "rating"]
    list_select_related = ["claim", "reviewer", "rating"]
    search_fields = ["claim__text", "rationale"]
    inlines = [EvidenceInline]
    fields = ["claim", "reviewer", "rating", "status", "rationale", "submitted_at", "version"]
    readonly_fields = fields

    def get_queryset(self, request):
        return Review.objects.visible_to(request.user).select_related("claim", "reviewer", "rating")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="claim", ordering="claim__text")
    def claim_text(self, obj) -> str:
        return str(obj.claim)

    def get_urls(self):
        return [
            path("agreement/", self.admin_site.admin_view(self.agreement_view), name="reviews_agreement"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        """The review form: rating, rationale and evidence, saved through review_record."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return submit_once(request, lambda: self._review_form(request))

    def _review_form(self, request):
        initial = {"claim": request.GET.get("claim")} if request.GET.get("claim") else None
        form = ReviewForm(request.POST or None, initial=initial, user=request.user)
        chosen = request.POST.get("claim") or request.GET.get("claim") or ""
        claim = form.fields["claim"].queryset.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        appearances = list(claim.appearances.select_related("document")) if claim else []
        offered = list(ExternalReview.objects.matched_to(claim.pk)[:3]) if claim else []
        # Other fact-checkers' reviews of the claim fill outside-URL rows, then one passage row on
        # the document the claim was first quoted in; a row counts once the reviewer fills it in.
        initial_rows = [
            {
                "kind": EvidenceForm.URL,
                "url": r.url,
                "title": f"{r.publisher}: {r.rating_text or r.rating_value}"[:300],
                "excerpt": r.claim_reviewed,
            }
            for r in offered
        ]
        initial_rows.append(
            {"kind": EvidenceForm.PASSAGE, "document": appearances[0].document_id if appearances else None}
        )
        data = request.POST or None
        adding_row = data is not None and "_add_row" in data
        if adding_row:  # "Add another evidence row" without JavaScript: the same form, one row longer
            data = data.copy()
            data["evidence-TOTAL_FORMS"] = str(int(data.get("evidence-TOTAL_FORMS") or 0) + 1)
        formset = EvidenceFormSet(data, prefix="evidence", initial=initial_rows)
        if data is not None and not adding_row and form.is_valid() and formset.is_valid():
            evidence = [f.to_input() for f in formset.forms if not f.is_blank()]
            try:
                review = services.review_record(
                    claim=form.cleaned_data["claim"],
                    reviewer=request.user,
                    rating=form.cleaned_data["rating"],
                    rationale=form.cleaned_data["rationale"],
                    evidence=evidence,
                )
            except ServiceError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                claim = review.claim
                self.message_user(
                    request,
                    f"Your review is submitted; the claim is {claim.get_status_display().lower()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
        if request.method == "GET" and chosen and claim is None:
            self.message_user(
                request,
                "That claim does not await your review: you are not assigned to it, it is not in review, "
                "or you already submitted your review.",
                messages.WARNING,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Write your review",
            "opts": self.model._meta,
            "form": form,
            "formset": formset,
            "claim": claim,
            "offered": offered,
            "appearances": appearances,
            "submit_token": new_token(),
            "media": self.media + form.media + formset.media,
        }
        return TemplateResponse(request, "admin/reviews/review/review_form.html", context)

    def agreement_view(self, request):
        if not is_editor(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Inter-reviewer agreement",
            "opts": self.model._meta,
            "report": agreement_report(),
        }
        return TemplateResponse(request, "admin/reviews/agreement.html", context)


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Verdict versions, read-only: corrections and retractions are new versions made by the workflow."""

    hidden_reason = NOT_ASSIGNED

    list_display = ["claim_text", "version", "kind", "rating", "published_by", "published_at"]
    list_filter = ["kind", "rating"]
    list_select_related = ["claim", "rating", "published_by"]
    search_fields = ["claim__text", "summary"]
    fields = [
        "claim",
        "version",
        "kind",
        "rating",
        "summary",
        "resolution",
        "correction_note",
        "cited_conflicts",
        "published_by",
        "published_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description="claim", ordering="claim__text")
    def claim_text(self, obj) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.claim_id]), obj.claim)


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Evidence items, read-only (written with their review), under the blind-review rule."""

    list_display = ["review", "stance", "document", "exact", "url"]
    list_filter = ["stance"]
    list_select_related = ["review__claim", "review__reviewer", "review__rating", "document"]
    fields = ["review", "stance", "document", "exact", "prefix", "suffix", "start", "end", "url", "title", "excerpt"]
    readonly_fields = fields

    hidden_reason = ReviewAdmin.hidden_reason

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Who was asked to review what; changed only by assigning, reassigning or sending back."""

    list_display = ["claim", "reviewer", "assigned_by", "assigned_at", "due", "active"]
    list_filter = ["active"]
    list_select_related = ["claim", "reviewer", "assigned_by"]
    fields = ["claim", "reviewer", "assigned_by", "assigned_at", "due", "active"]
    readonly_fields = fields

    @admin.display(description="due", ordering="due_at")
    def due(self, obj) -> str:
        return _assignment_due(obj)

    hidden_reason = "You see your own assignments only."

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).with_outstanding()


@admin.register(Rating)
class RatingAdmin(HistoryAdmin):
    """The rating scale is data: editors keep descriptions and badge colours; admins also edit
    labels, slugs and where each sits on the scale."""

    list_display = ["label", "badge", "slug", "value", "order", "colour", "description"]
    prepopulated_fields = {"slug": ["label"]}

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["label", "slug", "value", "order"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if request.user.is_superuser else {}

    @admin.display(description="badge")
    def badge(self, obj) -> str:
        return rating_badge(obj.slug, obj.label)

    def get_urls(self):
        view = self.admin_site.admin_view(self.colours_view, cacheable=True)
        return [path("colours.css", view, name="reviews_rating_colours"), *super().get_urls()]

    def colours_view(self, request):
        """One class per rating (`.rating-<slug>`): its badge colour, as a stylesheet rather than
        inline styles, which the Content-Security-Policy refuses."""
        rules = [
            f".badge.rating-{slug} {{ background: {colour}; color: #fff; }}"
            for slug, colour in Rating.objects.values_list("slug", "colour")
        ]
        response = HttpResponse("\n".join(rules) + "\n", content_type="text/css; charset=utf-8")
        response["Cache-Control"] = "private, no-cache"
        return response

    # Through the services: every claim showing the rating gets a change (the feed's clock).
    def save_model(self, request, obj, form, change):
        services.rating_save(rating=obj, by=request.user)

    def delete_model(self, request, obj):
        services.rating_delete(rating=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for rating in queryset:
            services.rating_delete(rating=rating, by=request.user)


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdminMixin, RefuseHiddenAdminMixin, admin.ModelAdmin):
    """The desk's transition log (of the claims the user may see), newest first."""

    hidden_reason = NOT_ASSIGNED

    list_display = ["at", "claim", "from_status", "to_status", "by", "note"]
    list_filter = ["to_status"]
    list_select_related = ["claim", "by"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class RecheckOpenFilter(admin.SimpleListFilter):
    """The queue: open re-checks unless asked otherwise."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed"), ("all", "All")]

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(closed_at__isnull=True)
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(Recheck)
class RecheckAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """The re-check queue. Confirm the new anchor here; correcting or retracting the verdict
    (on the claim page) closes a claim's re-checks too."""

    list_display = ["claim_link", "reason", "opened_at", "closed_at", "resolution"]
    list_filter = [RecheckOpenFilter, "reason", "resolution"]
    list_select_related = ["claim"]
    ordering = ["opened_at", "id"]
    search_fields = ["claim__text", "old_exact", "new_exact"]
    fields = ["claim", "reason", "before_and_after", "opened_at", "closed_at", "closed_by", "resolution", "note"]
    readonly_fields = fields
    actions = ["confirm"]

    hidden_reason = NOT_ASSIGNED

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_editor(request.user) or super().has_view_permission(request, obj)

    @admin.display(description="claim", ordering="claim__text")
    def claim_link(self, obj) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.claim_id]), obj.claim)

    @admin.display(description="before and after")
    def before_and_after(self, obj) -> str:
        return _side_by_side(obj)

    @admin.action(description="Confirm: the verdict stands (changed quotes move to their new text)")
    def confirm(self, request, queryset):
        done = 0
        for recheck in queryset.filter(closed_at__isnull=True):
            try:
                rechecks.recheck_confirm(recheck=recheck, by=request.user)
            except ServiceError as exc:
                self.message_user(request, f"Re-check {recheck.pk}: {exc.message}", level=messages.ERROR)
                return
            done += 1
        self.message_user(request, f"{done} re-check(s) confirmed and closed.", level=messages.SUCCESS)


# --- Other fact-checkers' ClaimReviews -------------------------------------------------------


class UploadForm(forms.Form):
    files = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"allow_multiple_selected": True}),
        help_text="JSON, JSON-LD or HTML files holding ClaimReview records.",
    )
    urls = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), help_text="http(s) URLs, one a line."
    )


@admin.register(ExternalReview)
class ExternalReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Imported only (import_claimreview or Upload); read-only here."""

    list_display = ["publisher", "rating_text", "on_our_scale", "date_published", "claim_reviewed", "claim"]
    list_filter = ["publisher"]
    search_fields = ["claim_reviewed", "publisher", "url", "rating_text"]
    list_select_related = ["claim"]
    readonly_fields = [f.name for f in ExternalReview._meta.fields]
    change_list_template = "admin/reviews/externalreview/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).with_normalised_rating()

    @admin.display(description="on our scale", ordering="normalised_rating_label")
    def on_our_scale(self, obj) -> str:
        return obj.normalised_rating_label or "—"

    def has_upload_permission(self, request) -> bool:
        return request.user.has_perm("reviews.add_externalreview")

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="reviews_externalreview_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        """Upload files or name URLs: the same import as `manage.py import_claimreview`."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            sources = [(f.name, f.read(), "") for f in request.FILES.getlist("files")]
            sources += read_sources([u.strip() for u in form.cleaned_data["urls"].splitlines() if u.strip()])
            report = external_reviews_import(sources=sources)
            for where, reason in report.refused:
                self.message_user(request, f"Skipped {where}: {reason}", messages.WARNING)
            level = messages.SUCCESS if report.imported or report.updated else messages.INFO
            self.message_user(request, report.summary(), level)
            return HttpResponseRedirect(reverse("admin:reviews_externalreview_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload other fact-checkers' ClaimReviews",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/reviews/externalreview/upload.html", context)


@admin.register(RatingMapping)
class RatingMappingAdmin(HistoryAdmin):
    """The editable table from publishers' rating texts to our scale."""

    list_display = ["text", "publisher", "rating"]
    list_filter = ["rating"]
    search_fields = ["text", "publisher"]
    list_select_related = ["rating"]
    fields = ["text", "publisher", "rating"]


# --- Notifications and notes -------------------------------------------------------------------


class NotificationReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", "Unread"), ("yes", "Read")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


class PreferenceForm(forms.Form):
    daily_digest = forms.BooleanField(
        required=False,
        label="Send me one e-mail a day with everything new, instead of an e-mail per notification",
    )


@admin.register(Notification)
class NotificationAdmin(RefuseHiddenAdminMixin, admin.ModelAdmin):
    """Each user's own notifications; opening one marks it read and goes to its claim."""

    hidden_reason = "This notification is someone else's."

    list_display = ["message", "kind", "created_at", "unread"]
    list_filter = [NotificationReadFilter, "kind"]
    list_display_links = None
    actions = ["mark_read"]
    change_list_template = "admin/reviews/notification/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).of(request.user).select_related("claim")

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff and (obj is None or obj.recipient_id == request.user.pk)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="notification")
    def message(self, obj) -> str:
        url = reverse("admin:reviews_notification_open", args=[obj.pk])
        return format_html('<a href="{}" class="{}">{}</a>', url, "unread" if obj.read_at is None else "read", obj.text)

    @admin.display(description="unread", boolean=True)
    def unread(self, obj) -> bool:
        return obj.read_at is None

    @admin.action(description="Mark the selected notifications read")
    def mark_read(self, request, queryset):
        done = notifications_mark_read(user=request.user, ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{done} notification(s) marked read.", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/open/", view(self.open_view), name="reviews_notification_open"),
            path("read-all/", view(self.read_all_view), name="reviews_notification_read_all"),
            path("settings/", view(self.settings_view), name="reviews_notification_settings"),
            *super().get_urls(),
        ]

    def open_view(self, request, object_id: str):
        notification = (
            Notification.objects.of(request.user).filter(pk=int(object_id)).first() if object_id.isdigit() else None
        )
        if notification is None:
            raise Http404("No such notification of yours.")
        notifications_mark_read(user=request.user, ids=[notification.pk])
        if notification.claim_id is None:
            return HttpResponseRedirect(reverse("admin:reviews_notification_changelist"))
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[notification.claim_id]))

    def read_all_view(self, request):
        if request.method != "POST":
            raise Http404("Mark all read with the button on your notifications.")
        done = notifications_mark_read(user=request.user)
        self.message_user(request, f"{done} notification(s) marked read.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:reviews_notification_changelist"))

    def settings_view(self, request):
        current = NotificationPreference.objects.filter(user=request.user, daily_digest=True).exists()
        form = PreferenceForm(request.POST if request.method == "POST" else None, initial={"daily_digest": current})
        if request.method == "POST" and form.is_valid():
            preference_set(user=request.user, daily_digest=form.cleaned_data["daily_digest"])
            self.message_user(request, "Your e-mail settings are saved.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:reviews_notification_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "E-mail settings",
            "opts": self.model._meta,
            "form": form,
            "email": request.user.email,
        }
        return TemplateResponse(request, "admin/reviews/notification/settings.html", context)


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen by the editors and this claim's reviewers (a reviewer's note reaches the other reviewers "
        "once they have submitted their review). Mention someone with @username to notify them.",
    )


@admin.register(Note)
class NoteAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Notes, read-only here: they are written on the claim page and never edited."""

    hidden_reason = NOT_ASSIGNED
    list_display = ["claim", "author", "text", "created_at"]
    list_select_related = ["claim", "author"]
    search_fields = ["text"]
    fields = ["claim", "author", "text", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff
