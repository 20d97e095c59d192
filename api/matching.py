"""POST /api/match/: the closest existing claims for a passage (staff only)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response

from api.base import error_responses
from api.claims import ApiView
from api.serializers import MatchRequestSerializer, MatchResponseSerializer, represent_matches
from claims.matching import match_claims


class MatchView(ApiView):
    """Score a passage against every claim text and anchored quote; nothing is merged or written."""

    permission_classes = [IsAdminUser]
    serializer_class = MatchResponseSerializer

    @extend_schema(
        summary="Find the claims closest to a passage",
        description=(
            "Up to 3 claims the caller may see whose text or anchored quotes are closest to `text` "
            "(character n-gram TF-IDF, cosine similarity), at or above the suggest threshold, best first. "
            "`likely_same` marks scores at or above the likely threshold. Text is at most 5,000 characters."
        ),
        request=MatchRequestSerializer,
        responses={200: MatchResponseSerializer, **error_responses(400, 401, 403, 413, 415, 429)},
        tags=["desk"],
    )
    def post(self, request):
        data = MatchRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        matches = match_claims(data.validated_data["text"], user=request.user)
        return Response(
            {
                "suggest_threshold": settings.MATCH_SUGGEST_THRESHOLD,
                "likely_threshold": settings.MATCH_LIKELY_THRESHOLD,
                "matches": represent_matches(matches),
            }
        )
