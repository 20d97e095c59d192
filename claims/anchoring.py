"""Anchoring quotes in document text, after the W3C Web Annotation text selectors.

A selector stores both a TextQuoteSelector (exact, prefix, suffix) and a
TextPositionSelector (start, end: Unicode code point offsets, end exclusive). Python
strings index by code point, so `text[start:end]` is the W3C slice exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTEXT_CHARS = 32

# Characters an editor's clipboard commonly swaps: curly for straight quotes, dashes.
_EQUIVALENT = {
    "'": "'‘’‛′",
    "‘": "'‘’‛′",
    "’": "'‘’‛′",
    '"': '"“”„″',
    "“": '"“”„″',
    "”": '"“”„″',
    "-": "-‐‑‒–—",
    "–": "-‐‑‒–—",
    "—": "-‐‑‒–—",
}


class AnchorError(ValueError):
    """A quote that cannot be anchored in the document (missing, ambiguous or mismatched)."""


@dataclass(frozen=True)
class Selector:
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int

    def fields(self) -> dict:
        """The selector as the model fields that store it (Appearance, Evidence)."""
        return {"exact": self.exact, "prefix": self.prefix, "suffix": self.suffix, "start": self.start, "end": self.end}

    def as_w3c(self) -> list[dict]:
        return [
            {"type": "TextQuoteSelector", "exact": self.exact, "prefix": self.prefix, "suffix": self.suffix},
            {"type": "TextPositionSelector", "start": self.start, "end": self.end},
        ]


def selector_at(text: str, start: int, end: int) -> Selector:
    """The selector for text[start:end], with ~32 characters of context either side."""
    if not (0 <= start < end <= len(text)):
        raise AnchorError(f"offsets {start}..{end} are outside the document (length {len(text)})")
    return Selector(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
        start=start,
        end=end,
    )


def check_selector(text: str, *, exact: str, start: int, end: int) -> None:
    """Raise AnchorError unless `exact` is exactly text[start:end]."""
    if not (0 <= start < end <= len(text)):
        raise AnchorError(f"offsets {start}..{end} are outside the document (length {len(text)})")
    if text[start:end] != exact:
        raise AnchorError(
            f"the quote does not match the document at {start}..{end}: the document has {text[start:end]!r}"
        )


def locate(
    text: str,
    *,
    quote: str = "",
    prefix: str = "",
    suffix: str = "",
    occurrence: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Selector:
    """The selector for a passage given by its offsets or by its quote (Appearance and Evidence alike).

    With offsets, a quote given too must be exactly text[start:end]; without, `find_quote`
    finds the quote (exact match first, then ignoring whitespace and quote styles).
    """
    if start is None and end is None:
        return find_quote(text, quote, prefix=prefix, suffix=suffix, occurrence=occurrence)
    if start is None or end is None:
        raise AnchorError("give both start and end offsets, or neither")
    selector = selector_at(text, start, end)
    if quote and quote != selector.exact:
        check_selector(text, exact=quote, start=start, end=end)
    return selector


def _loose_pattern(quote: str) -> re.Pattern:
    """A pattern matching `quote` with any run of whitespace and equivalent punctuation."""
    parts = []
    for word in quote.split():
        parts.append("".join(f"[{re.escape(_EQUIVALENT[c])}]" if c in _EQUIVALENT else re.escape(c) for c in word))
    return re.compile(r"\s+".join(parts))


def _spans(text: str, quote: str) -> list[tuple[int, int]]:
    spans = []
    start = text.find(quote)
    while start != -1:
        spans.append((start, start + len(quote)))
        start = text.find(quote, start + 1)
    return spans


def find_quote(text: str, quote: str, *, prefix: str = "", suffix: str = "", occurrence: int | None = None) -> Selector:
    """Find `quote` in `text`: exact match first, then ignoring whitespace and quote styles.

    When the quote occurs more than once, `prefix`/`suffix` or a 1-based `occurrence`
    picks one; otherwise the quote is ambiguous and AnchorError says so.
    """
    quote = quote.strip()
    if not quote:
        raise AnchorError("the quote is empty")
    spans = _spans(text, quote)
    if not spans:
        pattern = _loose_pattern(quote)
        spans = [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not spans:
        raise AnchorError(f"the quote {_short(quote)} does not occur in the document")
    if occurrence is not None:
        if not 1 <= occurrence <= len(spans):
            raise AnchorError(f"the quote {_short(quote)} occurs {len(spans)} time(s), not {occurrence}")
        return selector_at(text, *spans[occurrence - 1])
    if len(spans) > 1 and (prefix or suffix):
        scored = [(_context_score(text, s, e, prefix, suffix), (s, e)) for s, e in spans]
        scored.sort(key=lambda item: -item[0])
        if scored[0][0] > scored[1][0]:
            return selector_at(text, *scored[0][1])
    if len(spans) > 1:
        raise AnchorError(
            f"the quote {_short(quote)} occurs {len(spans)} times; give the text just before or after it, or which occurrence (1 = first)"
        )
    return selector_at(text, *spans[0])


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> int:
    before = text[max(0, start - len(prefix)) : start]
    after = text[end : end + len(suffix)]
    return _common_suffix(before, prefix) + _common_prefix(after, suffix)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def resolve(text: str, *, exact: str, prefix: str, suffix: str, start: int, end: int) -> Selector | None:
    """Re-anchor a stored selector in (possibly different) text; None when it is orphaned.

    Position first, then prefix+exact+suffix, then the exact quote alone when it is unique.
    """
    if 0 <= start < end <= len(text) and text[start:end] == exact:
        return selector_at(text, start, end)
    spans = _spans(text, prefix + exact + suffix) if (prefix or suffix) else []
    if len(spans) == 1:
        s = spans[0][0] + len(prefix)
        return selector_at(text, s, s + len(exact))
    spans = _spans(text, exact)
    if len(spans) == 1:
        return selector_at(text, *spans[0])
    return None


def _short(quote: str) -> str:
    return repr(quote if len(quote) <= 60 else quote[:57] + "...")
