"""Re-anchoring quotes on a new version of a document (no database access here).

Each stored anchor (an appearance or an evidence passage: exact, prefix, suffix, start, end in
the old text) is looked for in the new text, in this order:

1. the exact quote; then the quote ignoring whitespace, quote styles and dashes (the quote
   helper's tolerant pattern). Every occurrence whose *immediate context* still reads the same
   is a candidate; several anchors never share one occurrence (a deleted duplicate must not be
   kept by its twin);
2. the old offsets mapped through a character diff of the two texts (diff-match-patch);
3. an approximate search (rapidfuzz) near the mapped place, then between the old prefix and
   suffix found anywhere in the new text.

**Immediate context** is the stored prefix and suffix up to the nearest line break, compared
ignoring whitespace, quote styles and dashes: a paragraph inserted or moved next to the quote
changes what lies beyond the line break, not what the quote says, while a "not" inserted just
before it changes the meaning although the quote itself is untouched.

States: INTACT (same quote, same context, same offsets), MOVED (same quote and immediate
context, elsewhere or only typographically different), CHANGED (found, but the quote or its
immediate context differs), ORPHANED (not found).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from django.db import models
from rapidfuzz import fuzz

from claims.anchoring import _EQUIVALENT, CONTEXT_CHARS, Selector, _loose_pattern, _spans, selector_at

# A mapped or approximate span whose text is at least this similar (0-100, rapidfuzz ratio on
# normalized text) is the quote, edited; below it the quote counts as gone.
CHANGED_MIN_SIMILARITY = 60
# Prefix or suffix shorter than this (normalized) is too common to locate a quote by.
CONTEXT_LOCATE_MIN = 8
DIFF_TIMEOUT_SECONDS = 2.0
# How much of the old text around an anchor tells identical quotes apart.
_WIDE_CONTEXT = 400


class AnchorState(models.TextChoices):
    INTACT = "intact", "Intact"
    MOVED = "moved", "Moved"
    CHANGED = "changed", "Changed"
    ORPHANED = "orphaned", "Orphaned"


# States that need an editor: the anchor no longer says what was checked, or is gone.
NEEDS_RECHECK = (AnchorState.CHANGED, AnchorState.ORPHANED)

_CANONICAL = {c: group[0] for group in _EQUIVALENT.values() for c in group}
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Anchor:
    """A stored selector in the old text."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int


@dataclass(frozen=True)
class Outcome:
    """Where an anchor is in the new text, and how it fares there."""

    state: str
    selector: Selector | None  # in the new text; None when orphaned
    method: str  # exact, tolerant, diff, fuzzy, context, or "" when orphaned
    reason: str  # for the editor: what differs


def normalize(text: str) -> str:
    """Text as a reader compares it: one space for any whitespace, one form of each quote and dash."""
    return _WHITESPACE.sub(" ", "".join(_CANONICAL.get(c, c) for c in text))


def _line_tail(text: str) -> str:
    return text.rsplit("\n", 1)[-1]


def _line_head(text: str) -> str:
    return text.split("\n", 1)[0]


def _similarity(a: str, b: str) -> float:
    return fuzz.ratio(normalize(a).strip(), normalize(b).strip())


class Reanchorer:
    """Re-anchors selectors from `old_text` in `new_text`; the diff is computed once per pair."""

    def __init__(self, old_text: str, new_text: str):
        self.old = old_text
        self.new = new_text
        self._dmp = diff_match_patch()
        self._dmp.Diff_Timeout = DIFF_TIMEOUT_SECONDS
        self._diffs = self._dmp.diff_main(old_text, new_text, False)

    def map_position(self, position: int) -> int:
        """The position in the new text that corresponds to `position` in the old one."""
        return self._dmp.diff_xIndex(self._diffs, position)

    # --- context ----------------------------------------------------------------

    def context_differs(self, anchor: Anchor, start: int, end: int) -> str:
        """'' when the quote at new[start:end] has the anchor's immediate context, else what differs."""
        problems = []
        old_before = normalize(_line_tail(anchor.prefix))
        new_before = normalize(_line_tail(self.new[max(0, start - 2 * CONTEXT_CHARS) : start]))
        # A prefix that reaches a line break or the document's start is the whole line before
        # the quote, and must match whole; a full-length one is a window into a longer line.
        if "\n" in anchor.prefix or len(anchor.prefix) < CONTEXT_CHARS:
            same_before = old_before.lstrip() == new_before.lstrip()
        else:
            same_before = new_before.endswith(old_before)
        if not same_before:
            problems.append(f"before the quote: {old_before[-CONTEXT_CHARS:]!r} is now {new_before[-CONTEXT_CHARS:]!r}")
        old_after = normalize(_line_head(anchor.suffix))
        new_after = normalize(_line_head(self.new[end : end + 2 * CONTEXT_CHARS]))
        if "\n" in anchor.suffix or len(anchor.suffix) < CONTEXT_CHARS:
            same_after = old_after.rstrip() == new_after.rstrip()
        else:
            same_after = new_after.startswith(old_after)
        if not same_after:
            problems.append(f"after the quote: {old_after[:CONTEXT_CHARS]!r} is now {new_after[:CONTEXT_CHARS]!r}")
        return "; ".join(problems)

    # --- steps ------------------------------------------------------------------

    def _occurrences(self, exact: str) -> list[tuple[int, int, str]]:
        """Every occurrence of the quote, verbatim ("exact") or up to typography ("tolerant")."""
        if not exact.strip():
            return []
        spans = {(m.start(), m.end()) for m in _loose_pattern(exact.strip()).finditer(self.new)}
        spans.update(_spans(self.new, exact))
        return sorted((s, e, "exact" if self.new[s:e] == exact else "tolerant") for s, e in spans)

    def _context_score(self, anchor: Anchor, start: int, end: int) -> int:
        """How many characters around new[start:end] read as around the anchor in the old text.

        Uses the old text itself (up to a few lines either side), not only the stored 32
        characters: two identical sentences with the same 32 characters around them are told
        apart by the rest of their paragraph.
        """
        if self.old[anchor.start : anchor.end] == anchor.exact:
            prefix = self.old[max(0, anchor.start - _WIDE_CONTEXT) : anchor.start]
            suffix = self.old[anchor.end : anchor.end + _WIDE_CONTEXT]
        else:
            prefix, suffix = anchor.prefix, anchor.suffix
        before = normalize(self.new[max(0, start - len(prefix)) : start])
        after = normalize(self.new[end : end + len(suffix)])
        prefix, suffix = normalize(prefix), normalize(suffix)
        score = 0
        for x, y in zip(reversed(before), reversed(prefix), strict=False):
            if x != y:
                break
            score += 1
        for x, y in zip(after, suffix, strict=False):
            if x != y:
                break
            score += 1
        return score

    def _expected(self, anchor: Anchor) -> tuple[int, int]:
        start = self.map_position(anchor.start)
        end = max(start, self.map_position(anchor.end))
        return start, end

    def _found(self, anchor: Anchor, start: int, end: int, method: str) -> Outcome:
        """The outcome for a quote found at new[start:end]: kept, or changed with the reason."""
        selector = selector_at(self.new, start, end)
        if normalize(selector.exact).strip() != normalize(anchor.exact).strip():
            return Outcome(AnchorState.CHANGED, selector, method, f"the quote now reads {_short(selector.exact)}")
        differs = self.context_differs(anchor, start, end)
        if differs:
            return Outcome(AnchorState.CHANGED, selector, method, f"the words around it changed ({differs})")
        if (
            (start, end) == (anchor.start, anchor.end)
            and selector.exact == anchor.exact
            and selector.prefix == anchor.prefix
            and selector.suffix == anchor.suffix
        ):
            return Outcome(AnchorState.INTACT, selector, method, "")
        return Outcome(AnchorState.MOVED, selector, method, "")

    def _approximate(self, anchor: Anchor, taken: set[tuple[int, int]]) -> Outcome:
        """Steps 2 and 3 for an anchor without an occurrence in the same context."""
        exp_start, exp_end = self._expected(anchor)
        length = anchor.end - anchor.start
        # 2. The old span mapped through the diff: an edit inside the quote leaves it in place.
        if (
            exp_end > exp_start
            and not _overlaps(exp_start, exp_end, taken)
            and _similarity(anchor.exact, self.new[exp_start:exp_end]) >= CHANGED_MIN_SIMILARITY
        ):
            return self._found(anchor, exp_start, exp_end, "diff")
        # 3a. Approximate search near the mapped place.
        lo = max(0, exp_start - length - 2 * CONTEXT_CHARS)
        hi = min(len(self.new), exp_end + length + 2 * CONTEXT_CHARS)
        if hi > lo:
            window = self.new[lo:hi]
            match = fuzz.partial_ratio_alignment(anchor.exact, window)
            if match is not None and match.score >= CHANGED_MIN_SIMILARITY and match.dest_end > match.dest_start:
                start, end = lo + match.dest_start, lo + match.dest_end
                if (
                    not _overlaps(start, end, taken)
                    and _similarity(anchor.exact, self.new[start:end]) >= CHANGED_MIN_SIMILARITY
                ):
                    return self._found(anchor, start, end, "fuzzy")
        # 3b. Between the old prefix and suffix, wherever they are now (a moved and edited passage).
        located = self._between_context(anchor)
        if located is not None and not _overlaps(*located, taken):
            return self._found(anchor, *located, "context")
        # The quote is still in the text, only not in its old context: changed, at the nearest one.
        # An occurrence another anchor has claimed is that anchor's, not a twin of this one.
        spans = [(s, e, method) for s, e, method in self._occurrences(anchor.exact) if not _overlaps(s, e, taken)]
        if spans:
            start, end, method = min(spans, key=lambda span: abs(span[0] - exp_start))
            return self._found(anchor, start, end, method)
        return Outcome(AnchorState.ORPHANED, None, "", "the quote is no longer in the text")

    def _between_context(self, anchor: Anchor) -> tuple[int, int] | None:
        before, after = _line_tail(anchor.prefix), _line_head(anchor.suffix)
        if len(before.strip()) < CONTEXT_LOCATE_MIN or len(after.strip()) < CONTEXT_LOCATE_MIN:
            return None
        befores = _spans(self.new, before)
        if len(befores) != 1:
            return None
        start = befores[0][1]
        limit = start + 2 * (anchor.end - anchor.start) + CONTEXT_CHARS
        end = self.new.find(after, start + 1, limit + len(after))
        if end == -1 or end <= start:
            return None
        return start, end

    # --- entry points -------------------------------------------------------------

    def locate(self, anchor: Anchor) -> Outcome:
        """Re-anchor one selector."""
        return self.locate_all([anchor])[0]

    def locate_all(self, anchors: Sequence[Anchor]) -> list[Outcome]:
        """Re-anchor several selectors of the old text; distinct old spans get distinct new ones."""
        # Anchors on the same old span (several claims quoting one passage) share one outcome.
        by_span = {(a.start, a.end): a for a in anchors}
        spans = sorted(by_span.items())
        options: dict[tuple[int, int], list[tuple[tuple, tuple[int, int], str]]] = {}
        for key, anchor in spans:
            exp_start, _ = self._expected(anchor)
            options[key] = sorted(
                (
                    # The fullest context first, then where the diff maps the old start, then
                    # nearness to it.
                    (-self._context_score(anchor, s, e), s != exp_start, abs(s - exp_start)),
                    (s, e),
                    method,
                )
                for s, e, method in self._occurrences(anchor.exact)
                # An occurrence where the diff maps the old start is this passage even when its
                # context changed (a "not" before it); elsewhere only one in the same context.
                if s == exp_start or not self.context_differs(anchor, s, e)
            )
        # Greedy assignment, most certain first: an old span whose best occurrence fits its
        # context best claims it; a twin left without one falls through to the approximate steps.
        order = sorted(options, key=lambda k: options[k][0][0] if options[k] else (0, True, 0))
        taken: set[tuple[int, int]] = set()
        results: dict[tuple[int, int], Outcome] = {}
        for key in order:
            anchor = by_span[key]
            choice = next((option for option in options[key] if option[1] not in taken), None)
            if choice is not None:
                taken.add(choice[1])
                results[key] = self._found(anchor, *choice[1], choice[2])
        for key, anchor in spans:
            if key not in results:
                results[key] = self._approximate(anchor, taken)
        return [results[(a.start, a.end)] for a in anchors]


def _overlaps(start: int, end: int, taken: set[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def _short(quote: str) -> str:
    return repr(quote if len(quote) <= 60 else quote[:57] + "...")
