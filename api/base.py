"""The API's shared plumbing: one JSON error shape, the orjson renderer, cursor pagination
and conditional-request helpers. (Token login is in tracker/auth.py.)

Every 4xx and 5xx answer from /api/ has the body
    {"type": "<machine name>", "detail": "<human sentence>", "rule": "<service rule>"?,
     "fields": {"<field>": ["<message>", ...]}?}
`rule` is present when a service refused the request (claims.errors.ServiceError);
`fields` when the input did not validate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, quote_etag
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from claims.errors import ServiceError

# --- Rendering -------------------------------------------------------------------------


def dumps(data: Any) -> bytes:
    # Lazy translation strings (DRF's messages) and Decimals are the only non-native types here.
    return orjson.dumps(data, default=str)


class ORJSONRenderer(BaseRenderer):
    """JSON via orjson: several times faster than the stdlib encoder on the feed's dicts."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


# JSON-LD is pasted into <script type="application/ld+json"> blocks: "</script>" or "<!--" in
# a claim would end or derail the script, and U+2028/U+2029 end lines in older JavaScript. In
# orjson's output these characters can only occur inside strings (none is JSON syntax, and a
# UTF-8 sequence never matches inside another character's bytes), so replacing them byte for
# byte with their \u escapes yields the same JSON value.
_SCRIPT_SAFE = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def dumps_jsonld(data: Any) -> bytes:
    """JSON safe to embed in an HTML <script> element: <, >, &, U+2028 and U+2029 as \\u escapes."""
    body = dumps(data)
    for raw, escaped in _SCRIPT_SAFE:
        body = body.replace(raw, escaped)
    return body


class JSONLDRenderer(ORJSONRenderer):
    """schema.org JSON-LD (ClaimReview), script-safe. Clients asking for application/json get it too."""

    media_type = "application/ld+json"
    format = "jsonld"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps_jsonld(data)


# --- Errors ----------------------------------------------------------------------------


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you loaded it; reload it and apply your change again."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send the resource's ETag in an If-Match header (load it with GET first)."
    default_code = "precondition_required"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "payload_too_large"


_TYPE_BY_STATUS = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    428: "precondition_required",
    429: "throttled",
}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "list.0.field": [messages]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
        return out
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        out = {}
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(m) for m in messages]}


# An error body stays small whatever the input: 100,000 bad ids once made a 4.7 MB answer.
MAX_ERROR_FIELDS = 50
MAX_FIELD_MESSAGES = 5
MAX_MESSAGE_CHARS = 300


def _bounded(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    names = list(fields)
    out = {
        name: [message[:MAX_MESSAGE_CHARS] for message in fields[name][:MAX_FIELD_MESSAGES]]
        for name in names[:MAX_ERROR_FIELDS]
    }
    if len(names) > MAX_ERROR_FIELDS:
        out["…"] = [f"{len(names) - MAX_ERROR_FIELDS} more fields with errors are not listed."]
    return out


def error_body(type_: str, detail: str, *, rule: str | None = None, fields: dict | None = None) -> dict:
    body: dict[str, Any] = {"type": type_, "detail": detail}
    if rule:
        body["rule"] = rule
    if fields:
        body["fields"] = _bounded(fields)
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF EXCEPTION_HANDLER: every error the API raises, in the one JSON shape."""
    if isinstance(exc, ServiceError):
        body = error_body(_TYPE_BY_STATUS.get(exc.http_status, "error"), exc.message, rule=exc.rule)
        if getattr(exc, "current_version", None) is not None:
            body["current_version"] = exc.current_version
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        fields = (
            {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return Response(
            error_body("validation_error", "The input is not valid; see fields.", fields=fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    # Imported here: this module is named in REST_FRAMEWORK settings, which rest_framework.views reads.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's handler500 answers (JSON under /api/)
    type_ = _TYPE_BY_STATUS.get(response.status_code, getattr(exc, "default_code", "error"))
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(type_, "The input is not valid; see fields.", fields=_flatten(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body("parse_error", str(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, dict | list):
            response.data = error_body(type_, "The request was refused.", fields=_flatten(detail))
        else:
            response.data = error_body(type_, str(detail))
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    """JSON 404 under /api/ (an unknown URL), Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return JsonResponse(error_body("server_error", "The server failed; the error was logged."), status=500)
    from django.views.defaults import server_error

    return server_error(request)


class ErrorSerializer(serializers.Serializer):
    """Documents the one error shape (for the OpenAPI schema only)."""

    type = serializers.CharField(help_text="Machine-readable error type, e.g. validation_error, conflict.")
    detail = serializers.CharField(help_text="What went wrong, in words.")
    rule = serializers.CharField(required=False, help_text="The domain rule a service enforced, when one did.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages for validation errors.",
    )
    current_version = serializers.IntegerField(
        required=False, help_text="On a 412 from a stale edit: the claim's version now."
    )


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    names = {
        400: "Invalid input (per-field messages in `fields`)",
        401: "Not authenticated",
        403: "Not permitted",
        404: "Not found",
        409: "The claim's state does not allow this action",
        412: "If-Match is stale: someone else saved first",
        413: "Body too large",
        415: "Body is not JSON",
        428: "If-Match header missing",
        429: "Too many requests (see Retry-After)",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=names[code]) for code in codes}


# --- Permissions -----------------------------------------------------------------------


class ReadOrDeskMember(BasePermission):
    """Anyone may read; writing needs a login and some permission on claims or reviews.

    Checked before the body is parsed or validated, so a token holder who may change nothing
    costs no lookups. The services still decide what each member may do.
    """

    message = "You have no permission to change claims or reviews."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            raise exceptions.NotAuthenticated()
        return user.has_module_perms("claims") or user.has_module_perms("reviews")


# --- Request bodies --------------------------------------------------------------------


def check_body_size(request) -> None:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE before parsing them (DRF's parsers don't)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise exceptions.ParseError("Content-Length is not a number.") from None
    if limit is not None and length > limit:
        raise PayloadTooLarge(f"The request body is {length} bytes; the limit is {limit}.")


# Deep enough for every body the API documents (a review's evidence list is three levels).
MAX_JSON_DEPTH = 20


class JSONParser(BaseParser):
    """JSON bodies, parsed by orjson and checked before any serializer sees them.

    Nesting is bounded (the stdlib parser and DRF's validation recurse, so a 2 KB body of
    1,000 brackets raised RecursionError) and NUL characters are refused wherever they occur
    (PostgreSQL cannot store or even compare them). orjson also refuses NaN, Infinity,
    invalid UTF-8 and lone surrogates, which the stdlib parser lets through.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = orjson.loads(stream.read())
        except orjson.JSONDecodeError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        check_json(data)
        return data


def check_json(data: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and NUL characters (named by their path)."""
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise exceptions.ValidationError({path or "non_field_errors": ["NUL characters are not allowed."]})
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                raise exceptions.ValidationError({path or "non_field_errors": ["NUL characters are not allowed."]})
            if isinstance(item, str | dict | list):  # numbers, booleans and null need no check
                stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))


class BoundedListField(serializers.ListField):
    """A ListField that checks its length before validating (and looking up) any item.

    DRF's ListField validates every child first and checks max_length afterwards, so 100,000
    ids cost 100,000 queries before the request was refused.
    """

    def to_internal_value(self, data):
        if self.max_length is not None and isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


# PostgreSQL stores offsets up to ±15:59; real zones span -12:00 to +14:00.
MAX_UTC_OFFSET = timedelta(hours=16)


def checked_datetime(value: datetime) -> datetime:
    """An input datetime the database can compare: offset within ±15:59, as UTC, within years 1-9999.

    Raises ValueError (with a message for the client) otherwise.
    """
    offset = value.utcoffset()
    if offset is None:
        return value
    if abs(offset) >= MAX_UTC_OFFSET:
        raise ValueError("The time-zone offset must be between -15:59 and +15:59.")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("The date is out of range.") from None


class StrictSerializerMixin:
    """Input serializers name unknown fields instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


# --- Cursor pagination -----------------------------------------------------------------

INVALID_CURSOR = "Not a cursor from this list: follow the `next` or `previous` link of a page."


class IdCursorPagination(CursorPagination):
    """DRF's cursor pagination, but a cursor that cannot be read is bad input (400 naming `cursor`),
    the same answer as the feed's, rather than DRF's 404."""

    page_size_query_param = "page_size"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": [INVALID_CURSOR]}) from None


class FeedCursorPagination(BasePagination):
    """Cursor pagination on a unique, indexed ordering: (published_at, id) or (verdict_updated_at, id).

    The cursor holds the last row's (timestamp, id), so a page is one index range scan however
    deep it is, and rows published meanwhile never shift a page. Staff lists also hold claims
    without a verdict; for them the timestamp falls back to the creation/update time.
    """

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"
    # ordering value -> (timestamp column, fallback for unpublished claims, descending)
    orderings = {
        "published": ("published_at", "created_at", False),
        "-published": ("published_at", "created_at", True),
        "updated": ("verdict_updated_at", "updated_at", False),
        "-updated": ("verdict_updated_at", "updated_at", True),
    }
    default_ordering = "-published"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise exceptions.ValidationError({"page_size": ["A whole number from 1 to 100."]}) from None
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError({"page_size": [f"A whole number from 1 to {self.max_page_size}."]})
        return size

    def get_ordering(self, request) -> str:
        value = request.query_params.get(self.ordering_query_param, self.default_ordering)
        if value not in self.orderings:
            raise exceptions.ValidationError(
                {"ordering": [f"One of {', '.join(self.orderings)}."]},
            )
        return value

    def decode_cursor(self, request) -> tuple[datetime, int, bool] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            data = orjson.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
            at = parse_datetime(data["t"])
            pk, reverse = int(data["i"]), bool(data.get("r", False))
            if at is None:
                raise ValueError
            at = checked_datetime(at)
        except (ValueError, TypeError, KeyError, UnicodeEncodeError, binascii.Error, orjson.JSONDecodeError):
            raise exceptions.ValidationError({"cursor": [INVALID_CURSOR]}) from None
        return at, pk, reverse

    def encode_cursor(self, row: dict, reverse: bool) -> str:
        token = dumps({"t": row["cursor_at"].isoformat(), "i": row["id"], "r": reverse})
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, base64.urlsafe_b64encode(token).decode().rstrip("="))

    def paginate_queryset(
        self, queryset, request, view=None, *, public: bool = True, partition: tuple[str, tuple] | None = None
    ) -> list[dict]:
        """One page of `queryset` (a .values() queryset) as dicts with a `cursor_at` key.

        `partition` ("status", ("published", "retracted")) names an IN-filtered leading index
        column: an index on (status, published_at, id) cannot return two statuses in date
        order, so the database would sort every matching row. Where the database allows it,
        each value gets its own index-ordered LIMIT query and UNION ALL merges the two short lists.
        """
        self.request = request
        size = self.get_page_size(request)
        column, fallback, descending = self.orderings[self.get_ordering(request)]
        cursor = self.decode_cursor(request)
        # Public claims always have the timestamp; using the bare column keeps the index usable.
        key = F(column) if public else Coalesce(column, fallback)
        rows = queryset.annotate(cursor_at=key)
        reverse = cursor[2] if cursor else False
        backwards = descending != reverse
        if cursor:
            at, pk, _ = cursor
            if backwards:
                rows = rows.filter(Q(cursor_at__lte=at), Q(cursor_at__lt=at) | Q(id__lt=pk))
            else:
                rows = rows.filter(Q(cursor_at__gte=at), Q(cursor_at__gt=at) | Q(id__gt=pk))
        order = ("-cursor_at", "-id") if backwards else ("cursor_at", "id")
        rows = rows.order_by(*order)
        if partition and connections[rows.db].features.supports_slicing_ordering_in_compound:
            field, values = partition
            parts = [rows.filter(**{field: value})[: size + 1] for value in values]
            rows = parts[0].union(*parts[1:], all=True).order_by(*order)
        page = list(rows[: size + 1])
        has_more = len(page) > size
        page = page[:size]
        if reverse:
            page.reverse()
        self.next_link = self.previous_link = None
        if page:
            if has_more if not reverse else cursor is not None:
                self.next_link = self.encode_cursor(page[-1], reverse=False)
            if has_more if reverse else cursor is not None:
                self.previous_link = self.encode_cursor(page[0], reverse=True)
        elif cursor is not None:
            # An empty page past either end: offer the way back.
            self.previous_link = remove_query_param(request.build_absolute_uri(), self.cursor_query_param)
        return page

    def get_paginated_data(self, results: list) -> dict:
        return {"next": self.next_link, "previous": self.previous_link, "results": results}

    def get_paginated_response(self, data) -> Response:
        return Response(self.get_paginated_data(data))

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The opaque cursor from a previous page's `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": "Order by first publication or by the latest verdict's date (default -published).",
                "schema": {"type": "string", "enum": list(self.orderings)},
            },
        ]


# --- Conditional requests and caching ---------------------------------------------------


def make_etag(*parts: object, prefix: str = "") -> str:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=12).hexdigest()
    return quote_etag(prefix + digest)


def audience(request) -> str:
    """Whose view a response shows: "public" for anonymous readers, else the signed-in user's."""
    user = request.user
    return f"user{user.pk}" if user is not None and user.is_authenticated else "public"


def caching_headers(response: HttpResponse, request, etag: str, last_modified: datetime | None) -> HttpResponse:
    """ETag, Last-Modified, Cache-Control by audience and a merged Vary."""
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    if audience(request) == "public":
        patch_cache_control(
            response,
            public=True,
            max_age=settings.API_MAX_AGE,
            stale_while_revalidate=settings.API_STALE_WHILE_REVALIDATE,
        )
    else:
        patch_cache_control(response, private=True, no_store=True)
    # Signed-in and anonymous readers get different bodies from one URL, and so may formats.
    patch_vary_headers(response, ["Accept", "Authorization", "Cookie"])
    return response


def preconditions(request, etag: str, last_modified: datetime | None) -> HttpResponse | None:
    """The 304 (or 412) the request's preconditions call for, else None (RFC 9110 through Django).

    Only the ETag decides: If-Modified-Since is not evaluated, because a date with one-second
    resolution cannot tell two writes within a second apart, nor a write that committed late.
    """
    headers = caching_headers(HttpResponse(), request, etag, last_modified)
    answer = get_conditional_response(request, etag=etag, response=headers)
    return None if answer is headers else answer


def conditional_response(
    request,
    build: Callable[[], tuple[bytes, dict]],
    *,
    etag: str,
    last_modified: datetime | None,
    content_type: str = "application/json",
    cache_key: str | None = None,
) -> HttpResponse:
    """A conditional GET: 304 from the ETag alone, else the body (from the cache under `cache_key`).

    Callers derive `etag` and `cache_key` from the change log's position (api/clock.py), so a
    write makes new ones at once: nothing stale is answered 304 or served from the cache.
    """
    answer = preconditions(request, etag, last_modified)
    if answer is not None:
        return answer
    lifetime = settings.API_CACHE_SECONDS if cache_key else 0
    cached = cache.get(cache_key) if lifetime > 0 else None
    if cached is None:
        cached = build()
        if lifetime > 0:
            cache.set(cache_key, cached, lifetime)
    body, headers = cached
    response = HttpResponse(body, content_type=content_type)
    for name, value in headers.items():
        response[name] = value
    return caching_headers(response, request, etag, last_modified)
