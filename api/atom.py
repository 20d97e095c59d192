"""Atom feed of the public verdicts, for newsroom feed readers (RFC 4287, paged as RFC 5005 section 3).

- One entry per public claim, updated in place: a correction or a retraction changes the entry
  (title, summary with every correction note, `updated`) under the same id, and moves it to the
  top, since entries are ordered by their latest verdict version (newest first). `updated` is the
  claim's newest public change in the change log, so other edits (entities, quotes, facts) update
  the entry too, without moving it; an exact mirror reads /api/changes/ instead.
- Ids are `tag:` URIs (RFC 4151) built from settings (PUBLISHER_URL's host and ATOM_TAG_DATE),
  and links point at the public claim pages at PUBLISHER_URL: nothing follows the request's Host.
- Summaries are plain text, declared `type="text"`: an editor's `<b>` or `&` reaches a reader as
  the characters typed, never as markup.
- Paging: the first page is the subscription document; `next` leads to older entries, each page
  also links `first` and `previous`. These are paged, not archived, documents: a correction moves
  an entry out of an older page, so pages are not the stable archives RFC 5005 section 4 promises.
- Conditional GET on the change log's public clock (api.clock), like the rest of the feed.
"""

from __future__ import annotations

from io import BytesIO
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from rest_framework import generics
from rest_framework.negotiation import BaseContentNegotiation

from api import clock, feed
from api.base import FeedCursorPagination
from api.claimreview import public_url
from api.claims import PUBLIC_PARTITION, ApiView, cached_response
from claims.models import Claim

ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"


def tag_uri(specific: str) -> str:
    """A stable `tag:` id for something we publish: the publisher's host, ATOM_TAG_DATE, and `specific`."""
    host = urlsplit(settings.PUBLISHER_URL).hostname or "localhost"
    return f"tag:{host},{settings.ATOM_TAG_DATE}:{specific}"


class VerdictAtomFeed(Atom1Feed):
    """Django's Atom writer with text summaries, a fixed `updated` and RFC 5005 paging links."""

    def latest_post_date(self):
        return self.feed["updated"] or super().latest_post_date()

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        for rel in ("first", "previous", "next"):
            if self.feed.get(rel):
                handler.addQuickElement("link", "", {"rel": rel, "href": self.feed[rel]})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        handler.addQuickElement("summary", item["description"], {"type": "text"})


class AtomPagination(FeedCursorPagination):
    page_size = 50
    max_page_size = 100

    def get_ordering(self, request) -> str:
        # Latest verdict version first: a correction or retraction brings its entry to the top.
        return "-updated"


class FirstChoiceNegotiation(BaseContentNegotiation):
    """Feed readers ask for Atom; the body is Atom whatever they ask, errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _title(claim: dict) -> str:
    verdict = claim["verdict"]
    prefix = "Retracted: " if claim["status"] == "retracted" else ("Corrected: " if verdict["version"] > 1 else "")
    return f"{prefix}{verdict['rating']['label']}: {claim['text']}"


def _summary(claim: dict) -> str:
    """The verdict's summary, then each correction and the retraction, newest first, with their notes."""
    verdict = claim["verdict"]
    lines = [verdict["summary"]]
    for version in [verdict, *claim["earlier_verdicts"]]:
        if version["kind"] != "original":
            kind = "Retracted" if version["kind"] == "retraction" else "Correction"
            lines.append(f"{kind} ({version['published_at']:%Y-%m-%d}): {version['correction_note']}")
    return "\n\n".join(lines)


def _cursor_link(url: str | None) -> str | None:
    """The paginator's link (built on the request's host) rebuilt on PUBLISHER_URL, keeping its cursor."""
    if url is None:
        return None
    query = parse_qs(urlsplit(url).query)
    params = {name: query[name][0] for name in ("cursor", "page_size") if name in query}
    return public_url(reverse("verdicts-atom") + ("?" + urlencode(params) if params else ""))


class VerdictsAtomView(ApiView, generics.ListAPIView):
    """The public verdicts as an Atom feed."""

    pagination_class = AtomPagination
    content_negotiation_class = FirstChoiceNegotiation
    filter_backends: list = []
    queryset = Claim.objects.none()
    # Not part of the API's schema (an Atom document, outside /api/): left out of the endpoints
    # drf-spectacular enumerates, so the /api/ operation ids keep their common prefix stripped.
    schema = None

    def get(self, request, *args, **kwargs):
        # A feed reader is the public: the public clock and the public claims, whoever asks.
        at = clock.for_list(None)

        def build():
            rows = self.paginator.paginate_queryset(
                feed.with_change_time(feed.claim_rows(Claim.objects.visible_to(None))),
                request,
                public=True,
                partition=PUBLIC_PARTITION,
            )
            claims = feed.represent_claims(rows, viewer=None)
            first = public_url(reverse("verdicts-atom"))
            paged = request.query_params.get("cursor") is not None
            atom = VerdictAtomFeed(
                title=f"{settings.PUBLISHER_NAME}: verdicts",
                link=public_url(reverse("public:index")),
                description="Every published verdict, one entry per claim, updated in place on correction or "
                "retraction.",
                feed_url=_cursor_link(request.build_absolute_uri()) if paged else first,
                feed_guid=tag_uri("verdicts"),
                author_name=settings.PUBLISHER_NAME,
                author_link=settings.PUBLISHER_URL,
                language="en",
                updated=at.at,
                first=first,
                next=_cursor_link(self.paginator.next_link),
                previous=_cursor_link(self.paginator.previous_link),
            )
            for row, claim in zip(rows, claims, strict=True):
                atom.add_item(
                    title=_title(claim),
                    link=public_url(Claim.page_path(claim["slug"])),
                    description=_summary(claim),
                    unique_id=tag_uri(f"claim:{claim['id']}"),
                    pubdate=claim["published_at"],
                    updateddate=row["changed_at"] or claim["updated_at"],
                    categories=[claim["verdict"]["rating"]["label"], claim["kind"]],
                )
            out = BytesIO()
            atom.write(out, "utf-8")
            return out.getvalue(), {}

        return cached_response(request, at, build, variant="atom", content_type=ATOM_CONTENT_TYPE)
