"""Hostile input: every request here answers a 4xx in the one JSON error shape, naming the
problem, and writes nothing. Each case was a 500 once, or is a near relative of one that was."""

from __future__ import annotations

import base64
import threading

import orjson
import pytest
from django.apps import apps
from django.db import close_old_connections, connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from claims.models import Claim
from tests.factories import AppearanceFactory, EntityFactory, make_user

pytestmark = pytest.mark.django_db

DEEP = b'{"text": ' + b"[" * 1000 + b"]" * 1000 + b"}"
BIG = 10**30


def cursor(t: str, i: int = 1) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"t": t, "i": i})).decode().rstrip("=")


def body(**fields) -> dict:
    return {"text": "A claim.", "kind": "wage", "claimant": "claimant", **fields}


def json_bytes(**fields) -> bytes:
    return orjson.dumps(body(**fields))


# (id, who, method, path, {"data": ..., "raw": ..., "content_type": ..., "headers": ...}, status, type, field)
# who: anon | editor | nobody (a token holder without any permission). {draft} is a draft claim's id.
CASES = [
    # Authorization headers knox could not decode.
    (
        "token-0x85",
        "anon",
        "GET",
        "/api/claims/",
        {"headers": {"HTTP_AUTHORIZATION": "Token \x85"}},
        401,
        "not_authenticated",
        None,
    ),
    (
        "token-0x85-logout",
        "anon",
        "POST",
        "/api/auth/logout/",
        {"headers": {"HTTP_AUTHORIZATION": "Token \x85"}},
        401,
        "not_authenticated",
        None,
    ),
    (
        "token-nul",
        "anon",
        "GET",
        "/api/claims/",
        {"headers": {"HTTP_AUTHORIZATION": "Token abc\x00def"}},
        401,
        "not_authenticated",
        None,
    ),
    (
        "token-control",
        "anon",
        "GET",
        "/api/documents/",
        {"headers": {"HTTP_AUTHORIZATION": "Token \x1b[31m"}},
        401,
        "not_authenticated",
        None,
    ),
    # Time-zone offsets PostgreSQL cannot hold, and dates that leave the calendar in UTC.
    (
        "after+16",
        "anon",
        "GET",
        "/api/claims/?published_after=2020-01-01T00:00:00%2B16:00",
        {},
        400,
        "validation_error",
        "published_after",
    ),
    (
        "before-16",
        "anon",
        "GET",
        "/api/claims/?published_before=2020-01-01T00:00:00-16:00",
        {},
        400,
        "validation_error",
        "published_before",
    ),
    (
        "since+23:59",
        "anon",
        "GET",
        "/api/claims/?updated_since=2020-01-01T00:00:00%2B23:59",
        {},
        400,
        "validation_error",
        "updated_since",
    ),
    (
        "since-year-10000",
        "anon",
        "GET",
        "/api/claims/?updated_since=9999-12-31T23:59:59-15:00",
        {},
        400,
        "validation_error",
        "updated_since",
    ),
    (
        "after-year-0",
        "anon",
        "GET",
        "/api/claims/?published_after=0001-01-01T00:00:00%2B15:00",
        {},
        400,
        "validation_error",
        "published_after",
    ),
    (
        "after-garbage",
        "anon",
        "GET",
        "/api/claims/?published_after=2020-13-45T99:00",
        {},
        400,
        "validation_error",
        "published_after",
    ),
    (
        "cursor+16",
        "anon",
        "GET",
        f"/api/claims/?cursor={cursor('2020-01-01T00:00:00+16:00')}",
        {},
        400,
        "validation_error",
        "cursor",
    ),
    (
        "cursor-16-datafeed",
        "anon",
        "GET",
        f"/api/claimreview/feed/?cursor={cursor('2020-01-01T00:00:00-16:00')}",
        {},
        400,
        "validation_error",
        "cursor",
    ),
    (
        "cursor-year-10000",
        "anon",
        "GET",
        f"/api/claims/?cursor={cursor('9999-12-31T23:59:59-15:00')}",
        {},
        400,
        "validation_error",
        "cursor",
    ),
    ("cursor-not-base64", "anon", "GET", "/api/claims/?cursor=%FF%FE", {}, 400, "validation_error", "cursor"),
    (
        "cursor-a-list",
        "anon",
        "GET",
        f"/api/claims/?cursor={base64.urlsafe_b64encode(b'[1,2]').decode()}",
        {},
        400,
        "validation_error",
        "cursor",
    ),
    (
        "cursor-external-reviews",
        "editor",
        "GET",
        "/api/external-reviews/?cursor=%F1%A8%8B%8C.",
        {},
        400,
        "validation_error",
        "cursor",
    ),
    ("cursor-documents", "anon", "GET", "/api/documents/?cursor=xyz", {}, 400, "validation_error", "cursor"),
    # Numbers beyond any column, NUL and invalid UTF-8 in query strings.
    ("page-size-huge", "anon", "GET", f"/api/claims/?page_size={BIG}", {}, 400, "validation_error", "page_size"),
    ("page-size-negative", "anon", "GET", "/api/claims/?page_size=-1", {}, 400, "validation_error", "page_size"),
    ("document-huge", "anon", "GET", f"/api/claims/?document={BIG}", {}, 400, "validation_error", "document"),
    ("claimant-nul", "anon", "GET", "/api/claims/?claimant=a%00b", {}, 400, "validation_error", "claimant"),
    ("entity-nul", "anon", "GET", "/api/claims/?entity=%00", {}, 400, "validation_error", "entity"),
    ("rating-nul", "anon", "GET", "/api/claims/?rating=tr%00ue", {}, 400, "validation_error", "rating"),
    ("outlet-nul", "anon", "GET", "/api/documents/?outlet=%00", {}, 400, "validation_error", "outlet"),
    ("kind-invalid-utf8", "anon", "GET", "/api/claims/?kind=%FF%FE", {}, 400, "validation_error", "kind"),
    ("conflict-claim-huge", "anon", "GET", f"/api/conflicts/?claim={BIG}", {}, 400, "validation_error", "claim"),
    ("conflict-field-nul", "anon", "GET", "/api/conflicts/?field=%00", {}, 400, "validation_error", "field"),
    ("graph-limit-huge", "anon", "GET", f"/api/entities/graph/?limit={BIG}", {}, 400, "validation_error", "limit"),
    ("graph-entity-huge", "anon", "GET", f"/api/entities/graph/?entity={BIG}", {}, 400, "validation_error", "entity"),
    ("claim-id-huge", "anon", "GET", f"/api/claims/{BIG}/", {}, 404, "not_found", None),
    ("claimreview-id-huge", "anon", "GET", f"/api/claims/{BIG}/claimreview/", {}, 404, "not_found", None),
    ("document-id-huge", "anon", "GET", f"/api/documents/{BIG}/", {}, 404, "not_found", None),
    ("write-anonymously", "anon", "POST", "/api/claims/", {"raw": DEEP}, 401, "not_authenticated", None),
    # Bodies: depth, NUL, numbers, types, encodings.
    ("nested-1000", "editor", "POST", "/api/claims/", {"raw": DEEP}, 400, "parse_error", None),
    ("nested-1000-nobody", "nobody", "POST", "/api/claims/", {"raw": DEEP}, 403, "permission_denied", None),
    (
        "nested-1000-transition",
        "editor",
        "POST",
        "/api/claims/{draft}/send-back/",
        {"raw": b'{"reason": ' + b"[" * 1000 + b"]" * 1000 + b"}"},
        400,
        "parse_error",
        None,
    ),
    (
        "nested-objects",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": b'{"a":' * 900 + b"1" + b"}" * 900},
        400,
        "parse_error",
        None,
    ),
    (
        "claimant-nul",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(claimant="a\x00b")},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "entities-nul",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(entities=["ok", "x\x00"])},
        400,
        "validation_error",
        "entities.1",
    ),
    ("slug-nul", "editor", "POST", "/api/claims/", {"data": body(slug="a\x00")}, 400, "validation_error", "slug"),
    (
        "key-nul",
        "editor",
        "POST",
        "/api/claims/",
        {"data": {"te\x00xt": "x"}},
        400,
        "validation_error",
        "non_field_errors",
    ),
    (
        "claimant-huge-int",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": b'{"text": "x", "kind": "wage", "claimant": ' + str(BIG).encode() + b"}"},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "claimant-2^63",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(claimant=2**63)},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "claimant-digits-huge",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(claimant=str(BIG))},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "claimant-negative",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(claimant=-1)},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "claimant-float",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(claimant=1.5)},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "claimant-bool",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(claimant=True)},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "claimant-object",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(claimant={"id": 1})},
        400,
        "validation_error",
        "claimant",
    ),
    (
        "entities-object",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(entities={"a": 1})},
        400,
        "validation_error",
        "entities",
    ),
    (
        "entities-string",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(entities="claimant")},
        400,
        "validation_error",
        "entities",
    ),
    (
        "entities-201",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(entities=["x"] * 201)},
        400,
        "validation_error",
        "entities",
    ),
    ("kind-a-list", "editor", "POST", "/api/claims/", {"data": body(kind=["wage"])}, 400, "validation_error", "kind"),
    ("body-a-list", "editor", "POST", "/api/claims/", {"data": [body()]}, 400, "validation_error", "non_field_errors"),
    (
        "body-a-string",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": b'"text"'},
        400,
        "validation_error",
        "non_field_errors",
    ),
    ("body-null", "editor", "POST", "/api/claims/", {"raw": b"null"}, 400, "validation_error", None),
    ("body-nan", "editor", "POST", "/api/claims/", {"raw": b'{"text": NaN}'}, 400, "parse_error", None),
    ("body-invalid-utf8", "editor", "POST", "/api/claims/", {"raw": b'{"text": "\xff\xfe"}'}, 400, "parse_error", None),
    (
        "body-lone-surrogate",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": b'{"text": "\\ud800"}'},
        400,
        "parse_error",
        None,
    ),
    (
        "body-latin1",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": '{"text": "caf\xe9"}'.encode("latin-1"), "content_type": "application/json; charset=latin-1"},
        400,
        "parse_error",
        None,
    ),
    ("body-empty-json", "editor", "POST", "/api/claims/", {"raw": b""}, 400, "validation_error", None),
    (
        "body-text-plain",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": json_bytes(), "content_type": "text/plain"},
        415,
        "unsupported_media_type",
        None,
    ),
    (
        "body-form",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": b"text=x&kind=wage", "content_type": "application/x-www-form-urlencoded"},
        415,
        "unsupported_media_type",
        None,
    ),
    (
        "body-multipart",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": b"--x--", "content_type": "multipart/form-data; boundary=x"},
        415,
        "unsupported_media_type",
        None,
    ),
    (
        "body-bad-length",
        "editor",
        "POST",
        "/api/claims/",
        {"raw": json_bytes(), "headers": {"CONTENT_LENGTH": "many"}},
        400,
        "parse_error",
        None,
    ),
    (
        "text-too-long",
        "editor",
        "POST",
        "/api/claims/",
        {"data": body(text="x" * 5001)},
        400,
        "validation_error",
        "text",
    ),
    (
        "if-match-garbage",
        "editor",
        "PATCH",
        "/api/claims/{draft}/",
        {"data": {"text": "x"}, "headers": {"HTTP_IF_MATCH": '"\x85\x00"'}},
        412,
        "precondition_failed",
        None,
    ),
    (
        "if-match-huge-version",
        "editor",
        "PATCH",
        "/api/claims/{draft}/",
        {"data": {"text": "x"}, "headers": {"HTTP_IF_MATCH": f'"v{BIG}-ab"'}},
        412,
        "precondition_failed",
        None,
    ),
    (
        "if-match-missing",
        "editor",
        "PATCH",
        "/api/claims/{draft}/",
        {"data": {"text": "x"}},
        428,
        "precondition_required",
        None,
    ),
    (
        "appearance-document-huge",
        "editor",
        "POST",
        "/api/claims/{draft}/appearances/",
        {"raw": b'{"document": %d, "quote": "x"}' % BIG},
        400,
        "validation_error",
        "document",
    ),
    (
        "appearance-document-string",
        "editor",
        "POST",
        "/api/claims/{draft}/appearances/",
        {"data": {"document": "1\x00", "quote": "x"}},
        400,
        "validation_error",
        "document",
    ),
    (
        "appearance-start-huge",
        "editor",
        "POST",
        "/api/claims/{draft}/appearances/",
        {"raw": b'{"document": 1, "quote": "x", "start": %d, "end": %d}' % (2**63, BIG)},
        400,
        "validation_error",
        None,
    ),
    (
        "appearance-occurrence-huge",
        "editor",
        "POST",
        "/api/claims/{draft}/appearances/",
        {"data": {"document": "{document}", "quote": "pays", "occurrence": 2**62}},
        400,
        "validation_error",
        None,
    ),
    (
        "assign-nul",
        "editor",
        "POST",
        "/api/claims/{submitted}/assign/",
        {"data": {"reviewers": ["reviewer1\x00"]}},
        400,
        "validation_error",
        "reviewers.0",
    ),
    (
        "assign-21",
        "editor",
        "POST",
        "/api/claims/{submitted}/assign/",
        {"data": {"reviewers": ["reviewer1"] * 21}},
        400,
        "validation_error",
        "reviewers",
    ),
    (
        "assign-a-string",
        "editor",
        "POST",
        "/api/claims/{submitted}/assign/",
        {"data": {"reviewers": "reviewer1"}},
        400,
        "validation_error",
        "reviewers",
    ),
    (
        "publish-rating-nul",
        "editor",
        "POST",
        "/api/claims/{draft}/publish/",
        {"data": {"rating": "tr\x00ue", "summary": "s"}},
        400,
        "validation_error",
        "rating",
    ),
    (
        "publish-conflict-huge",
        "editor",
        "POST",
        "/api/claims/{draft}/publish/",
        {"raw": b'{"rating": "true", "summary": "s", "cited_conflicts": [%d]}' % BIG},
        400,
        "validation_error",
        "cited_conflicts.0",
    ),
    (
        "review-evidence-strings",
        "editor",
        "POST",
        "/api/claims/{draft}/reviews/",
        {"data": {"rating": "true", "rationale": "r", "evidence": ["x"]}},
        400,
        "validation_error",
        None,
    ),
]


@pytest.fixture
def world(editor, reviewer1, reviewer2):
    from reviews import services

    claimant = EntityFactory(slug="claimant")
    EntityFactory(slug="ok")
    draft = AppearanceFactory(claim__claimant=claimant).claim
    submitted = AppearanceFactory().claim
    services.claim_submit_for_review(claim=submitted, by=editor)
    nobody = make_user("nobody", staff=False)
    return {
        "draft": draft.pk,
        "submitted": submitted.pk,
        "document": draft.appearances.get().document_id,
        "editor": editor,
        "nobody": nobody,
    }


def row_counts() -> dict[str, int]:
    models = [m for label in ("claims", "reviews", "auth", "knox") for m in apps.get_app_config(label).get_models()]
    return {m._meta.label: m.objects.count() for m in models}


def assert_error_shape(response, status: int, type_: str, field: str | None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].split(";")[0] in {"application/json", "application/ld+json"}
    data = orjson.loads(response.content)
    assert data["type"] == type_, data
    assert isinstance(data["detail"], str) and data["detail"]
    assert set(data) <= {"type", "detail", "rule", "fields", "current_version"}
    if field is not None:
        assert field in data.get("fields", {}), data
    return data


@pytest.mark.parametrize(
    ("who", "method", "path", "options", "status", "type_", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_hostile_request_is_a_named_4xx_that_writes_nothing(world, who, method, path, options, status, type_, field):
    client = APIClient()
    if who != "anon":
        client.force_authenticate(world[who])
    path = path.format(**world)
    headers = options.get("headers", {})
    content = options.get("raw", b"")
    if "data" in options:
        data = options["data"]
        if isinstance(data, dict):
            data = {k: world["document"] if v == "{document}" else v for k, v in data.items()}
        content = orjson.dumps(data)
    content_type = options.get("content_type", "application/json")
    before = row_counts()
    if method == "GET":
        response = client.get(path, **headers)
    else:
        response = client.generic(method, path, content, content_type=content_type, **headers)
    assert_error_shape(response, status, type_, field)
    assert row_counts() == before


def test_an_offset_of_15_59_is_accepted(client):
    for name in ("published_after", "published_before", "updated_since"):
        assert client.get("/api/claims/", {name: "2020-01-01T00:00:00+15:59"}).status_code == 200
    assert client.get(f"/api/claims/?cursor={cursor('2020-01-01T00:00:00-15:59')}").status_code == 200


def test_invalid_utf8_in_a_search_is_harmless(client):
    assert client.get("/api/claims/?q=%FF%FE").status_code == 200


@pytest.mark.postgres
# serialized_rollback: the flush would otherwise drop the groups the migrations seed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("explicit_slug", [False, True], ids=["same-text", "same-slug"])
def test_concurrent_creates_with_the_same_text_never_fail_with_500(explicit_slug):
    editor = make_user("racer", "Editors")
    EntityFactory(slug="claimant")
    payload = body(text="The same words in every request.", **({"slug": "the-one"} if explicit_slug else {}))
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def post():
        try:
            client = APIClient(raise_request_exception=False)
            client.force_authenticate(editor)
            barrier.wait()
            statuses.append(client.post("/api/claims/", payload, format="json").status_code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slugs = list(Claim.objects.values_list("slug", flat=True))
    if explicit_slug:
        assert sorted(statuses) == [201] + [400] * 9
        assert slugs == ["the-one"]
    else:
        assert statuses == [201] * 10
        assert len(set(slugs)) == 10


def test_a_token_holder_is_identified_by_a_valid_token(editor):
    token = AuthToken.objects.create(user=editor)[1]
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/claims/", {"status": "draft"}).status_code == 200


def test_error_bodies_stay_small_whatever_the_input(editor):
    client = APIClient()
    client.force_authenticate(editor)
    unknown = {f"field{n}": "x" for n in range(5000)}
    response = client.post("/api/claims/", unknown, format="json")
    data = assert_error_shape(response, 400, "validation_error", "…")
    assert len(data["fields"]) == 51
    assert len(response.content) < 20_000


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/claims/", {"text": "x", "kind": "wage", "claimant": "claimant", "entities": ["e"] * 20_000}),
        ("/api/claims/{submitted}/assign/", {"reviewers": [f"user{n}" for n in range(30_000)]}),
        ("/api/claims/{draft}/publish/", {"rating": "true", "summary": "s", "cited_conflicts": list(range(100_000))}),
    ],
    ids=["20000-slugs", "30000-usernames", "100000-ids"],
)
def test_long_lists_are_refused_before_any_item_is_looked_up(world, path, payload, django_assert_max_num_queries):
    client = APIClient()
    client.force_authenticate(world["editor"])
    with django_assert_max_num_queries(8):
        response = client.post(path.format(**world), payload, format="json")
    data = assert_error_shape(response, 400, "validation_error", None)
    assert len(response.content) < 2_000, data


def test_a_write_without_any_permission_is_refused_before_the_body_is_read(world, django_assert_max_num_queries):
    client = APIClient()
    client.force_authenticate(world["nobody"])
    payload = {"text": "x", "kind": "wage", "claimant": "claimant", "entities": [f"e{n}" for n in range(150)]}
    with django_assert_max_num_queries(3):
        response = client.post("/api/claims/", payload, format="json")
    assert_error_shape(response, 403, "permission_denied", None)
