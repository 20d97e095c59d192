"""Feed filters (django-filter). Each filter narrows the page query with a subquery, so the
number of queries per request stays the same whatever is filtered."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters.fields import IsoDateTimeField

from api.base import checked_datetime
from claims.facts.services import FACT_MODELS
from claims.models import (
    FACT_AMOUNT_LIMIT,
    Appearance,
    Claim,
    ClaimSearch,
    Currency,
    Period,
    SourceDocument,
    WageFigure,
)
from reviews.models import Verdict

# The text search configuration for claims, summaries and quotes (the articles are English).
SEARCH_CONFIG = "english"


class LeaderSearchQuery(SearchQuery):
    """websearch_to_tsquery() through claims_search_query() (reviews migration 0018), marked
    PARALLEL RESTRICTED: PostgreSQL runs the search in one process. Split across workers, the
    walk of the feed's date order that fills a page reads far past it (5x the buffers and
    the time for a common word at 1,000,000 claims)."""

    def __init__(self, value: str, *, config: str):
        super().__init__(value, config=config, search_type="websearch")
        self.function = "claims_search_query"


# The largest id a 64-bit primary key holds; bigger numbers can only be slugs (or nothing).
MAX_ID = 2**63 - 1


def _slug_or_id(value: str, *, id_field: str, slug_field: str) -> Q:
    if value.isdigit() and int(value) <= MAX_ID:
        return Q(**{id_field: int(value)})
    return Q(**{slug_field: value})


class IdFilter(django_filters.NumberFilter):
    """A primary key: a whole number within the database's range (else a 400, not an overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class CheckedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed and checked_datetime(parsed)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date and time whose offset and range the database can handle (else a 400)."""

    field_class = CheckedIsoDateTimeField


FACT_KINDS = ("wage", "contract", "knowledge", "quantity", "event")
RATE_PERIODS = [(Period.HOUR, "per hour"), (Period.MONTH, "per month")]


class ClaimFilterForm(forms.Form):
    """Wage amounts only mean something in one currency and per one period: both are required with them."""

    def clean(self):
        data = super().clean()
        if data.get("amount_min") is not None or data.get("amount_max") is not None:
            for field, message in (
                ("per", "Say which period the amount is per: hour or month."),
                ("currency", "Say which currency the amount is in, e.g. USD."),
            ):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, message)
        return data


class ClaimFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Claim.Kind.choices, help_text="The claim's kind.")
    status = django_filters.ChoiceFilter(
        choices=Claim.Status.choices, help_text="Workflow status (the public only ever sees published and retracted)."
    )
    rating = django_filters.CharFilter(method="filter_rating", help_text="The current verdict's rating slug.")
    claimant = django_filters.CharFilter(method="filter_claimant", help_text="The claimant's slug or id.")
    entity = django_filters.CharFilter(method="filter_entity", help_text="Slug or id of an entity the claim is about.")
    document = IdFilter(method="filter_document", help_text="Id of a document the claim appears in.")
    outlet = django_filters.CharFilter(method="filter_outlet", help_text="Outlet of a document it appears in.")
    published_after = DateTimeFilter(
        field_name="published_at", lookup_expr="gte", help_text="First verdict published at or after (ISO 8601)."
    )
    published_before = DateTimeFilter(
        field_name="published_at", lookup_expr="lt", help_text="First verdict published before (ISO 8601)."
    )
    updated_since = DateTimeFilter(
        field_name="verdict_updated_at",
        lookup_expr="gte",
        help_text=(
            "Deprecated for syncing: latest verdict version at or after (ISO 8601). The verdict's date "
            "misses edits and late commits; mirror with /api/changes/ instead."
        ),
    )
    has_corrections = django_filters.BooleanFilter(
        method="filter_has_corrections", help_text="Whether the verdict has been corrected."
    )
    fact = django_filters.ChoiceFilter(
        choices=[(kind, kind) for kind in FACT_KINDS],
        method="filter_fact",
        help_text="Only claims carrying this kind of structured fact.",
    )
    amount_min = django_filters.NumberFilter(
        method="filter_amount",
        min_value=0,
        max_value=FACT_AMOUNT_LIMIT,
        max_digits=20,
        decimal_places=4,
        help_text="Wage rates worth at least this much per `per`, in `currency` (both required), converted with the "
        "desk's assumptions before comparing; lump sums never match.",
    )
    amount_max = django_filters.NumberFilter(
        method="filter_amount",
        min_value=0,
        max_value=FACT_AMOUNT_LIMIT,
        max_digits=20,
        decimal_places=4,
        help_text="Wage rates worth at most this much per `per`, in `currency` (both required).",
    )
    per = django_filters.ChoiceFilter(
        choices=RATE_PERIODS, method="filter_nothing", help_text="The period of amount_min/amount_max."
    )
    currency = django_filters.ChoiceFilter(
        choices=Currency.choices,
        method="filter_currency",
        help_text="Wage figures in this currency (ISO 4217); required with amount_min/amount_max.",
    )
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text="Full-text search over claim text, verdict summaries and quotes (web search syntax on PostgreSQL).",
    )

    class Meta:
        model = Claim
        fields: list[str] = []
        form = ClaimFilterForm

    def filter_fact(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(id__in=FACT_MODELS[value].objects.values("claim_id"))

    def filter_nothing(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # `per` qualifies the amounts; it filters nothing by itself.
        return queryset

    def filter_currency(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(id__in=WageFigure.objects.filter(currency=value).values("claim_id"))

    def filter_amount(self, queryset: QuerySet, name: str, value) -> QuerySet:
        data = self.form.cleaned_data
        bound = {"at_least": value} if name == "amount_min" else {"at_most": value}
        rates = WageFigure.objects.rates(currency=data["currency"], per=data["per"], **bound)
        return queryset.filter(id__in=rates.values("claim_id"))

    def filter_rating(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        current = Verdict.objects.current().filter(rating__slug=value)
        return queryset.filter(id__in=current.values("claim_id"))

    def filter_claimant(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(_slug_or_id(value, id_field="claimant_id", slug_field="claimant__slug"))

    def filter_entity(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        links = Claim.entities.through.objects.filter(
            _slug_or_id(value, id_field="entity_id", slug_field="entity__slug")
        )
        return queryset.filter(id__in=links.values("claim_id"))

    def filter_document(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(id__in=Appearance.objects.filter(document_id=value).values("claim_id"))

    def filter_outlet(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        documents = SourceDocument.objects.filter(outlet__iexact=value).values("id")
        return queryset.filter(id__in=Appearance.objects.filter(document_id__in=documents).values("claim_id"))

    def filter_has_corrections(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        corrected = Q(id__in=Verdict.objects.filter(kind=Verdict.Kind.CORRECTION).values("claim_id"))
        return queryset.filter(corrected if value else ~corrected)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if connections[queryset.db].vendor == "postgresql":
            query = LeaderSearchQuery(value, config=SEARCH_CONFIG)
            # One stored document per claim (text, summaries, quotes; kept current by triggers):
            # for a common word the planner walks the feed's date order and tests each claim's
            # document until the page is full, for a rare one it starts from the GIN index. The
            # UNION of three searches it replaces hashed and sorted every match (5.6 s for a
            # common word at 1,000,000 claims).
            match = Q(Exists(ClaimSearch.objects.filter(claim_id=OuterRef("id"), document=query)))
        else:
            match = (
                Q(text__icontains=value)
                | Q(id__in=Verdict.objects.filter(summary__icontains=value).values("claim_id"))
                | Q(id__in=Appearance.objects.filter(exact__icontains=value).values("claim_id"))
            )
        return queryset.filter(match)


class DocumentFilter(django_filters.FilterSet):
    outlet = django_filters.CharFilter(field_name="outlet", lookup_expr="iexact", help_text="The outlet, any case.")

    class Meta:
        model = SourceDocument
        fields: list[str] = []
