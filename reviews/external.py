"""Other fact-checkers' ClaimReviews: read leniently, store strictly (import_claimreview, the admin upload).

Real ClaimReview markup is messy, so reading forgives what can be understood without guessing:
- containers: one object, a list, `@graph`, a DataFeed (`dataFeedElement` → DataFeedItem `item`),
  or an HTML page carrying `<script type="application/ld+json">` blocks; any nesting of these;
- broken JSON that json-repair can mend (a trailing comma, a missing bracket, single quotes);
- `@type` in any case, as a list, or as a schema.org URL; a numeric `id`; `itemReviewed` as a Claim,
  a CreativeWork or missing; `author` as a string, an object or a list; dates in any format
  python-dateutil reads; a rating as text only, a number only, or both, numbers given as strings.

What cannot be understood is refused with its reason, never guessed: a record without an http(s)
`url`, without the claim reviewed, or without any rating. Each record is stored or refused whole.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from urllib.parse import urlsplit

import json_repair
from dateutil import parser as dateparser
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from claims import fetch as claims_fetch
from claims import matching
from reviews.models import ExternalReview, rating_key

# --- Finding the records ----------------------------------------------------------------------


class Unreadable(ValueError):
    """A source or record that cannot be read; the message is the reason, in words."""


class _JSONLDScripts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
        self._inside = tag == "script" and kind == "application/ld+json"
        if self._inside:
            self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.blocks[-1] += data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _load_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = json_repair.loads(text)
    if repaired in ("", None, [], {}):
        raise Unreadable("not JSON, and json-repair could not mend it")
    return repaired


def _is_html(text: str) -> bool:
    head = text.lstrip()[:500].lower()
    return (head.startswith("<") and not head.startswith("<?xml")) or "<html" in head


def documents(data: bytes) -> list:
    """The JSON documents in a source: the whole of it, or each ld+json block of an HTML page."""
    text = _decode(data)
    if not text.strip():
        raise Unreadable("empty")
    if not _is_html(text):
        return [_load_json(text)]
    scripts = _JSONLDScripts()
    scripts.feed(text)
    if not scripts.blocks:
        raise Unreadable('an HTML page without a <script type="application/ld+json"> block')
    found = []
    for block in scripts.blocks:
        try:
            found.append(_load_json(block))
        except Unreadable:
            continue  # other blocks of the page (breadcrumbs, ads) may be broken; the ClaimReview may not
    if not found:
        raise Unreadable("no readable JSON-LD block in the HTML page")
    return found


def _types(node: dict) -> set[str]:
    raw = node.get("@type", node.get("type", ""))
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].casefold() for v in values}


def _is_claim_review(node: dict) -> bool:
    if "claimreview" in _types(node):
        return True
    # Untyped, but unmistakably a ClaimReview.
    return not node.get("@type") and "claimReviewed" in node and "reviewRating" in node


def claim_reviews(document) -> list[dict]:
    """Every ClaimReview object in a JSON-LD document, in document order, however it is wrapped."""
    found: list[dict] = []

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if _is_claim_review(node):
                found.append(node)
                return
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)

    walk(document)
    return found


# --- Reading one record -----------------------------------------------------------------------


@dataclass
class Parsed:
    url: str
    claim_reviewed: str
    publisher: str = ""
    publisher_url: str = ""
    date_published: date | None = None
    claimant: str = ""
    appearance_url: str = ""
    rating_text: str = ""
    rating_value: Decimal | None = None
    best_rating: Decimal | None = None
    worst_rating: Decimal | None = None
    raw: dict = field(default_factory=dict)


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def _text(value, limit: int) -> str:
    value = _first(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        value = str(value)
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _web_url(value) -> str:
    # Never cut short: a truncated URL names another page. An overlong one is refused by validation.
    value = _text(value, 100_000)
    return value if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc else ""


def _party(value) -> tuple[str, str]:
    """(name, url) of an author, claimant or publisher given as a string, an object or a list."""
    value = _first(value)
    if isinstance(value, str):
        return _text(value, 200), ""
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("alternateName") or "", 200), _web_url(value.get("url"))
    return "", ""


def _date(value) -> date | None:
    text = _text(value, 100)
    if not text:
        return None
    try:
        return dateparser.parse(text).date()
    except (ValueError, OverflowError, dateparser.ParserError):
        return None


def _number(value) -> Decimal | None:
    value = _first(value)
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < 10**6 else None


def parse(record: dict) -> Parsed:
    """One ClaimReview object as an external review; Unreadable names what is missing."""
    url = _web_url(record.get("url")) or _web_url(record.get("@id"))
    if not url:
        raise Unreadable("no http(s) url of the fact-check")
    item = _first(record.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    claim_reviewed = _text(record.get("claimReviewed"), 5000) or _text(item.get("text") or item.get("name"), 5000)
    if not claim_reviewed:
        raise Unreadable("no claimReviewed (the claim that was checked)")
    rating = _first(record.get("reviewRating"))
    if isinstance(rating, str):
        rating = {"alternateName": rating}
    rating = rating if isinstance(rating, dict) else {}
    rating_text = _text(rating.get("alternateName") or rating.get("name") or rating.get("ratingExplanation"), 200)
    rating_value = _number(rating.get("ratingValue"))
    if not rating_text and rating_value is None:
        raise Unreadable("no rating (neither reviewRating.alternateName nor ratingValue)")
    publisher, publisher_url = _party(record.get("author") or record.get("publisher"))
    claimant, _ = _party(item.get("author"))
    appearance = _first(item.get("appearance") or item.get("firstAppearance"))
    return Parsed(
        url=url,
        claim_reviewed=claim_reviewed,
        publisher=publisher or urlsplit(url).netloc.removeprefix("www."),
        publisher_url=publisher_url,
        date_published=_date(record.get("datePublished") or record.get("dateCreated")),
        claimant=claimant[:300],
        appearance_url=_web_url(appearance.get("url") if isinstance(appearance, dict) else appearance),
        rating_text=rating_text,
        rating_value=rating_value,
        best_rating=_number(rating.get("bestRating")),
        worst_rating=_number(rating.get("worstRating")),
        raw=record,
    )


# --- Fetching and matching: the desk's own pieces (claims/fetch.py, claims/matching.py) ---------


def fetch(url: str) -> bytes:
    """The page at `url` through the desk's safe fetcher (http(s) only, public addresses unless
    FETCH_ALLOW_PRIVATE, FETCH_TIMEOUT_SECONDS, FETCH_MAX_BYTES, every redirect checked)."""
    try:
        return claims_fetch.fetch(url).body
    except claims_fetch.FetchRefused as exc:
        raise Unreadable(exc.message) from None


def _match(text: str) -> tuple[int | None, float | None]:
    """Our closest claim to a reviewed claim, by the claim matcher, at or above its suggest threshold.

    Any claim may be the match (the import has no reader); the matched claim is shown only where
    the reader may see it (the claim's own admin page, the review form, the editors' list).
    """
    found = matching.current_index().query(text, k=1, min_score=settings.MATCH_SUGGEST_THRESHOLD)
    return (found[0].claim_id, found[0].score) if found else (None, None)


# --- The import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)

    @property
    def skipped(self) -> int:
        return self.unchanged + len(self.refused)

    def summary(self) -> str:
        reasons = Counter(reason for _, reason in self.refused)
        if self.unchanged:
            reasons["unchanged"] = self.unchanged
        why = "; ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        line = (
            f"{self.read} read, {self.imported} imported, {self.updated} updated, {self.skipped} skipped"
            if self.read or self.refused
            else "nothing read"
        )
        return f"{line} ({why})" if why else line


_FIELDS = [
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
    "raw",
]


def _candidate(review: Parsed, source: str) -> ExternalReview:
    """The review as a model instance, validated (field lengths, URL syntax) before anything is written."""
    values = {name: getattr(review, name) for name in _FIELDS}
    candidate = ExternalReview(
        url=review.url,
        source=source[:1000],
        publisher_key=rating_key(review.publisher),
        rating_key=rating_key(review.rating_text),
        **values,
    )
    try:
        candidate.full_clean(exclude=["claim", "match_score"], validate_unique=False)
    except ValidationError as exc:
        fields = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
        raise Unreadable(f"invalid field ({fields})") from None
    return candidate


def external_reviews_import(*, sources: list[tuple[str, bytes | None, str]]) -> ImportReport:
    """Store the ClaimReviews found in `sources` ((name, content, error) each; content None with the
    error that kept it from being read). Every record is read and validated first; then the readable
    ones are written in one transaction, deduplicated by URL (a URL seen again updates its review)."""
    report = ImportReport()
    candidates: dict[str, ExternalReview] = {}
    for name, content, error in sources:
        if content is None:
            report.refused.append((name, error))
            continue
        try:
            found = [review for document in documents(content) for review in claim_reviews(document)]
        except Unreadable as exc:
            report.refused.append((name, str(exc)))
            continue
        if not found:
            report.refused.append((name, "no ClaimReview in it"))
        for number, record in enumerate(found, start=1):
            report.read += 1
            try:
                candidate = _candidate(parse(record), name)
            except Unreadable as exc:
                report.refused.append((f"{name} record {number}", str(exc)))
                continue
            if candidate.url in candidates:
                report.refused.append((f"{name} record {number}", "a second record with the same url"))
                continue
            candidates[candidate.url] = candidate
    if not candidates:
        return report
    compared = [*_FIELDS, "publisher_key", "rating_key"]
    with transaction.atomic():
        existing = {e.url: e for e in ExternalReview.objects.select_for_update().filter(url__in=list(candidates))}
        for url, candidate in candidates.items():
            current = existing.get(url)
            if current is not None and all(getattr(current, k) == getattr(candidate, k) for k in compared):
                report.unchanged += 1
                continue
            candidate.claim_id, candidate.match_score = _match(candidate.claim_reviewed)
            if current is not None:
                candidate.pk, candidate.imported_at = current.pk, current.imported_at
                report.updated += 1
            else:
                report.imported += 1
            candidate.save()
    return report


def read_sources(names: list[str]) -> list[tuple[str, bytes | None, str]]:
    """Files and http(s) URLs, read for external_reviews_import."""
    from pathlib import Path

    sources = []
    for name in names:
        try:
            if "://" in name:
                content = fetch(name)
            else:
                path = Path(name)
                if path.stat().st_size > settings.FETCH_MAX_BYTES:
                    raise Unreadable(f"larger than {settings.FETCH_MAX_BYTES} bytes")
                content = path.read_bytes()
        except Unreadable as exc:
            sources.append((name, None, str(exc)))
        except OSError as exc:
            sources.append((name, None, f"cannot read the file: {exc.strerror or exc}"))
        else:
            sources.append((name, content, ""))
    return sources
