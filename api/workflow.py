"""Workflow endpoints of the API (POST /api/claims/{id}/<transition>/), each calling one service."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import dumps, error_responses
from api.claims import ApiView, claim_written_response, expected_version, visible_claim
from api.serializers import ClaimOutSerializer
from api.workflow_serializers import (
    AssignSerializer,
    CorrectSerializer,
    NoteSerializer,
    PublishSerializer,
    ReasonSerializer,
    ReviewOutSerializer,
    ReviewSerializer,
)
from claims.models import Claim
from reviews import services
from reviews.agreement import agreement_report
from reviews.roles import is_editor

IF_MATCH_NOTE = "Send If-Match with the claim's ETag to make sure nobody changed it since you loaded it (412)."


class TransitionView(ApiView):
    """Validate the body with `input_serializer`, call `transition(claim=, by=, ...)`, return the claim."""

    input_serializer = NoteSerializer
    queryset = Claim.objects.none()
    serializer_class = ClaimOutSerializer

    def transition(self, **kwargs):
        raise NotImplementedError

    def post(self, request, pk: int):
        version = expected_version(request, required=False)
        claim = visible_claim(request.user, pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.transition(claim=claim, by=request.user, expected_version=version, **data.validated_data)
        return claim_written_response(request, claim)


def _transition_schema(summary: str, serializer, example: dict | None = None) -> extend_schema:
    return extend_schema(
        summary=summary,
        description=IF_MATCH_NOTE,
        request=serializer,
        # With the demo data's names, so that "Try it out" (and Schemathesis) get past validation.
        examples=[OpenApiExample("Example", value=example, request_only=True)] if example else None,
        responses={200: ClaimOutSerializer, **error_responses(400, 401, 403, 404, 409, 412, 413, 415, 429)},
        tags=["workflow"],
    )


class SubmitView(TransitionView):
    """Draft → submitted."""

    transition = staticmethod(services.claim_submit_for_review)

    @_transition_schema("Submit a draft for review", NoteSerializer, {"note": "Ready: two outlets quoted."})
    def post(self, request, pk: int):
        return super().post(request, pk)


class AssignView(TransitionView):
    """Submitted or in review → in review, with these reviewers."""

    input_serializer = AssignSerializer
    transition = staticmethod(services.claim_assign_reviewers)

    @_transition_schema("Assign reviewers", AssignSerializer, {"reviewers": ["reviewer1", "reviewer2"]})
    def post(self, request, pk: int):
        return super().post(request, pk)


class SendBackView(TransitionView):
    """Any state before publication → draft, with a reason."""

    input_serializer = ReasonSerializer
    transition = staticmethod(services.claim_send_back)

    @_transition_schema("Send a claim back to draft", ReasonSerializer, {"reason": "The quote needs its source."})
    def post(self, request, pk: int):
        return super().post(request, pk)


class PublishView(TransitionView):
    """Reviewed → published: verdict version 1."""

    input_serializer = PublishSerializer
    transition = staticmethod(services.claim_publish)

    @_transition_schema(
        "Publish the verdict",
        PublishSerializer,
        {"rating": "false", "summary": "The contract records show otherwise.", "resolution": "Both reviews agree."},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


class CorrectView(TransitionView):
    """A new verdict version with a correction note."""

    input_serializer = CorrectSerializer
    transition = staticmethod(services.verdict_correct)

    @_transition_schema(
        "Correct the verdict",
        CorrectSerializer,
        {"rating": "mostly-true", "summary": "Accurate, but the date was wrong.", "note": "Fixed a date."},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


class RetractView(TransitionView):
    """Published → retracted, with a reason."""

    input_serializer = ReasonSerializer
    transition = staticmethod(services.verdict_retract)

    @_transition_schema("Retract the verdict", ReasonSerializer, {"reason": "The source was withdrawn."})
    def post(self, request, pk: int):
        return super().post(request, pk)


class ReviewCreateView(ApiView):
    """An assigned reviewer records their independent review with evidence."""

    queryset = Claim.objects.none()
    serializer_class = ReviewSerializer

    @extend_schema(
        summary="Record your review",
        request=ReviewSerializer,
        responses={201: ReviewOutSerializer, **error_responses(400, 401, 403, 404, 409, 413, 415, 429)},
        tags=["workflow"],
    )
    def post(self, request, pk: int):
        claim = visible_claim(request.user, pk)
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_record(claim=claim, reviewer=request.user, **data.validated_data)
        body = {
            "claim": claim.pk,
            "claim_status": claim.status,
            "rating": review.rating.slug,
            "status": review.status,
            "version": review.version,
        }
        return HttpResponse(dumps(body), status=201, content_type="application/json")


# --- Agreement report (workflow helper) ------------------------------------------------------


class IsEditor(BasePermission):
    """Editors only: who may compare reviewers' ratings, in the API as in the admin."""

    message = "Only editors see the inter-reviewer agreement."

    def has_permission(self, request, view) -> bool:
        return is_editor(request.user)


class AgreementView(APIView):
    """GET /api/agreement/: inter-reviewer agreement (percent and Cohen's kappa), editors only."""

    permission_classes = [IsEditor]

    @extend_schema(
        summary="Inter-reviewer agreement",
        description="Per pair of reviewers, overall and per claim kind: percent agreement and Cohen's kappa.",
        responses={200: OpenApiTypes.OBJECT, **error_responses(401, 403, 429)},
        tags=["workflow"],
    )
    def get(self, request):
        return Response(agreement_report())
