"""The OpenAPI contract and the interactive docs (served without any CDN)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_is_served_and_valid_openapi(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_every_api_url_is_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = set(schema["paths"])
    for path in (
        "/api/claims/",
        "/api/claims/{id}/",
        "/api/claims/{id}/claimreview/",
        "/api/claims/{id}/appearances/",
        "/api/claims/{id}/publish/",
        "/api/claimreview/feed/",
        "/api/documents/",
        "/api/documents/{id}/",
        "/api/auth/login/",
    ):
        assert path in documented, path
    assert len(get_resolver().url_patterns) > 0


def test_every_operation_documents_its_errors_and_the_list_its_filters():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not set(operation.get("tags", ())) & {"feed", "desk", "workflow", "claimreview", "auth"}:
                continue  # another area's endpoint (e.g. the facts graph)
            codes = set(operation["responses"])
            assert codes & {"400", "401", "404", "429"}, (method, path)
            for code in codes - {"200", "201", "204", "304"}:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/Error"), (method, path, code)
    parameters = {p["name"] for p in schema["paths"]["/api/claims/"]["get"]["parameters"]}
    assert {"kind", "rating", "claimant", "entity", "document", "outlet", "q", "cursor", "page_size"} <= parameters
    assert {"published_after", "published_before", "updated_since", "has_corrections", "ordering"} <= parameters


def test_docs_page_uses_only_local_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    for url in urls:
        if url == "/api/docs/?script=":
            continue  # Swagger UI's start script, served by the docs view itself (below)
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html


def test_docs_page_has_no_inline_script_or_style_and_its_start_script_is_a_file(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert "<style" not in html and "style=" not in html
    assert re.findall(r"<script[^>]*>", html) == [
        f'<script src="{url}">' for url in re.findall(r'<script src="([^"]+)"', html)
    ]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b'url: "/api/schema/"' in script.content


def test_links_lead_from_lists_and_creates_to_operations_that_exist():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        operation["operationId"]: operation for methods in schema["paths"].values() for operation in methods.values()
    }
    links = {
        (path, method, status): response["links"]
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        for status, response in operation["responses"].items()
        if "links" in response
    }
    assert len(links) >= 8
    for source, named in links.items():
        for name, link in named.items():
            target = operations[link["operationId"]]
            path_parameters = {p["name"] for p in target.get("parameters", ()) if p["in"] == "path"}
            assert {p for p in link["parameters"] if "." not in p} == path_parameters, (source, name)
    created = links[("/api/claims/", "post", "201")]["SubmitCreatedClaim"]
    assert created == {"operationId": "claims_submit_create", "parameters": {"id": "$response.body#/id"}}
    edit = links[("/api/claims/{id}/", "get", "200")]["PartialUpdateClaim"]
    assert edit["parameters"]["header.If-Match"] == "$response.header.ETag"


def test_the_schema_says_which_operations_anyone_may_call_without_a_token():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    anonymous = {
        (method, path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if {} in operation.get("security", [])
    }
    assert ("get", "/api/claims/") in anonymous
    assert ("get", "/api/claims/{id}/") in anonymous
    assert ("get", "/api/documents/") in anonymous
    assert ("post", "/api/claims/") not in anonymous
    assert ("get", "/api/agreement/") not in anonymous  # editors only
    assert ("get", "/api/external-reviews/") not in anonymous  # staff only
