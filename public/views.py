"""The readers' pages: thin views over public.pages, conditional and cached like the API.

Each page is rendered once per position of the change log the public can see: the ETag, the
cache key and Cache-Control come from the API's own helper on the same clock
(api.claims.cached_response with api.clock), so a 304 costs a query or two and any public write
the page could show makes a fresh one. The pages show the public view to everyone, so they read
the public clock (user None) whoever asks; signed-in readers' copies are private, as in the API.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from api import claimreview, clock
from api.base import dumps_jsonld
from api.claims import cached_response
from public import pages

HTML = "text/html; charset=utf-8"


def _render(template: str, context: dict, *, path: str) -> tuple[bytes, dict]:
    context = {"site_name": settings.PUBLISHER_NAME, "canonical": claimreview.public_url(path), **context}
    return render_to_string(template, context).encode(), {}


@require_GET
def index(request):
    def build():
        found = pages.index(request)
        context = {"index": found, "selected": found.filters.form.data}
        return _render("public/index.html", context, path=request.path)

    return cached_response(request, clock.for_list(None), build, variant="page-index", content_type=HTML)


@require_GET
def claim(request, slug: str):
    # The claim and its clock in one query: a cache hit reads nothing else.
    found = clock.for_public_claim(slug)
    if found is None:
        survivor = pages.survivor_page(slug)
        if survivor is not None:
            return HttpResponsePermanentRedirect(survivor)
        raise Http404("No published fact-check at this address.")
    claim_id, at = found

    def build():
        page = pages.claim_page(claim_id)
        review = claimreview.claim_review(page)
        context = {
            "claim": page,
            # Escaped for a <script> element (<, >, & and U+2028/9 as \u escapes): safe to mark so.
            "jsonld": mark_safe(dumps_jsonld(review).decode()),
            "description": _description(page),
        }
        return _render("public/claim.html", context, path=request.path)

    return cached_response(request, at, build, variant="page-claim", content_type=HTML)


def _description(page: dict) -> str:
    verdict = page["withdrawn"] if page["retracted"] else page["verdict"]
    prefix = "Retracted. " if page["retracted"] else ""
    return f"{prefix}{verdict['rating']['label']}: {verdict['summary']}"[:300]


@require_GET
def ratings_css(request):
    """The rating badges' colours, a stylesheet read from the rating scale (a page's inline style
    would need the CSP's 'unsafe-inline'). Conditional on its content; browsers recheck it soon."""
    css = pages.rating_badge_css().encode()
    etag = f'"{hashlib.sha256(css).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=settings.API_MAX_AGE)
    return response


@require_GET
def robots(request):
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {claimreview.public_url('/sitemap.xml')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
