"""GET /api/changes/: the change log as a pull stream, in commit order.

A mirror keeps the `next` token of the last page it applied and asks for `?after=<token>`;
positions become visible in commit order (claims/changelog.py), so nothing committed later can
appear behind a token already handed out. Each reader sees the changes of
`Change.objects.visible_to(user)`: the public sees every change made while a claim was public,
a claim leaving the public view included (`left_public_view`). One query per page (each event's
`url`, the claim's public page, comes with it).
"""

from __future__ import annotations

import base64
import binascii

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers

from api import clock
from api.base import dumps, error_responses
from api.claims import CONDITIONAL_PARAMETERS, NOT_MODIFIED, ApiView, cached_response
from claims.changelog import as_events
from claims.models import Change, Claim

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_TOKEN_PREFIX = b"chg1:"


def encode_token(position: int) -> str:
    """The opaque resume token for `position` (the last position a reader has seen)."""
    return base64.urlsafe_b64encode(_TOKEN_PREFIX + str(position).encode()).decode().rstrip("=")


def decode_token(raw: str | None) -> int:
    """The position a token stands for; 400 naming `after` when it is not one of ours."""
    if raw in (None, ""):
        return 0
    try:
        data = base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4))
        if not data.startswith(_TOKEN_PREFIX):
            raise ValueError
        digits = data.removeprefix(_TOKEN_PREFIX)
        if not digits.isdigit():
            raise ValueError
        position = int(digits)
        if position > 2**63 - 1:
            raise ValueError
    except (ValueError, UnicodeEncodeError, binascii.Error):
        raise exceptions.ValidationError(
            {"after": ["Not a token this API handed out: pass the `next` value of a previous page, or nothing."]}
        ) from None
    return position


def page_size(raw: str | None) -> int:
    if raw is None:
        return PAGE_SIZE
    message = f"A whole number from 1 to {MAX_PAGE_SIZE}."
    try:
        size = int(raw)
    except ValueError:
        raise exceptions.ValidationError({"page_size": [message]}) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError({"page_size": [message]})
    return size


class ChangeEventSerializer(serializers.Serializer):
    """One change (claims.changelog.as_event): the same shape as a webhook's payload."""

    position = serializers.IntegerField(help_text="The change's place in commit order.")
    claim = serializers.IntegerField(help_text="The claim's id; GET /api/claims/{claim}/ for its state now.")
    kind = serializers.ChoiceField(choices=Change.Kind.choices, help_text="What changed.")
    status = serializers.ChoiceField(choices=Claim.Status.choices, help_text="The claim's status after the change.")
    public = serializers.BooleanField(help_text="Whether the public sees the claim after the change.")
    left_public_view = serializers.BooleanField(
        help_text="True when the change took the claim out of the public view: drop it from a public mirror."
    )
    at = serializers.DateTimeField(help_text="When the change was written (positions, not times, give the order).")
    url = serializers.URLField(
        allow_null=True, help_text="The claim's public page when the public sees the claim after the change, else null."
    )
    detail = serializers.DictField(help_text="Specifics, by kind: fields edited, verdict version, document, ...")


class ChangesPageSerializer(serializers.Serializer):
    results = ChangeEventSerializer(many=True)
    next = serializers.CharField(help_text="The token to pass as `after` for the following changes; keep it.")
    has_more = serializers.BooleanField(help_text="More changes are waiting: ask again at once with `after=next`.")


class ChangesView(ApiView):
    """The change log, in commit order, from a token on; what you see follows who you are."""

    serializer_class = ChangesPageSerializer
    queryset = Change.objects.none()

    @extend_schema(
        summary="Changes since a token (to mirror the feed)",
        description=(
            "Changes in commit order. Start without `after`, apply each page (re-fetch "
            "`/api/claims/{claim}/`; a 404 or `left_public_view` means the claim left your view), "
            "keep `next`, and ask again with `after=<next>`. A token never skips a change: one "
            "committed later always gets a later position. Gaps in positions are rolled-back writes."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                OpenApiTypes.STR,
                description="The `next` token of the last page you applied; none: from the start.",
            ),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description=f"Changes per page, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE}).",
            ),
            *CONDITIONAL_PARAMETERS,
        ],
        responses={200: ChangesPageSerializer, 304: NOT_MODIFIED, **error_responses(400, 429)},
        tags=["feed"],
    )
    def get(self, request):
        after = decode_token(request.query_params.get("after"))
        size = page_size(request.query_params.get("page_size"))

        def build():
            rows = list(
                Change.objects.visible_to(request.user)
                .filter(position__gt=after)
                .with_page_slug()
                .order_by("position")[: size + 1]
            )
            page = rows[:size]
            body = {
                "results": as_events(page),
                "next": encode_token(page[-1].position if page else after),
                "has_more": len(rows) > size,
            }
            return dumps(body), {}

        return cached_response(request, clock.for_list(request.user), build, variant="changes")
