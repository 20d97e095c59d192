"""Staff-only: other fact-checkers' ClaimReviews imported as context (reviews.ExternalReview)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers

from api.base import IdCursorPagination, error_responses
from api.claims import ApiView
from api.filters import IdFilter
from reviews.models import ExternalReview


class ExternalReviewSerializer(serializers.ModelSerializer):
    normalised_rating = serializers.SerializerMethodField(
        help_text="The rating on our scale (a rating slug), if mapped."
    )

    class Meta:
        model = ExternalReview
        fields = [
            "id",
            "url",
            "publisher",
            "publisher_url",
            "date_published",
            "claim_reviewed",
            "claimant",
            "appearance_url",
            "rating_text",
            "rating_value",
            "best_rating",
            "worst_rating",
            "normalised_rating",
            "claim",
            "match_score",
            "source",
            "imported_at",
            "updated_at",
        ]

    def get_normalised_rating(self, obj) -> str | None:
        return obj.normalised_rating_slug


class ExternalReviewFilter(django_filters.FilterSet):
    claim = IdFilter(field_name="claim_id", help_text="Reviews matched to this claim of ours.")
    publisher = django_filters.CharFilter(field_name="publisher", lookup_expr="iexact", help_text="The publisher.")
    matched = django_filters.BooleanFilter(
        field_name="claim", lookup_expr="isnull", exclude=True, help_text="Only those matched to a claim."
    )

    class Meta:
        model = ExternalReview
        fields: list[str] = []


class ExternalReviewPagination(IdCursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CanViewExternalReviews(permissions.BasePermission):
    # The list names the claims each review matched, hidden ones included: editors only, as in the admin.
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("reviews.view_externalreview")


class ExternalReviewListView(ApiView, generics.ListAPIView):
    """Other fact-checkers' reviews, newest import first, with their rating on our scale (editors)."""

    serializer_class = ExternalReviewSerializer
    filterset_class = ExternalReviewFilter
    pagination_class = ExternalReviewPagination
    permission_classes = [permissions.IsAuthenticated, CanViewExternalReviews]

    def get_queryset(self):
        return ExternalReview.objects.with_normalised_rating()

    @extend_schema(
        summary="Other fact-checkers' ClaimReviews",
        tags=["desk"],
        responses={200: ExternalReviewSerializer(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
