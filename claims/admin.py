"""The editors' workspace. Every save goes through claims.services, like the API's."""

from __future__ import annotations

from itertools import pairwise

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from claims import matching, services, suggestions
from claims.admin_refusal import RefuseHiddenAdminMixin
from claims.errors import ServiceError
from claims.facts.admin import CLAIM_FACT_INLINES, EntityGraphInline  # structured facts, conflicts, graph
from claims.models import Appearance, Claim, Entity, SourceDocument
from claims.querysets import NOT_ASSIGNED, PUBLIC_STATUSES, claim_visibility
from claims.reanchor import AnchorState
from claims.submit_once import new_token, submit_once


def _adopt(obj, saved) -> None:
    """Make the admin's in-memory object the row a service saved (the admin reads pk and fields after)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _formfield(db_field, **kwargs):
    # Django 6 makes https the default scheme for typed-in URLs; opt in now.
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


# For the ModelAdmins' generated forms.
URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


def _claim_link(claim: Claim) -> str:
    return format_html('<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[claim.pk]), claim.slug)


# --- Entities -----------------------------------------------------------------------


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES
    inlines = [EntityGraphInline]
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "kind", "description", "url"]

    def save_model(self, request, obj, form, change):
        values = {field: form.cleaned_data[field] for field in self.fields}
        if change:
            saved = services.entity_update(entity=obj, by=request.user, **values)
        else:
            saved = services.entity_create(by=request.user, **values)
        _adopt(obj, saved)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Claims point at entities (PROTECT); merging duplicates is a job for an editor by hand.
        return False


# --- Source documents ---------------------------------------------------------------


def highlighted_text(
    document: SourceDocument, appearances: list[Appearance], suggested: list[suggestions.Suggestion] = ()
) -> str:
    """The document's text with every anchored span in a <mark>, overlapping spans merged, and
    suggested sentences not yet anchored in a <mark class="suggested">."""
    text = document.text
    spans = [(a.start, a.end) for a in appearances] + [(s.sentence.start, s.sentence.end) for s in suggested]
    cuts = sorted({0, len(text), *(start for start, _ in spans), *(end for _, end in spans)})
    pieces = []
    for start, end in pairwise(cuts):
        covering = [a for a in appearances if a.start <= start and end <= a.end]
        proposing = [s for s in suggested if s.sentence.start <= start and end <= s.sentence.end]
        if covering:
            slugs = ", ".join(sorted({a.claim.slug for a in covering}))
            pieces.append(format_html('<mark title="{}">{}</mark>', slugs, text[start:end]))
        elif proposing:
            pieces.append(
                format_html(
                    '<mark class="suggested" id="suggested-{}" title="suggested claim, score {}">{}</mark>',
                    proposing[0].sentence.start,
                    proposing[0].score,
                    text[start:end],
                )
            )
        else:
            pieces.append(format_html("{}", text[start:end]))
    return mark_safe("".join(pieces))  # each piece was escaped by format_html


class SourceDocumentForm(forms.ModelForm):
    class Meta:
        model = SourceDocument
        fields = ["title", "outlet", "author", "published_on", "url"]
        formfield_callback = _formfield


class DocumentAddForm(forms.Form):
    """One of: a .txt/.html file, pasted text, or a URL to fetch; metadata is optional (a page's own
    title, outlet, author and date are used where the fields are left blank)."""

    url = forms.CharField(
        required=False,
        max_length=500,
        label="URL",
        widget=forms.TextInput(attrs={"size": 70}),
        help_text="The article is fetched and its main text extracted.",
    )
    file = forms.FileField(required=False, help_text="A .txt file (stored exactly) or a saved .html page.")
    text = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 8, "cols": 80}), label="Or paste the text"
    )
    name = forms.CharField(
        required=False,
        max_length=200,
        help_text="For pasted text: a name for its source (pasting a changed text under the same name makes a new "
        "version). Defaults to the title.",
    )
    title = forms.CharField(required=False, max_length=300)
    outlet = forms.CharField(required=False, max_length=200)
    author = forms.CharField(required=False, max_length=200)
    published_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        given = [field for field in ("url", "file", "text") if cleaned.get(field)]
        if len(given) != 1:
            raise ValidationError("Give exactly one of: a URL, a file, or pasted text.", code="one_source")
        if given == ["text"] and not (cleaned.get("name") or cleaned.get("title")):
            self.add_error("name", "Pasted text needs a name or a title, so a later paste can be its new version.")
        return cleaned

    def import_document(self, *, by) -> services.ImportResult:
        data = self.cleaned_data
        metadata = services.DocumentMetadata(
            title=data["title"], outlet=data["outlet"], author=data["author"], published_on=data["published_on"]
        )
        if data["url"]:
            return services.document_import_url(url=data["url"], metadata=metadata, by=by)
        if data["file"]:
            upload = data["file"]
            if upload.size > settings.DOCUMENT_MAX_BYTES * 5:
                raise ServiceError("document_too_large", f"{upload.name}: {upload.size} bytes is too large")
            return services.document_import_upload(name=upload.name, raw=upload.read(), metadata=metadata, by=by)
        source = f"{slugify(data['name'] or data['title'])[:200] or 'pasted'}.txt"
        return services.document_import(text=data["text"], source_file=source, metadata=metadata, by=by)


@admin.register(SourceDocument)
class SourceDocumentAdmin(admin.ModelAdmin):
    form = SourceDocumentForm
    formfield_overrides = URL_OVERRIDES
    list_display = ["__str__", "source_file", "outlet", "published_on", "appearance_count", "is_latest", "imported_at"]
    list_filter = ["outlet"]
    # An order for the list and for the autocomplete's pages (unordered pages may repeat rows).
    ordering = ["source_file", "id"]
    search_fields = ["title", "source_file", "outlet", "author"]
    readonly_fields = [
        "source_file",
        "sha256",
        "imported_at",
        "versions",
        "appearance_list",
        "suggested_claims",
        "text_with_appearances",
    ]
    fieldsets = [
        (None, {"fields": ["title", "outlet", "author", "published_on", "url"]}),
        ("Import", {"fields": ["source_file", "sha256", "imported_at", "versions"]}),
        ("Appearances", {"fields": ["appearance_list"]}),
        ("Suggested claims (sentences ranked by check-worthiness)", {"fields": ["suggested_claims"]}),
        ("Text (exactly as imported; never edited)", {"fields": ["text_with_appearances"]}),
    ]

    def get_queryset(self, request):
        # Counts and lists only the quotes of claims the user may see.
        visible = claim_visibility(request.user, "appearances__claim__")
        return (
            super()
            .get_queryset(request)
            .annotate(
                appearance_count=Count("appearances", filter=visible or None),
                superseded=Exists(SourceDocument.objects.filter(previous_version=OuterRef("pk"))),
            )
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            anchored = Appearance.objects.visible_to(request.user).filter(document=obj).select_related("claim")
            obj.anchored = list(anchored.order_by("start", "end", "claim_id"))
            obj.suggested = self._suggestions(request, obj)
        return obj

    def _suggestions(self, request, document) -> list[tuple[suggestions.Suggestion, matching.Match | None]]:
        """The top sentences not anchored yet, each with the claim it most likely repeats."""
        anchored = [(a.start, a.end) for a in document.anchored]
        ranked = [
            s
            for s in suggestions.rank(document.text)
            if not any(start < s.sentence.end and s.sentence.start < end for start, end in anchored)
        ][: self.suggestions_shown]
        return [(s, next(iter(matching.match_claims(s.sentence.text, user=request.user, k=1)), None)) for s in ranked]

    suggestions_shown = 8

    def get_urls(self):
        view = self.admin_site.admin_view(self.suggestion_view)
        return [
            path("<path:object_id>/suggestion/", view, name="claims_sourcedocument_suggestion"),
            *super().get_urls(),
        ]

    def suggestion_view(self, request, object_id):
        """One click on a suggested sentence: a new draft claim anchored to it, or a new appearance
        of the claim it matched (both at the sentence's exact offsets)."""
        document = self.get_object(request, object_id)
        if request.method != "POST" or document is None:
            raise PermissionDenied
        action, _, rest = request.POST.get("suggestion", "").partition(":")
        try:
            start, end, claim_id = (int(part) if part else None for part in [*rest.split(":"), ""][:3])
            if action == "draft":
                claim = services.claim_create_from_passage(document=document, start=start, end=end, by=request.user)
                self.message_user(request, f"Draft claim {claim.slug} anchored at {start}..{end}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
            if action == "appearance":
                claim = Claim.objects.visible_to(request.user).get(pk=claim_id)
                services.appearance_add(
                    claim=claim,
                    document=document,
                    quote=document.text[start:end],
                    start=start,
                    end=end,
                    by=request.user,
                )
                self.message_user(request, f"Added an appearance of {claim.slug} at {start}..{end}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:claims_sourcedocument_change", args=[document.pk]))
            raise ValueError(action)
        except (ValueError, TypeError, Claim.DoesNotExist):
            self.message_user(request, "That suggestion could not be read; nothing was saved.", messages.ERROR)
        except (ServiceError, ValidationError) as exc:
            message = exc.message if isinstance(exc, ServiceError) else " ".join(exc.messages)
            self.message_user(request, f"Nothing was saved: {message}", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:claims_sourcedocument_change", args=[document.pk]))

    @admin.display(description="suggestions")
    def suggested_claims(self, obj) -> str:
        if not obj.suggested:
            return "No sentence left to suggest."
        action = reverse("admin:claims_sourcedocument_suggestion", args=[obj.pk])
        rows = []
        for suggestion, match in obj.suggested:
            s = suggestion.sentence
            buttons = format_html(
                '<button type="submit" class="button" formaction="{}" formnovalidate name="suggestion" '
                'value="draft:{}:{}">New draft claim</button>',
                action,
                s.start,
                s.end,
            )
            if match is not None:
                buttons += format_html(
                    ' <button type="submit" class="button" formaction="{}" formnovalidate name="suggestion" '
                    'value="appearance:{}:{}:{}">Appearance of {}</button> <small>matched {} (score {}): <q>{}</q></small>',
                    action,
                    s.start,
                    s.end,
                    match.claim_id,
                    Claim.objects.filter(pk=match.claim_id).values_list("slug", flat=True).first(),
                    match.matched,
                    match.score,
                    match.passage,
                )
            rows.append(
                format_html(
                    '<li class="suggestion" data-start="{}" data-end="{}"><a href="#suggested-{}">{}</a> '
                    "<small>score {} · {}</small><br>{}</li>",
                    s.start,
                    s.end,
                    s.start,
                    s.text,
                    suggestion.score,
                    ", ".join(suggestion.fired) or "no feature",
                    buttons,
                )
            )
        return format_html('<ol class="suggestions">{}</ol>', mark_safe("".join(rows)))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        """Title, file, outlet and author as usual, or the words anywhere in the text (full-text
        search with the GIN index on PostgreSQL, a substring match elsewhere)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return found, may_have_duplicates
        if connections[queryset.db].vendor == "postgresql":
            in_text = queryset.annotate(text_search=SearchVector("text", config="english")).filter(
                text_search=SearchQuery(term, config="english", search_type="websearch")
            )
        else:
            in_text = queryset.filter(text__icontains=term)
        return found | in_text, may_have_duplicates

    def add_view(self, request, form_url="", extra_context=None):
        """Add a document from the browser: an uploaded file, pasted text or a URL, through the
        same import service (checks and versioning) as import_documents."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DocumentAddForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = form.import_document(by=request.user)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                label = {"created": "Added", "unchanged": "Already here, unchanged:", "new_version": "New version of"}
                self.message_user(
                    request,
                    f"{label[result.status]} {result.document} (document {result.document.pk}).",
                    messages.SUCCESS,
                )
                if result.reanchoring is not None:
                    return self.reanchoring_report(request, result.reanchoring)
                return HttpResponseRedirect(reverse("admin:claims_sourcedocument_change", args=[result.document.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Add document",
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/claims/sourcedocument/add_document.html", context)

    def reanchoring_report(self, request, report: services.ReanchorReport) -> TemplateResponse:
        """What a new version did to the previous version's anchors, and the re-checks it opened."""

        def admin_url(obj) -> str:
            # Re-checks and evidence belong to the apps above claims: their admin URLs by name only.
            opts = obj._meta
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

        rows = [
            {
                "state": entry.outcome.state,
                "state_label": AnchorState(entry.outcome.state).label,
                "kind": entry.kind,
                "claim": entry.claim,
                "claim_url": reverse("admin:claims_claim_change", args=[entry.claim.pk]),
                "old_exact": entry.old_exact,
                "new_exact": entry.outcome.selector.exact if entry.outcome.selector else "",
                "where": (
                    f"{entry.outcome.selector.start}..{entry.outcome.selector.end}" if entry.outcome.selector else ""
                ),
                "reason": entry.outcome.reason,
            }
            for entry in report.entries
        ]
        rechecks = [
            {"url": admin_url(recheck), "claim": recheck.claim, "reason": recheck.get_reason_display()}
            for recheck in report.rechecks
        ]
        counts = [(state.label, report.count(state)) for state in AnchorState]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Re-anchoring report: {report.new}",
            "opts": self.model._meta,
            "report": report,
            "rows": rows,
            "counts": counts,
            "rechecks": rechecks,
            "new_url": reverse("admin:claims_sourcedocument_change", args=[report.new.pk]),
            "old_url": reverse("admin:claims_sourcedocument_change", args=[report.old.pk]),
        }
        return TemplateResponse(request, "admin/claims/sourcedocument/reanchor_report.html", context)

    def save_model(self, request, obj, form, change):
        saved = services.document_update_metadata(
            document=obj,
            by=request.user,
            **{field: form.cleaned_data[field] for field in SourceDocumentForm.Meta.fields},
        )
        _adopt(obj, saved)

    @admin.display(description="appearances", ordering="appearance_count")
    def appearance_count(self, obj) -> int:
        return obj.appearance_count

    @admin.display(description="latest version", boolean=True)
    def is_latest(self, obj) -> bool:
        return not obj.superseded

    @admin.display(description="versions")
    def versions(self, obj) -> str:
        links = []
        previous = obj.previous_version
        if previous is not None:
            url = reverse("admin:claims_sourcedocument_change", args=[previous.pk])
            links.append(format_html('previous: <a href="{}">document {}</a>', url, previous.pk))
        following = SourceDocument.objects.filter(previous_version=obj).first()
        if following is not None:
            url = reverse("admin:claims_sourcedocument_change", args=[following.pk])
            links.append(format_html('newer: <a href="{}">document {}</a>', url, following.pk))
        return mark_safe("; ".join(links)) if links else "only version"

    @admin.display(description="anchored quotes")
    def appearance_list(self, obj) -> str:
        if not obj.anchored:
            return "No claim is anchored in this document yet."
        rows = format_html_join(
            "",
            "<li>{}: <q>{}</q> ({}..{})</li>",
            ((_claim_link(a.claim), a.exact, a.start, a.end) for a in obj.anchored),
        )
        return format_html("<ol>{}</ol>", rows)

    @admin.display(description="text")
    def text_with_appearances(self, obj) -> str:
        return format_html(
            '<div class="document-text">{}</div>',
            highlighted_text(obj, obj.anchored, [s for s, _ in obj.suggested]),
        )


# --- Claims -------------------------------------------------------------------------


class AppearanceForm(forms.ModelForm):
    """The quote helper: the editor pastes a quote; the offsets and context are found in the text."""

    exact = forms.CharField(
        label="Quote",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Paste the quote; whitespace and quote styles need not match exactly.",
    )
    occurrence = forms.IntegerField(
        required=False, min_value=1, help_text="When the quote occurs several times: which one (1 = first)."
    )
    # Hints only, any length: the stored prefix/suffix are taken from the document.
    prefix = forms.CharField(required=False, label="Text just before", help_text="Optional, to tell repeats apart.")
    suffix = forms.CharField(required=False, label="Text just after")

    class Meta:
        model = Appearance
        fields = ["document", "exact", "occurrence", "prefix", "suffix"]
        # Column headers of the inline table, which show these labels over saved rows too.
        labels = {"exact": "Quote", "prefix": "Text just before", "suffix": "Text just after"}

    def clean(self):
        cleaned = super().clean()
        document, quote = cleaned.get("document"), cleaned.get("exact")
        if document is None or not quote:
            return cleaned
        try:
            selector = services.appearance_locate(
                document=document,
                quote=quote,
                prefix=cleaned.get("prefix") or "",
                suffix=cleaned.get("suffix") or "",
                occurrence=cleaned.get("occurrence"),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
            return cleaned
        claim_id = self.instance.claim_id
        if claim_id and (
            Appearance.objects.filter(claim_id=claim_id, document=document, start=selector.start, end=selector.end)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("exact", f"This claim is already anchored at {selector.start}..{selector.end} there.")
            return cleaned
        # The selector as it will be stored, so the model's own checks see the real slice.
        self.selector = selector
        cleaned.update(exact=selector.exact, prefix=selector.prefix, suffix=selector.suffix)
        self.instance.start, self.instance.end = selector.start, selector.end
        return cleaned


class AppearanceInline(admin.TabularInline):
    model = Appearance
    form = AppearanceForm
    extra = 1
    fields = [
        "document", "exact", "occurrence", "prefix", "suffix", "start", "end", "anchor_state", "anchor_note", "move",
    ]  # fmt: skip
    readonly_fields = ["start", "end", "anchor_state", "anchor_note", "move"]
    autocomplete_fields = ["document"]

    def get_queryset(self, request):
        appearances = super().get_queryset(request).select_related("document")
        # Shown read-only (anchors are immutable): the document's name, never its text.
        return appearances.defer("document__text") if request.method in ("GET", "HEAD") else appearances

    def has_change_permission(self, request, obj=None) -> bool:
        # Anchors are immutable: to move one, delete it and add the right quote.
        return False

    @admin.display(description="occurrence")
    def occurrence(self, obj) -> str:
        return ""

    @admin.display(description="move")
    def move(self, obj) -> str:
        if obj is None or obj.pk is None:
            return ""
        return format_html(
            '<a href="{}">Move to another claim</a>', reverse("admin:claims_appearance_move", args=[obj.pk])
        )


class ClaimForm(forms.ModelForm):
    # The version the editor loaded: claim_update refuses the save if someone saved since.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Shown (and needed) only when a new claim's text likely repeats an existing claim.
    not_a_duplicate = forms.BooleanField(
        required=False,
        label="Record it anyway",
        help_text="Tick after checking the likely duplicates listed above: this is a different checkable statement.",
    )

    class Meta:
        model = Claim
        fields = ["text", "slug", "kind", "claimant", "entities"]
        help_texts = {"slug": "Leave empty to derive it from the text."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and cleaned.get("text") and not cleaned.get("not_a_duplicate"):
            duplicates = matching.likely_duplicates(cleaned["text"], user=getattr(self, "user", None))
            if duplicates:
                claims = Claim.objects.in_bulk([m.claim_id for m in duplicates])
                items = format_html_join(
                    "",
                    "<li>{} (score {}): <q>{}</q></li>",
                    ((_claim_link(claims[m.claim_id]), m.score, m.passage) for m in duplicates),
                )
                raise ValidationError(
                    format_html(
                        "This text likely repeats a claim already tracked; add an appearance to it instead, or tick "
                        "“Record it anyway”.<ul>{}</ul>",
                        items,
                    ),
                    code="likely_duplicate",
                )
        if self.instance.pk:
            expected = cleaned.get("expected_version")
            current = Claim.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if expected != current:
                # Checked here for a form error; claim_update checks again under a row lock.
                raise ValidationError(
                    "Someone else saved this claim after you opened it (you loaded version %(loaded)s, it is now "
                    "version %(current)s); nothing was saved. Reload the page and apply your change again.",
                    code="stale_version",
                    params={"loaded": expected, "current": current},
                )
        return cleaned


class ShortListOrSearchFilter(admin.SimpleListFilter):
    """Links while the choice is short; a search box once the list would be too long to read.

    A desk with thousands of claimants and documents would otherwise get a sidebar of
    thousands of links on every changelist page (1 MB of HTML at 100,000 claims).
    """

    template = "admin/claims/search_filter.html"
    max_links = 30
    placeholder = "Name or id"

    def candidates(self, request):
        raise NotImplementedError

    def matching(self, value: str):
        """A Q for the claims matching `value`: an id picked from the links, or typed text."""
        raise NotImplementedError

    def lookups(self, request, model_admin):
        rows = list(self.candidates(request)[: self.max_links + 1])
        self.searchable = len(rows) > self.max_links
        return [] if self.searchable else [(str(row.pk), str(row)) for row in rows]

    def has_output(self):
        return self.searchable or super().has_output()

    def choices(self, changelist):
        if not self.searchable:
            yield from super().choices(changelist)
            return
        yield {
            "search": True,
            "parameter": self.parameter_name,
            "value": self.value() or "",
            "placeholder": self.placeholder,
            "hidden": [(k, v) for k, v in changelist.params.items() if k != self.parameter_name],
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(self.matching(value)) if value else queryset


class ClaimantFilter(ShortListOrSearchFilter):
    title = "claimant"
    parameter_name = "claimant"

    def candidates(self, request):
        return Entity.objects.filter(Exists(Claim.objects.filter(claimant=OuterRef("pk")))).order_by("name")

    def matching(self, value):
        if value.isdigit():
            return models.Q(claimant_id=int(value))
        return models.Q(claimant__slug=value) | models.Q(claimant__name__icontains=value)


class DocumentFilter(ShortListOrSearchFilter):
    title = "document"
    parameter_name = "document"
    placeholder = "Title, outlet, file or id"

    def candidates(self, request):
        return (
            SourceDocument.objects.filter(Exists(Appearance.objects.filter(document=OuterRef("pk"))))
            .only("id", "title", "source_file")  # not the text: a filter link needs only a name
            .order_by("source_file", "id")
        )

    def matching(self, value):
        if value.isdigit():
            documents = SourceDocument.objects.filter(pk=int(value))
        else:
            documents = SourceDocument.objects.filter(
                models.Q(title__icontains=value)
                | models.Q(outlet__icontains=value)
                | models.Q(source_file__icontains=value)
            )
        return models.Q(pk__in=Appearance.objects.filter(document__in=documents).values("claim_id"))


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(
        coerce=int, widget=forms.RadioSelect, help_text="The claim that stays; the other one is merged into it."
    )

    def __init__(self, *args, claims: list[Claim], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(c.pk, f"{c.slug} ({c.get_status_display().lower()})") for c in claims]


class MoveAppearanceForm(forms.Form):
    to = forms.CharField(label="To claim", help_text="The id or the slug of the claim the quote belongs to.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_to(self) -> Claim:
        value = self.cleaned_data["to"].strip()
        lookup = {"pk": int(value)} if value.isdigit() else {"slug": value}
        claim = Claim.objects.visible_to(self.user).filter(**lookup).first()
        if claim is None:
            raise ValidationError(f"There is no claim {value!r} that you may see.")
        return claim


def _appearance_count() -> Subquery:
    counted = Appearance.objects.filter(claim=OuterRef("pk")).order_by().values("claim").annotate(n=Count("*"))
    return Coalesce(Subquery(counted.values("n")), 0)


@admin.register(Claim)
class ClaimAdmin(RefuseHiddenAdminMixin, admin.ModelAdmin):
    """The claim pages, for the claims the user may see (Claim.objects.visible_to). The reviews app
    re-registers Claim with its workflow added on top (reviews/admin.py), so this app knows nothing of reviews."""

    hidden_reason = NOT_ASSIGNED

    form = ClaimForm
    # Other apps add their inlines here (structured facts; the workflow adds its own): keep it a plain list.
    inlines = [AppearanceInline, *CLAIM_FACT_INLINES]
    list_display = ["short_text", "kind", "status", "claimant", "appearance_count"]
    list_filter = ["kind", "status", ClaimantFilter, DocumentFilter]
    # "N results (M total)" costs a second count over the whole archive on every page.
    show_full_result_count = False
    list_select_related = ["claimant"]
    actions = ["merge_selected"]
    search_fields = ["text", "slug", "appearances__exact"]
    autocomplete_fields = ["claimant", "entities"]
    readonly_fields = ["status", "version", "first_appearance_link", "created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["text", "slug", "kind", "claimant", "entities", "expected_version"]}),
        ("State", {"fields": ["status", "version", "first_appearance_link", "created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        claims = super().get_queryset(request).visible_to(request.user)
        # A correlated count per shown row, not a GROUP BY over the join: the changelist's
        # pagination counts this queryset, and Django drops a subquery annotation from that count
        # (a plain count of claims) but has to group every claim with its appearances for an
        # aggregate one: 0.5 s at 100,000 claims on every page of the list.
        return claims.annotate(appearance_count=_appearance_count())

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # the duplicate check's confirmation, on the add page only
            (name, options), *rest = fieldsets
            fieldsets = [(name, {**options, "fields": [*options["fields"], "not_a_duplicate"]}), *rest]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # The duplicate check shows only claims this user may see.
        return type(form.__name__, (form,), {"user": request.user})

    def view_on_site(self, obj: Claim) -> str | None:
        """ "View on site" only where there is a public page: a published or retracted claim."""
        return obj.get_absolute_url() if obj.status in PUBLIC_STATUSES else None

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("slug")  # the slug is the claim's public key
            if obj.merged_into_id:
                readonly.append("merged_into_link")
        return readonly

    @admin.display(description="merged into")
    def merged_into_link(self, obj) -> str:
        return _claim_link(obj.merged_into) if obj.merged_into_id else "-"

    def get_urls(self):
        return [
            path("merge/", self.admin_site.admin_view(self.merge_view), name="claims_claim_merge"),
            path(
                "appearance/<int:appearance_id>/move/",
                self.admin_site.admin_view(self.move_appearance_view),
                name="claims_appearance_move",
            ),
            *super().get_urls(),
        ]

    def page_refused(self, request, reason: str, *, status: int) -> TemplateResponse:
        """The admin's refusal page (admin/refused.html) for a page that is not one object's."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Not allowed" if status == 403 else "Not found",
            "reason": reason,
            "changelist_url": reverse("admin:claims_claim_changelist"),
        }
        return TemplateResponse(request, "admin/refused.html", context, status=status)

    @admin.action(description="Merge the two selected claims…", permissions=["change"])
    def merge_selected(self, request, queryset):
        ids = sorted(queryset.values_list("pk", flat=True))
        if len(ids) != 2:
            self.message_user(request, "Select exactly two claims to merge.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:claims_claim_merge") + f"?ids={ids[0]},{ids[1]}")

    def merge_view(self, request):
        """Confirm a merge: the editor picks the survivor; claims.services.claim_merge does the rest."""
        raw = (request.POST.get("ids") or request.GET.get("ids") or "").split(",")
        ids = sorted({int(value) for value in raw if value.strip().isdigit()})
        if len(ids) != 2:
            return self.page_refused(request, "Select exactly two claims to merge.", status=404)
        if not self.has_change_permission(request):
            return self.page_refused(request, "Only editors merge claims.", status=403)
        claims = list(self.get_queryset(request).filter(pk__in=ids).select_related("claimant").order_by("pk"))
        if len(claims) != 2:
            missing = next(pk for pk in ids if pk not in {c.pk for c in claims})
            return self.refused(request, str(missing))
        form = MergeForm(request.POST or None, claims=claims)
        if request.method == "POST" and form.is_valid():
            survivor = next(c for c in claims if c.pk == form.cleaned_data["survivor"])
            merged = next(c for c in claims if c.pk != survivor.pk)
            try:
                result = services.claim_merge(survivor=survivor, merged=merged, by=request.user)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                kept = f"; kept on {merged.slug}: {', '.join(result.facts_kept)}" if result.facts_kept else ""
                self.message_user(
                    request,
                    f"Merged {merged.slug} into {survivor.slug}: {result.appearances_moved} appearances moved "
                    f"({result.appearances_already_there} already there), facts moved: "
                    f"{', '.join(result.facts_moved) or 'none'}{kept}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[survivor.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge two claims",
            "opts": self.model._meta,
            "form": form,
            "claims": claims,
            "ids": f"{claims[0].pk},{claims[1].pk}",
        }
        return TemplateResponse(request, "admin/claims/claim/merge.html", context)

    def move_appearance_view(self, request, appearance_id: int):
        """Move one appearance to the claim its quote really reports (claims.services.appearance_move)."""
        appearance = (
            Appearance.objects.visible_to(request.user)
            .select_related("claim", "document")
            .filter(pk=appearance_id)
            .first()
        )
        if appearance is None:
            return self.page_refused(request, "There is no appearance with that id that you may see.", status=404)
        if not request.user.has_perm("claims.change_appearance"):
            return self.page_refused(request, "Only editors move appearances.", status=403)
        back = reverse("admin:claims_claim_change", args=[appearance.claim_id])
        form = MoveAppearanceForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            target = form.cleaned_data["to"]
            try:
                services.appearance_move(appearance=appearance, to=target, by=request.user)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, f"Moved the appearance to {target.slug}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[target.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Move an appearance of {appearance.claim.slug}",
            "opts": self.model._meta,
            "form": form,
            "appearance": appearance,
            "back": back,
        }
        return TemplateResponse(request, "admin/claims/claim/move_appearance.html", context)

    def get_object(self, request, object_id, from_field=None):
        # The change page asks twice on a GET (the workflow's buttons, then the form): one load
        # per request. A POST always reads afresh, since it is about to write.
        if request.method not in ("GET", "HEAD"):
            return self._load_object(request, object_id, from_field)
        loaded = request.__dict__.setdefault("_claim_admin_objects", {})
        key = (str(object_id), from_field)
        if key not in loaded:
            loaded[key] = self._load_object(request, object_id, from_field)
        return loaded[key]

    def _load_object(self, request, object_id, from_field=None):
        appearances = Appearance.objects.select_related("document")
        if request.method in ("GET", "HEAD"):
            # The page names each document; its text (kilobytes each) is only read to check a quote.
            appearances = appearances.defer("document__text")
        # The claims this user may see, without the list's columns (counts, ratings, assignees):
        # one claim's page shows none of them.
        claims = self.model._default_manager.visible_to(request.user)
        queryset = claims.prefetch_related(Prefetch("appearances", queryset=appearances))
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None

    @admin.display(description="claim", ordering="text")
    def short_text(self, obj) -> str:
        return str(obj)

    @admin.display(description="appearances", ordering="appearance_count")
    def appearance_count(self, obj) -> int:
        return obj.appearance_count

    @admin.display(description="first appearance")
    def first_appearance_link(self, obj) -> str:
        first = obj.first_appearance if obj and obj.pk else None
        if first is None:
            return "-"
        url = reverse("admin:claims_sourcedocument_change", args=[first.document_id])
        return format_html('<a href="{}">{}</a>: <q>{}</q>', url, first.document, first.exact)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A double click on Save saves once (claims/submit_once.py), with no false "someone else saved".
        extra_context = {**(extra_context or {}), "submit_token": new_token()}
        return submit_once(request, lambda: self._changeform_once(request, object_id, form_url, extra_context))

    def _changeform_once(self, request, object_id, form_url, extra_context):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ServiceError, ValidationError) as exc:
            # Raised inside the admin's transaction, so nothing of this save was written.
            message = exc.message if isinstance(exc, ServiceError) else " ".join(exc.messages)
            self.message_user(request, f"Nothing was saved: {message}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.claim_update(
                claim=obj,
                by=request.user,
                expected_version=data["expected_version"],
                text=data["text"],
                kind=data["kind"],
                claimant=data["claimant"],
                entities=data["entities"],
            )
        else:
            saved = services.claim_create(
                text=data["text"],
                kind=data["kind"],
                claimant=data["claimant"],
                entities=data["entities"],
                slug=data.get("slug") or None,
                by=request.user,
            )
        _adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # Entities were set by the service in save_model; the form's own m2m save is skipped.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Appearance:
            return super().save_formset(request, form, formset, change)
        added, removed = [], []
        for appearance_form in formset.deleted_forms:
            if appearance_form.instance.pk:
                removed.append(appearance_form.instance)
                services.appearance_remove(appearance=appearance_form.instance, by=request.user)
        for appearance_form in formset.forms:
            if (
                appearance_form.instance.pk
                or not appearance_form.has_changed()
                or appearance_form in formset.deleted_forms
            ):
                continue
            selector = appearance_form.selector
            appearance = services.appearance_add(
                claim=form.instance,
                document=appearance_form.cleaned_data["document"],
                quote=selector.exact,
                start=selector.start,
                end=selector.end,
                by=request.user,
            )
            added.append(appearance)
        # What the admin's change message and history log read.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = added, [], removed
