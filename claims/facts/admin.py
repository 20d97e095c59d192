"""Structured facts in the admin: inlines on the claim page, the wage parser, conflict triage,
the entity graph (server-side SVG) and the timeline. Every write calls claims.facts."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from claims.admin_refusal import RefuseHiddenAdminMixin
from claims.errors import ServiceError
from claims.facts import services as facts
from claims.facts.figures import (
    ConversionError,
    convert,
    converted_figures,
    parse_figures,
    propose_wage,
    propose_wage_in_context,
)
from claims.facts.graph import build_graph, graph_contracts, render_svg, timeline
from claims.models import (
    Claim,
    Conflict,
    ContractRelation,
    Entity,
    EventFact,
    KnowledgeFact,
    Period,
    QuantityFact,
    WageFigure,
)

# How far back in the article the parser looks for the figure a relative one refers to.
CONTEXT_BEFORE_QUOTE = 600

SETTERS = {
    WageFigure: facts.wage_set,
    ContractRelation: facts.contract_set,
    KnowledgeFact: facts.knowledge_set,
    QuantityFact: facts.quantity_set,
    EventFact: facts.event_set,
}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        return exc.message
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(m)}" for field, m in exc.message_dict.items())
    return " ".join(getattr(exc, "messages", [str(exc)]))


def converted_html(wage: WageFigure) -> str:
    """The figure in every other period, each with the assumptions it rests on."""
    try:
        rows = converted_figures(wage.amount, wage.period)
    except ConversionError as exc:
        return str(exc)
    if not rows:
        return "A lump sum: not a rate, so not converted."
    return format_html(
        "<ul class='converted'>{}</ul>",
        format_html_join(
            "",
            "<li>{} {} {} <span class='help'>({})</span></li>",
            ((c.amount.quantize(Decimal("0.01")), wage.currency, Period(c.period).label, c.assumptions) for c in rows),
        ),
    )


# --- Inlines on the claim page -------------------------------------------------------------


class FactFormSet(BaseInlineFormSet):
    """Saves through the fact services instead of form.save(), so the admin and the API share the rules."""

    user = None  # set per request by FactInline.get_formset

    def save(self, commit=True):
        setter = SETTERS[self.model]
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.deleted_forms:
            if form.instance.pk:
                facts.fact_remove(fact=form.instance, by=self.user)
                self.deleted_objects.append(form.instance)
        for form in self.forms:
            if form in self.deleted_forms or not form.has_changed():
                continue
            values = {name: form.cleaned_data.get(name) for name in form._meta.fields if name in form.cleaned_data}
            values.pop("claim", None)
            values.pop("id", None)
            existed = bool(form.instance.pk)
            fact = setter(claim=self.instance, by=self.user, **values)
            if existed:
                self.changed_objects.append((fact, form.changed_data))
            else:
                self.new_objects.append(fact)
        return self.new_objects + [fact for fact, _ in self.changed_objects]


class FactInline(admin.StackedInline):
    formset = FactFormSet
    extra = 0
    max_num = 1
    can_delete = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"user": request.user})

    def get_extra(self, request, obj=None, **kwargs):
        # An empty form for the structure the claim's kind calls for, and only that one.
        if obj is not None and obj.kind == self.kind and not self.model.objects.filter(claim=obj).exists():
            return 1
        return 0

    def get_queryset(self, request):
        # Django checks the inline's permissions here without the claim, which _relevant
        # reads as "the add page"; the claim page has already passed the checks with it.
        queryset = self.model._default_manager.select_related("claim")
        return queryset if request.user.has_perm("claims.view_claim") else queryset.none()

    def _relevant(self, obj) -> bool:
        # Shown for the structure the claim's kind calls for, or one it already has; none on
        # the add page, since the kind is chosen there. Cached: the admin asks several times.
        if obj is None:
            return False
        if not hasattr(self, "_relevance"):
            self._relevance = obj.kind == self.kind or self.model.objects.filter(claim=obj).exists()
        return self._relevance

    # The structure is part of the claim: whoever may edit the claim may edit it.
    def has_add_permission(self, request, obj=None) -> bool:
        return self._relevant(obj) and request.user.has_perm("claims.change_claim")

    def has_change_permission(self, request, obj=None) -> bool:
        return self._relevant(obj) and request.user.has_perm("claims.change_claim")

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._relevant(obj) and request.user.has_perm("claims.change_claim")

    def has_view_permission(self, request, obj=None) -> bool:
        return self._relevant(obj) and request.user.has_perm("claims.view_claim")


class WageFigureInline(FactInline):
    model = WageFigure
    kind = Claim.Kind.WAGE
    autocomplete_fields = ["payer", "payee", "stated_by"]
    fields = [
        ("amount", "currency", "period", "qualifier"),
        ("payer", "payee", "stated_by"),
        "measure",
        ("refers_from", "refers_to"),
        "converted",
        "propose",
    ]
    readonly_fields = ["converted", "propose"]

    @admin.display(description="converted")
    def converted(self, obj) -> str:
        return converted_html(obj) if obj and obj.pk else "-"

    @admin.display(description="from the quote")
    def propose(self, obj) -> str:
        if not obj or not obj.claim_id:
            return "Save the claim with an appearance, then propose the figure from its quote."
        url = reverse("admin:claims_wagefigure_propose", args=[obj.claim_id])
        return format_html('<a class="button" href="{}">Propose from the first appearance</a>', url)


class ContractRelationInline(FactInline):
    model = ContractRelation
    kind = Claim.Kind.CONTRACT
    autocomplete_fields = ["engager", "engaged", "stated_by"]
    fields = [("engager", "role", "engaged"), ("status", "since", "until"), "stated_by"]


class KnowledgeFactInline(FactInline):
    model = KnowledgeFact
    fk_name = "claim"
    kind = Claim.Kind.KNOWLEDGE
    autocomplete_fields = ["actor", "stated_by"]
    raw_id_fields = ["subject_claim"]
    fields = [("actor", "polarity"), "subject_claim", "subject_text", ("known_on", "when_event"), "stated_by"]
    readonly_fields = ["subject_claim_shown"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_subject_shown(Claim.objects.visible_to(request.user))

    def get_fields(self, request, obj=None):
        # Read-only, the raw-id field would name any claim; this names only those the reader may see.
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return ["subject_claim_shown" if field == "subject_claim" else field for field in fields]

    @admin.display(description="subject claim")
    def subject_claim_shown(self, obj) -> str:
        if obj is None or obj.subject_claim_id is None:
            return "-"
        if not getattr(obj, "subject_shown", False):
            return obj.subject
        url = reverse("admin:claims_claim_change", args=[obj.subject_claim_id])
        return format_html('<a href="{}">{}</a>', url, obj.subject_claim)


class QuantityFactInline(FactInline):
    model = QuantityFact
    kind = Claim.Kind.QUANTITY
    fields = ["measure", ("qualifier", "value", "unit")]


class EventFactInline(FactInline):
    model = EventFact
    kind = Claim.Kind.EVENT
    autocomplete_fields = ["actor", "recipient"]
    fields = [("actor", "action", "recipient"), "object", "occurred_on"]


class DisplayInline(admin.TabularInline):
    """An inline used only to draw something on a change page: it has no form rows.

    Inline instances are made per request, so per-request state on them is safe."""

    fields: list[str] = []
    max_num = 0
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class FactsPanelInline(DisplayInline):
    """Not a form: the claim's conflicts (either side) and the relationship graph, drawn on the claim page."""

    model = Conflict
    fk_name = "claim_a"
    template = "admin/claims/facts/claim_panel.html"
    verbose_name_plural = "conflicts and relationships"
    panel: dict = {}

    def get_formset(self, request, obj=None, **kwargs):
        # The admin asks for the formset more than once per page (three times on a claim's change
        # page); the panel (a graph query and its drawing) is built once per claim shown.
        if obj is None:
            self.panel = {}
        elif self.panel.get("claim") is not obj:
            self.panel = self._panel(request, obj)
        return super().get_formset(request, obj, **kwargs)

    def _panel(self, request, claim: Claim) -> dict:
        visible = Claim.objects.visible_to(request.user)
        conflicts = list(
            Conflict.objects.visible_to(request.user).for_claims([claim.pk]).with_details().order_by("status", "id")
        )
        # The claim's neighbourhood: relationships of the entities it names or links.
        around = {e.pk for e in claim.entities.all()} | {claim.claimant_id}
        contract = getattr(claim, "contract", None)
        if contract is not None:
            around |= {contract.engager_id, contract.engaged_id}
        graph = build_graph(graph_contracts(visible, around=around)[0])
        return {
            "confirmed": [c for c in conflicts if c.status == Conflict.Status.CONFIRMED],
            "others": [c for c in conflicts if c.status != Conflict.Status.CONFIRMED],
            "claim": claim,
            "svg": mark_safe(  # render_svg escapes every text it draws
                render_svg(
                    graph,
                    focus_claim=claim.pk,
                    link=lambda e: reverse("admin:claims_entity_change", args=[e.pk]),
                )
            ),
            "timeline_url": reverse("admin:claims_conflict_timeline"),
        }

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("claims.view_claim")


CLAIM_FACT_INLINES = [
    WageFigureInline,
    ContractRelationInline,
    KnowledgeFactInline,
    QuantityFactInline,
    EventFactInline,
    FactsPanelInline,
]


class EntityGraphInline(DisplayInline):
    """Not a form: the relationship graph drawn on the entity page, this entity outlined."""

    model = ContractRelation
    fk_name = "engager"
    template = "admin/claims/facts/entity_graph.html"
    verbose_name_plural = "relationships"
    svg = ""

    def get_formset(self, request, obj=None, **kwargs):
        if obj is not None:
            graph = build_graph(graph_contracts(Claim.objects.visible_to(request.user), around=[obj.pk])[0])
            self.svg = mark_safe(  # render_svg escapes every text it draws
                render_svg(
                    graph, focus_entity=obj.pk, link=lambda e: reverse("admin:claims_entity_change", args=[e.pk])
                )
            )
        return super().get_formset(request, obj, **kwargs)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("claims.view_entity")


# --- Wage figures: list with conversions, and the parser ------------------------------------


class WageProposalForm(forms.Form):
    amount = forms.DecimalField(max_digits=15, decimal_places=2)
    currency = forms.ChoiceField(choices=WageFigure._meta.get_field("currency").choices)
    period = forms.ChoiceField(choices=WageFigure._meta.get_field("period").choices)
    qualifier = forms.ChoiceField(choices=WageFigure._meta.get_field("qualifier").choices)
    payer = forms.ModelChoiceField(Entity.objects.all(), required=False)
    payee = forms.ModelChoiceField(Entity.objects.all(), required=False)
    stated_by = forms.ModelChoiceField(Entity.objects.all(), required=False)
    measure = forms.CharField(max_length=120, required=False)


@admin.register(WageFigure)
class WageFigureAdmin(RefuseHiddenAdminMixin, admin.ModelAdmin):
    """Every pay figure side by side, per month, so the desk can compare them (of the claims the user may see)."""

    hidden_reason = "This figure belongs to a claim you are not assigned to."

    list_display = ["claim_link", "figure", "per_month", "measure", "payer", "payee", "stated_by"]
    list_select_related = ["claim", "payer", "payee", "stated_by"]
    list_filter = ["period", "qualifier", "currency"]
    search_fields = ["measure", "claim__text", "claim__slug"]
    ordering = ["measure", "claim_id"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # figures are added on the claim page, where the claim's kind and quotes are

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("claims.view_claim")

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm("claims.view_claim")

    @admin.display(description="claim", ordering="claim__slug")
    def claim_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.claim_id]), obj.claim.slug
        )

    @admin.display(description="figure")
    def figure(self, obj) -> str:
        return str(obj)

    @admin.display(description="per month")
    def per_month(self, obj) -> str:
        if obj.period == "month":
            return f"{obj.amount} {obj.currency}"
        try:
            converted = convert(obj.amount, obj.period, "month")
        except ConversionError:
            return "lump sum"
        return format_html(
            "{} {} <span class='help'>({})</span>",
            converted.amount.quantize(Decimal("0.01")),
            obj.currency,
            converted.assumptions,
        )

    def get_urls(self):
        return [
            path(
                "propose/<int:claim_id>/",
                self.admin_site.admin_view(self.propose_view),
                name="claims_wagefigure_propose",
            ),
            *super().get_urls(),
        ]

    def propose_view(self, request, claim_id: int):
        """Parse the claim's first appearance into a wage structure; the editor checks it and saves."""
        if not request.user.has_perm("claims.change_claim"):
            raise PermissionDenied
        claim = Claim.objects.visible_to(request.user).filter(pk=claim_id).prefetch_related("appearances__document")
        claim = claim.first()
        if claim is None:
            raise Http404("No such claim.")
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        first = claim.first_appearance
        quote = first.exact if first else claim.text
        existing = WageFigure.objects.filter(claim=claim).first()
        # A relative figure ("that much every day") refers to a figure earlier in the article.
        preceding = first.document.text[max(0, first.start - CONTEXT_BEFORE_QUOTE) : first.start] if first else ""
        proposal = propose_wage_in_context(quote, preceding) or propose_wage(claim.text)
        if request.method == "POST":
            form = WageProposalForm(request.POST)
            if form.is_valid():
                try:
                    facts.wage_set(claim=claim, by=request.user, **form.cleaned_data)
                except (ValidationError, ServiceError) as exc:
                    form.add_error(None, _error_text(exc))
                else:
                    self.message_user(request, "The wage figure was saved.", messages.SUCCESS)
                    return HttpResponseRedirect(change_url)
        else:
            initial = {"currency": "USD", "qualifier": "exactly"}
            if existing:
                initial.update(payer=existing.payer, payee=existing.payee, stated_by=existing.stated_by)
                initial["measure"] = existing.measure
            if proposal:
                initial.update(proposal.as_form_initial())
            form = WageProposalForm(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": "Propose a wage figure from the quote",
            "opts": self.model._meta,
            "claim": claim,
            "quote": quote,
            "source": first.document if first else None,
            "proposal": proposal,
            "all_figures": parse_figures(quote),
            "existing": existing,
            "form": form,
            "change_url": change_url,
        }
        return render(request, "admin/claims/facts/propose_wage.html", context)


# --- Conflicts: triage, graph and timeline pages -------------------------------------------


class TriageActionForm(ActionForm):
    note = forms.CharField(required=False, label="Reason / note", widget=forms.TextInput(attrs={"size": 50}))


class ConflictTriageForm(forms.ModelForm):
    class Meta:
        model = Conflict
        fields = ["status", "triage_note"]

    def clean(self):
        cleaned = super().clean()
        # The service says the same; saying it here puts the message beside the field.
        if cleaned.get("status") == Conflict.Status.DISMISSED and not (cleaned.get("triage_note") or "").strip():
            self.add_error("triage_note", "Say why the conflict is dismissed.")
        return cleaned


@admin.register(Conflict)
class ConflictAdmin(RefuseHiddenAdminMixin, admin.ModelAdmin):
    """Conflict triage (editors); reviewers read the confirmed conflicts between claims they may see."""

    hidden_reason = "You may see only confirmed conflicts between claims you may see."
    form = ConflictTriageForm
    action_form = TriageActionForm
    actions = ["confirm", "dismiss", "reopen"]
    list_display = ["id", "claim_a_link", "value_a", "claim_b_link", "value_b", "field", "status", "detected_at"]
    list_display_links = ["id"]
    list_filter = ["status", "field"]
    list_select_related = ["claim_a", "claim_b"]
    search_fields = ["claim_a__slug", "claim_b__slug", "explanation", "value_a", "value_b"]
    readonly_fields = [
        "claim_a_link",
        "value_a",
        "claim_b_link",
        "value_b",
        "field",
        "explanation",
        "appearances",
        "triaged_by",
        "triaged_at",
        "detected_at",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["claim_a_link", "value_a", "claim_b_link", "value_b", "field", "explanation", "appearances"]},
        ),
        ("Triage", {"fields": ["status", "triage_note", "triaged_by", "triaged_at", "detected_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # the detector finds conflicts; editors triage them

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # dismiss with a reason instead, so the decision is kept

    @admin.display(description="claim A", ordering="claim_a__slug")
    def claim_a_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.claim_a_id]), obj.claim_a.slug
        )

    @admin.display(description="claim B", ordering="claim_b__slug")
    def claim_b_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.claim_b_id]), obj.claim_b.slug
        )

    @admin.display(description="where the claims appear")
    def appearances(self, obj) -> str:
        rows = []
        for label, claim in (("A", obj.claim_a), ("B", obj.claim_b)):
            for appearance in claim.appearances.select_related("document"):
                rows.append((label, appearance.document, appearance.exact))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {} — <q>{}</q></li>", rows)) if rows else "-"

    def save_model(self, request, obj, form, change):
        # Triage goes through the services; the form only says which decision was taken.
        status, note = form.cleaned_data["status"], form.cleaned_data.get("triage_note") or ""
        if "status" not in form.changed_data:
            raise ValidationError("Choose confirmed, dismissed or open to record a decision.")
        service = {
            Conflict.Status.CONFIRMED: lambda: facts.conflict_confirm(conflict=obj, by=request.user, note=note),
            Conflict.Status.DISMISSED: lambda: facts.conflict_dismiss(conflict=obj, by=request.user, reason=note),
            Conflict.Status.OPEN: lambda: facts.conflict_reopen(conflict=obj, by=request.user, note=note),
        }[status]
        saved = service()
        for name in ("status", "triage_note", "triaged_by_id", "triaged_at"):
            setattr(obj, name, getattr(saved, name))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ServiceError, ValidationError) as exc:
            self.message_user(request, f"Nothing was saved: {_error_text(exc)}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _triage(self, request, queryset, service, **kwargs) -> None:
        done, refused = 0, []
        for conflict in queryset:
            try:
                service(conflict=conflict, by=request.user, **kwargs)
                done += 1
            except (ServiceError, ValidationError) as exc:
                refused.append(f"#{conflict.pk}: {_error_text(exc)}")
        if done:
            self.message_user(request, f"{done} conflict(s) updated.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not changed: " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Confirm: the claims disagree", permissions=["change"])
    def confirm(self, request, queryset):
        self._triage(request, queryset, facts.conflict_confirm, note=request.POST.get("note", ""))

    @admin.action(description="Dismiss (give the reason in the box)", permissions=["change"])
    def dismiss(self, request, queryset):
        self._triage(request, queryset, facts.conflict_dismiss, reason=request.POST.get("note", ""))

    @admin.action(description="Reopen", permissions=["change"])
    def reopen(self, request, queryset):
        self._triage(request, queryset, facts.conflict_reopen, note=request.POST.get("note", ""))

    def get_urls(self):
        return [
            path("timeline/", self.admin_site.admin_view(self.timeline_view), name="claims_conflict_timeline"),
            path("graph/", self.admin_site.admin_view(self.graph_view), name="claims_conflict_graph"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "timeline_url": reverse("admin:claims_conflict_timeline"),
            "graph_url": reverse("admin:claims_conflict_graph"),
        }
        return super().changelist_view(request, extra_context)

    def _page(self, request, title: str, template: str, **context):
        if not request.user.has_perm("claims.view_claim"):
            raise PermissionDenied
        return render(
            request,
            template,
            {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **context},
        )

    def timeline_view(self, request):
        """Who knew what when, and when relationships began and ended, across every claim."""
        return self._page(
            request,
            "Timeline",
            "admin/claims/facts/timeline.html",
            items=timeline(Claim.objects.visible_to(request.user)),
        )

    def graph_view(self, request):
        graph = build_graph(graph_contracts(Claim.objects.visible_to(request.user))[0])
        svg = render_svg(graph, link=lambda e: reverse("admin:claims_entity_change", args=[e.pk]))
        return self._page(
            request,
            "Relationships between entities",
            "admin/claims/facts/graph.html",
            svg=mark_safe(svg),  # render_svg escapes every text it draws
            graph=graph,
        )
