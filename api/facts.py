"""Read endpoints over structured facts: the entity graph, the timeline, and conflicts.

Each reader sees the facts of the claims they may see (Claim.objects.visible_to: the public the
published ones, reviewers also their assigned ones, editors all). Each endpoint runs
a fixed number of queries whatever the amount of data (pinned in tests/facts/test_api.py).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import fact_rows
from api.base import error_responses
from api.filters import MAX_ID, IdFilter
from claims.facts.graph import DISPUTED, GRAPH_LIMIT, GRAPH_MAX_LIMIT
from claims.models import Claim, Conflict, ContractRelation

# --- Serializers ------------------------------------------------------------------------------


class FactAppearanceSerializer(serializers.Serializer):
    document = serializers.IntegerField(source="document_id")
    source_file = serializers.CharField(source="document.source_file")
    title = serializers.CharField(source="document.title")
    outlet = serializers.CharField(source="document.outlet")
    published_on = serializers.DateField(source="document.published_on", allow_null=True)
    exact = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class FactClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    appearances = FactAppearanceSerializer(many=True, source="appearances.all")


class GraphNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    layer = serializers.IntegerField(help_text="Column along the chain, left to right (0 = nobody engaged it).")


class GraphRelationSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ContractRelation.Role.choices)
    status = serializers.ChoiceField(choices=ContractRelation.Status.choices)
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    stated_by = serializers.CharField(source="stated_by.slug", allow_null=True, default=None)
    claim = FactClaimSerializer()


class GraphEdgeSerializer(serializers.Serializer):
    source = serializers.IntegerField(source="source.pk")
    target = serializers.IntegerField(source="target.pk")
    roles = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(
        choices=[*ContractRelation.Status.values, DISPUTED],
        help_text="The claims' shared status ('unknown' agrees with anything); 'disputed' when they disagree.",
    )
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    relations = GraphRelationSerializer(many=True, help_text="Each claim behind the edge, with its appearances.")


class GraphSerializer(serializers.Serializer):
    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text="True when more relationships exist than `limit`: the newest are shown; narrow with `entity`."
    )


class GraphQuerySerializer(serializers.Serializer):
    entity = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Only relationships in which this entity takes part."
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=GRAPH_MAX_LIMIT,
        default=GRAPH_LIMIT,
        help_text="How many relationships (contract claims) at most, newest first.",
    )


class TimelineQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=GRAPH_MAX_LIMIT,
        default=GRAPH_LIMIT,
        help_text="The facts of this many claims at most: the newest claims that have any, shown in date order.",
    )


class TimelineItemSerializer(serializers.Serializer):
    date = serializers.DateField(allow_null=True)
    date_basis = serializers.ChoiceField(
        choices=["stated", "reported", "unknown"],
        help_text="'stated': the claim gives the date; 'reported': the date of the earliest source reporting it.",
    )
    kind = serializers.ChoiceField(choices=["knowledge", "contract_start", "contract_end", "event"])
    summary = serializers.CharField()
    when = serializers.CharField(help_text="When, as the source words it (e.g. 'after The Intercept's inquiry').")
    stated_by = serializers.CharField(source="stated_by.slug", allow_null=True, default=None)
    claim = FactClaimSerializer()


class ConflictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Conflict.Status.choices)
    field = serializers.CharField()
    claim_a = FactClaimSerializer()
    value_a = serializers.CharField()
    claim_b = FactClaimSerializer()
    value_b = serializers.CharField()
    explanation = serializers.CharField()
    triage_note = serializers.CharField()
    detected_at = serializers.DateTimeField()
    triaged_at = serializers.DateTimeField(allow_null=True)


# --- Views ------------------------------------------------------------------------------------


def _visible_claims(request):
    return Claim.objects.visible_to(request.user)


class EntityGraphView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The graph of contract relationships between entities",
        description=(
            "Nodes are entities; each edge is one (engager, engaged) pair with its status, dates and every "
            "claim (with appearances) behind it. Anonymous readers see only published claims."
        ),
        parameters=[GraphQuerySerializer],
        responses={200: GraphSerializer, **error_responses(400)},
        tags=["facts"],
    )
    def get(self, request):
        params = GraphQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        entity = params.validated_data.get("entity")
        return Response(
            fact_rows.graph(
                _visible_claims(request), around=[entity] if entity else (), limit=params.validated_data["limit"]
            )
        )


class TimelineView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Who knew what when, and when relationships began and ended",
        description=(
            "Knowledge, contract and event facts in date order, each with its claim and sources: those of the "
            "newest `limit` claims that have any (an archive of 100,000 claims would otherwise make a 60 MB answer "
            "and half a minute of a worker's time)."
        ),
        parameters=[TimelineQuerySerializer],
        responses={200: TimelineItemSerializer(many=True), **error_responses(400)},
        tags=["facts"],
    )
    def get(self, request):
        params = TimelineQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        claims = _visible_claims(request)
        with_facts = claims.filter(Q(knowledge__isnull=False) | Q(contract__isnull=False) | Q(event__isnull=False))
        newest = with_facts.order_by("-pk").values("pk")[: params.validated_data["limit"]]
        return Response(fact_rows.timeline(claims.filter(pk__in=newest)))


class ConflictFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Conflict.Status.choices)
    claim = IdFilter(method="filter_claim", label="A claim id, on either side of the conflict.")

    class Meta:
        model = Conflict
        fields = ["status", "claim", "field"]

    def filter_claim(self, queryset, name, value):
        return queryset.for_claims([value])


class ConflictPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200

    def get_offset(self, request):
        # An offset past what the database can count is an empty page, not an overflow.
        return min(super().get_offset(request), MAX_ID)


class ConflictListView(generics.ListAPIView):
    """Conflicts between claims. The public sees confirmed conflicts between published claims;
    reviewers confirmed ones between claims they may see; editors every conflict."""

    # Who sees what: Conflict.objects.visible_to, built on Claim.objects.visible_to.

    permission_classes = [AllowAny]
    serializer_class = ConflictSerializer
    filterset_class = ConflictFilter
    pagination_class = ConflictPagination

    def get_queryset(self):
        return Conflict.objects.visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        # Plain rows and dicts in the serializer's shape (api.fact_rows): the count, the page, its appearances.
        page = self.paginate_queryset(fact_rows.conflict_rows(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(fact_rows.conflicts_shown(page))

    @extend_schema(tags=["facts"], responses={200: ConflictSerializer(many=True), **error_responses(400)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
