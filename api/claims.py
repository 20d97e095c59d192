"""The claims API: the public feed (claims, documents, ClaimReview) and the desk's claim edits.

Reads go through api.feed (a fixed set of `.values()` queries, orjson) behind a
conditional-request check that costs one query (api.clock: the change log's position) and an
optional response cache keyed by the same position, so any write invalidates it at once.
Writes validate with a serializer and call one service in claims.services.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers

from api import claimreview, clock, feed
from api.base import (
    FeedCursorPagination,
    IdCursorPagination,
    JSONLDRenderer,
    ORJSONRenderer,
    PreconditionFailed,
    PreconditionRequired,
    ReadOrDeskMember,
    audience,
    caching_headers,
    check_body_size,
    conditional_response,
    dumps,
    dumps_jsonld,
    error_responses,
    make_etag,
)
from api.filters import MAX_ID, ClaimFilter, DocumentFilter
from api.serializers import (
    AppearanceOutWriteSerializer,
    AppearanceWriteSerializer,
    ClaimCreatedSerializer,
    ClaimOutSerializer,
    ClaimUpdateSerializer,
    ClaimWriteSerializer,
    DocumentDetailOutSerializer,
    DocumentOutSerializer,
    represent_matches,
)
from claims import services
from claims.errors import NotPermitted
from claims.matching import likely_duplicates
from claims.models import Claim, SourceDocument
from claims.querysets import NOT_ASSIGNED, PUBLIC_STATUSES, sees_all_claims, sees_assigned_claims

CONDITIONAL_PARAMETERS = [
    OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="An ETag you hold."),
    OpenApiParameter(
        "If-Modified-Since", OpenApiTypes.STR, OpenApiParameter.HEADER, description="An HTTP date you hold."
    ),
]
IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the claim as you loaded it (from GET). Stale: 412; missing: 428.",
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: your copy (ETag / date) is current.")
# The public set spans two statuses; see FeedCursorPagination.paginate_queryset.
PUBLIC_PARTITION = ("status", PUBLIC_STATUSES)
_IF_MATCH = re.compile(r'^\s*(?:W/)?"v(\d+)-[0-9a-f]+"\s*$')


def variant_for(user) -> str:
    """Which representation `user` gets, for ETags and the response cache: the public one, every
    claim (editors), or the public claims plus one reviewer's assigned ones."""
    if sees_all_claims(user):
        return "all"
    if sees_assigned_claims(user):
        return f"reviewer-{user.pk}"
    return "public"


def visible_claim(user, pk: int) -> Claim:
    """The claim `pk` if `user` may see it (Claim.objects.visible_to).

    Refusals, in the JSON error shape: 404 when the claim does not exist, and 404 for
    anonymous users and users who are not staff (the public must not learn that a draft
    exists); 403 naming the reason for staff who may not see it (a reviewer not assigned to it).
    """
    claim = Claim.objects.visible_to(user).filter(pk=pk).first()
    if claim is not None:
        return claim
    refuse_hidden_claim(user, pk)
    raise exceptions.NotFound("No such claim.")


def refuse_hidden_claim(user, pk: int) -> None:
    """Raise the refusal for a claim `user` may not see: 403 with the reason for reviewers
    (only when it exists), else nothing (the caller answers 404)."""
    if sees_assigned_claims(user) and Claim.objects.filter(pk=pk).exists():
        raise NotPermitted("claim_not_assigned", NOT_ASSIGNED)


def merged_redirect(request, pk: int, at: clock.Clock, url_name: str) -> HttpResponse | None:
    """301 to the survivor's address when claim `pk` was merged into another one (that the caller
    may see: else the survivor's own 404 or 403)."""
    if at.status != Claim.Status.MERGED:
        return None
    survivor = Claim.objects.merged_away().filter(pk=pk).values_list("merged_into_id", flat=True).first()
    visible_claim(request.user, survivor)
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(reverse(url_name, args=[survivor]) + (f"?{query}" if query else ""))


def claim_etag(request, at: clock.Clock, variant: str = "") -> str:
    """A claim's ETag starts with its version, which is what If-Match is checked against."""
    return make_etag(at.position, audience(request), variant, request.path, prefix=f"v{at.version}-")


def expected_version(request, *, required: bool) -> int | None:
    """The claim version named by If-Match: 428 when required and missing, 412 when unreadable."""
    header = request.META.get("HTTP_IF_MATCH")
    if not header:
        if required:
            raise PreconditionRequired()
        return None
    match = _IF_MATCH.match(header)
    if match is None:
        raise PreconditionFailed("If-Match does not hold an ETag of this claim; GET the claim and use its ETag.")
    return int(match.group(1))


def cached_response(
    request,
    at: clock.Clock,
    build: Callable[[], tuple[bytes, dict]],
    *,
    variant: str,
    etag: str | None = None,
    content_type: str = "application/json",
) -> HttpResponse:
    """A conditional GET on the change log's clock: 304 from the position alone, else the body.

    Public pages are cached under their ETag (position, URL): a write makes a new key at once,
    so nothing stale is ever served. Signed-in readers' pages are private and built each time.
    """
    etag = etag or make_etag(at.position, audience(request), variant, request.get_full_path())
    public = audience(request) == "public"
    return conditional_response(
        request,
        build,
        etag=etag,
        last_modified=at.at,
        content_type=content_type,
        cache_key=f"api:{etag}" if public else None,
    )


def content_response(request, build: Callable[[], tuple[bytes, dict]], *, variant: str) -> HttpResponse:
    """A conditional GET whose ETag is a digest of the body: for resources the change log does not cover.

    Source documents exist apart from claims (an import, or an edit of one no claim quotes, logs
    nothing), so their validator is their content: never stale, at the price of building the body.
    """
    body, headers = build()
    etag = make_etag(variant, audience(request), hashlib.blake2b(body, digest_size=16).hexdigest())
    return conditional_response(request, lambda: (body, headers), etag=etag, last_modified=None)


class ApiView(generics.GenericAPIView):
    renderer_classes = [ORJSONRenderer]
    permission_classes = [ReadOrDeskMember]

    def initial(self, request, *args, **kwargs):
        check_body_size(request)
        super().initial(request, *args, **kwargs)
        # <int:pk> matches any length of digits; no row has an id beyond the 64-bit range.
        if kwargs.get("pk", 0) > MAX_ID:
            raise exceptions.NotFound()

    @property
    def variant(self) -> str:
        return variant_for(self.request.user)


def represent_claim(pk: int, *, viewer, as_of=None, without: frozenset[str] = frozenset()) -> dict:
    rows = feed.claim_rows_by_ids([pk])
    return feed.represent_claims(rows, viewer=viewer, as_of=as_of, without=without)[0]


AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    OpenApiParameter.QUERY,
    description="A date (YYYY-MM-DD): show the verdict version that was current at the end of that day (UTC).",
)


def parse_as_of(request):
    """The end of the `as_of` day as an aware datetime, None without one; 400 naming the field otherwise."""
    value = request.query_params.get("as_of")
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise exceptions.ValidationError({"as_of": ["Give a date as YYYY-MM-DD."]}) from None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def claim_written_response(request, claim: Claim, *, status: int = 200, extra: dict | None = None) -> HttpResponse:
    """The claim as the user who just wrote it sees it (plus `extra`), with its new ETag."""
    at = clock.for_claim(claim.pk, request.user)
    body = {**represent_claim(claim.pk, viewer=request.user), **(extra or {})}
    response = HttpResponse(dumps(body), content_type="application/json")
    response.status_code = status
    if status == 201:
        response["Location"] = reverse("claim-detail", args=[claim.pk])
    return caching_headers(response, request, claim_etag(request, at, variant_for(request.user)), at.at)


class ClaimListView(ApiView, generics.ListAPIView):
    """Claims with their verdicts, appearances, evidence and conflicts. The public sees published
    claims; reviewers also the claims assigned to them; editors every claim."""

    # Who sees what: Claim.objects.visible_to, the rule every door uses.

    serializer_class = ClaimOutSerializer
    filterset_class = ClaimFilter
    pagination_class = FeedCursorPagination

    def get_queryset(self):
        return Claim.objects.visible_to(self.request.user)

    @extend_schema(
        summary="List claims (the public feed)",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: ClaimOutSerializer(many=True), 304: NOT_MODIFIED, **error_responses(400, 404, 429)},
        tags=["feed"],
    )
    def get(self, request, *args, **kwargs):
        public = self.variant == "public"

        def build():
            claims = self.filter_queryset(self.get_queryset())
            rows = self.paginator.paginate_queryset(
                feed.claim_rows(claims),
                request,
                public=public,
                partition=PUBLIC_PARTITION if public else None,
            )
            represented = feed.represent_claims(rows, viewer=request.user)
            return dumps(self.paginator.get_paginated_data(represented)), {}

        return cached_response(request, clock.for_list(request.user), build, variant=self.variant)

    @extend_schema(
        summary="Record a new claim (draft)",
        request=ClaimWriteSerializer,
        description=(
            "The claim is created even when it likely repeats an existing one: `possible_duplicates` lists "
            "the existing claims scoring at or above the likely threshold (as POST /api/match/), for the "
            "editor to merge or keep apart."
        ),
        responses={201: ClaimCreatedSerializer, **error_responses(400, 401, 403, 413, 415, 429)},
        examples=[
            OpenApiExample(
                "Example",
                value={
                    "text": "ProCom paid the incarcerated workers less than the state minimum wage.",
                    "kind": "wage",
                    "claimant": "the-intercept",
                    "entities": ["procom", "incarcerated-workers"],
                },
                request_only=True,
            )
        ],
        tags=["desk"],
    )
    def post(self, request, *args, **kwargs):
        data = ClaimWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        duplicates = likely_duplicates(data.validated_data["text"], user=request.user)
        claim = services.claim_create(by=request.user, **data.validated_data)
        return claim_written_response(
            request, claim, status=201, extra={"possible_duplicates": represent_matches(duplicates)}
        )


class ClaimDetailView(ApiView):
    """One claim, as in the feed. The public sees published claims (404 for others); reviewers also
    the claims assigned to them (403, saying why, for others); editors every claim.
    Staff edit it with PATCH/PUT and If-Match."""

    # Refusals: see visible_claim.

    serializer_class = ClaimOutSerializer
    queryset = Claim.objects.none()

    def visible_clock(self, pk: int, at: clock.Clock | None = None) -> clock.Clock:
        at = at or clock.for_claim(pk, self.request.user)
        if at.status is None:
            raise exceptions.NotFound("No such claim.")
        # The status decides for the public and for editors without another query.
        if at.status not in PUBLIC_STATUSES and self.variant != "all":
            visible_claim(self.request.user, pk)
        return at

    @extend_schema(
        summary="One claim",
        parameters=[*CONDITIONAL_PARAMETERS, AS_OF_PARAMETER],
        responses={200: ClaimOutSerializer, 304: NOT_MODIFIED, **error_responses(400, 403, 404, 429)},
        tags=["feed"],
    )
    def get(self, request, pk: int):
        as_of = parse_as_of(request)
        at = clock.for_claim(pk, request.user)
        redirect = merged_redirect(request, pk, at, "claim-detail")
        if redirect is not None:
            return redirect
        at = self.visible_clock(pk, at)

        def build():
            return dumps(represent_claim(pk, viewer=request.user, as_of=as_of)), {}

        # A past version is a different representation: its own ETag.
        variant = self.variant if as_of is None else f"{self.variant}-asof{as_of.date().isoformat()}"
        return cached_response(request, at, build, variant=variant, etag=claim_etag(request, at, variant))

    def _update(self, request, pk: int, *, partial: bool):
        claim = visible_claim(request.user, pk)
        version = expected_version(request, required=True)
        data = ClaimUpdateSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        claim = services.claim_update(claim=claim, by=request.user, expected_version=version, **data.validated_data)
        return claim_written_response(request, claim)

    @extend_schema(
        summary="Edit some of a claim's fields",
        parameters=[IF_MATCH_PARAMETER],
        request=ClaimUpdateSerializer,
        responses={200: ClaimOutSerializer, **error_responses(400, 401, 403, 404, 409, 412, 413, 415, 428, 429)},
        tags=["desk"],
    )
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(
        summary="Replace a claim's text, kind, claimant and entities",
        parameters=[IF_MATCH_PARAMETER],
        request=ClaimUpdateSerializer,
        responses={200: ClaimOutSerializer, **error_responses(400, 401, 403, 404, 409, 412, 413, 415, 428, 429)},
        tags=["desk"],
    )
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)


class AppearanceCreateView(ApiView):
    """Anchor a claim to a quote in a document (the offsets are found from the quote)."""

    serializer_class = AppearanceWriteSerializer
    queryset = Claim.objects.none()

    @extend_schema(
        summary="Add an appearance",
        request=AppearanceWriteSerializer,
        responses={201: AppearanceOutWriteSerializer, **error_responses(400, 401, 403, 404, 413, 415, 429)},
        tags=["desk"],
    )
    def post(self, request, pk: int):
        claim = visible_claim(request.user, pk)
        data = AppearanceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appearance = services.appearance_add(claim=claim, by=request.user, **data.validated_data)
        body = {
            "id": appearance.pk,
            "claim": claim.pk,
            "document": appearance.document_id,
            "exact": appearance.exact,
            "prefix": appearance.prefix,
            "suffix": appearance.suffix,
            "start": appearance.start,
            "end": appearance.end,
        }
        return HttpResponse(dumps(body), status=201, content_type="application/json")


class ClaimReviewView(ApiView):
    """The claim's verdict as one schema.org ClaimReview (JSON-LD)."""

    renderer_classes = [JSONLDRenderer, ORJSONRenderer]
    queryset = Claim.objects.none()
    serializer_class = serializers.Serializer

    @extend_schema(
        summary="schema.org ClaimReview of one verdict",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, 304: NOT_MODIFIED, **error_responses(404, 429)},
        tags=["claimreview"],
    )
    def get(self, request, pk: int):
        at = clock.for_claim(pk, request.user)
        redirect = merged_redirect(request, pk, at, "claim-claimreview")
        if redirect is not None:
            return redirect
        # Only a published (or retracted) verdict has a ClaimReview, for staff as for everyone.
        if at.status not in PUBLIC_STATUSES:
            raise exceptions.NotFound("This claim has no published verdict.")

        def build():
            claim = represent_claim(pk, viewer=None, without=feed.FOR_CLAIMREVIEW)
            return dumps_jsonld(claimreview.claim_review(claim)), {}

        return cached_response(request, at, build, variant="claimreview", content_type=JSONLDRenderer.media_type)


class ClaimReviewFeedPagination(FeedCursorPagination):
    page_size = 100


class ClaimReviewFeedView(ApiView, generics.ListAPIView):
    """Every public verdict as a schema.org DataFeed, retracted ones marked; the next page is in the `Link` header."""

    renderer_classes = [JSONLDRenderer, ORJSONRenderer]
    pagination_class = ClaimReviewFeedPagination
    serializer_class = serializers.Serializer
    filter_backends: list = []

    def get_queryset(self):
        # What the public sees, whoever asks: published and retracted verdicts.
        return Claim.objects.visible_to(None)

    @extend_schema(
        summary="schema.org DataFeed of ClaimReviews",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, 304: NOT_MODIFIED, **error_responses(400, 404, 429)},
        tags=["claimreview"],
    )
    def get(self, request, *args, **kwargs):
        # Public content for every reader, so the public clock: its time is the feed's dateModified.
        at = clock.for_list(None)

        def build():
            rows = self.paginator.paginate_queryset(
                feed.with_change_time(feed.claim_rows(self.get_queryset())),
                request,
                public=True,
                partition=PUBLIC_PARTITION,
            )
            changed_at = {row["id"]: row["changed_at"] for row in rows}
            claims = feed.represent_claims(rows, viewer=None, without=feed.FOR_CLAIMREVIEW)
            body = dumps_jsonld(claimreview.data_feed(claims, changed_at=changed_at, modified=at.at))
            links = [f'<{url}>; rel="{rel}"' for rel, url in (("next", self.paginator.next_link),) if url]
            links += [f'<{url}>; rel="prev"' for url in (self.paginator.previous_link,) if url]
            return body, ({"Link": ", ".join(links)} if links else {})

        return cached_response(request, at, build, variant="datafeed", content_type=JSONLDRenderer.media_type)


class DocumentPagination(IdCursorPagination):
    ordering = "id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class DocumentListView(ApiView, generics.ListAPIView):
    """The source documents (without their text)."""

    serializer_class = DocumentOutSerializer
    filterset_class = DocumentFilter
    pagination_class = DocumentPagination
    queryset = SourceDocument.objects.all()

    @extend_schema(
        summary="List source documents",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: DocumentOutSerializer(many=True), 304: NOT_MODIFIED, **error_responses(400, 404, 429)},
        tags=["feed"],
    )
    def get(self, request, *args, **kwargs):
        def build():
            documents = self.filter_queryset(self.get_queryset())
            rows = self.paginator.paginate_queryset(feed.document_rows(documents), request, view=self)
            data = self.paginator.get_paginated_response([feed.represent_document(row) for row in rows]).data
            return dumps(data), {}

        return content_response(request, build, variant="documents")


class DocumentDetailView(ApiView):
    """One source document with its full text."""

    serializer_class = DocumentDetailOutSerializer
    queryset = SourceDocument.objects.all()

    @extend_schema(
        summary="One source document, with its text",
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: DocumentDetailOutSerializer, 304: NOT_MODIFIED, **error_responses(404, 429)},
        tags=["feed"],
    )
    def get(self, request, pk: int):
        def build():
            row = feed.document_rows(SourceDocument.objects.filter(pk=pk), with_text=True).first()
            if row is None:
                raise exceptions.NotFound("No such document.")
            return dumps(feed.represent_document(row)), {}

        return content_response(request, build, variant="document")
