"""Suggested claims: a document's sentences ranked by check-worthiness, with the reasons.

In the manner of Full Fact's PASTEL: each sentence gets yes/no features (a number, a money
figure or percentage, a date, attribution, a quotation, a comparison, a named party; a question
and first-person opinion count against), and a logistic regression over them gives the score.
The weights below were fitted on the curated appearances (fixtures/claims.json: a sentence is
positive when a curated quote lies in it) by `manage.py evaluate_suggestions --fit`, which also
measures the ranking leaving one document out. We rank rather than threshold: a cut-off that
suits a news article does not suit a comment-heavy blog post.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from claims.facts.figures import parse_figures

# A sentence ends at . ! ? (and any closing quotes or brackets) followed by white space, or at
# a line break; headlines and list items without a full stop are sentences of their own.
_SENTENCE_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)|\n""")

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"

FEATURES: dict[str, re.Pattern | None] = {
    "number": re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b"),
    "money_or_percent": None,  # the wage parser (claims/facts/figures.py), plus % and percent
    "date": re.compile(rf"\b({_MONTHS}|{_DAYS}|(19|20)\d\d|yesterday|last (week|month|year))\b"),
    "attribution": re.compile(
        r"\b(said|says|told|according to|reported|reports|stated|confirmed|announced|claimed|wrote|"
        r"admitted|acknowledged|denied|insisted|spokes(man|woman|person))\b"
    ),
    "quotation": re.compile(r"[“”\"]"),
    "comparison": re.compile(
        r"\b(more|less|fewer|higher|lower|than|most|least|at least|at most|up to|compared|double|"
        r"twice|half|only|below|above|maximum|minimum)\b"
    ),
    "named_party": re.compile(r"(?<=\S )[A-Z][a-z]+|\b[A-Z]{2,}\b|\b(campaign|company|department|vendor)\b"),
    "question": re.compile(r"\?\s*[\"”’]*\s*$"),
    "first_person_opinion": re.compile(
        r"\b(I|we) (think|believe|feel|guess|suppose)\b|\bin my (view|opinion)\b|\b(IMO|IMHO)\b", re.IGNORECASE
    ),
    "short": None,  # fewer than six words: headlines' fragments, bylines, captions
}
_PERCENT = re.compile(r"%|\bper ?cent\b")
_CASE_SENSITIVE = {"named_party", "first_person_opinion"}

# Fitted by `manage.py evaluate_suggestions --fit` on fixtures/claims.json (all five documents).
INTERCEPT = -2.215
WEIGHTS: dict[str, float] = {
    "number": 0.822,
    "money_or_percent": 1.007,
    "date": 0.084,
    "attribution": 1.698,
    "quotation": 0.732,
    "comparison": 0.054,
    "named_party": 1.175,
    "question": -0.775,
    "first_person_opinion": -0.137,
    "short": -2.46,
}


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Suggestion:
    sentence: Sentence
    score: float
    fired: tuple[str, ...]


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text` with their code-point offsets, surrounding white space excluded."""
    sentences, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        _add(sentences, text, begin, match.end())
        begin = match.end()
    _add(sentences, text, begin, len(text))
    return sentences


def _add(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if len(stripped) < 2 or not any(c.isalpha() for c in stripped):
        return
    start += len(chunk) - len(chunk.lstrip())
    end = start + len(stripped)
    sentences.append(Sentence(start=start, end=end, text=stripped))


def features(sentence: str) -> dict[str, bool]:
    """Which features fire for one sentence."""
    lowered = sentence.lower()
    fired = {}
    for name, pattern in FEATURES.items():
        if pattern is not None:
            fired[name] = bool(pattern.search(sentence if name in _CASE_SENSITIVE else lowered))
    fired["money_or_percent"] = bool(_PERCENT.search(lowered)) or bool(parse_figures(sentence))
    fired["short"] = len(sentence.split()) < 6
    return fired


def score(fired: dict[str, bool], *, weights: dict[str, float] = WEIGHTS, intercept: float = INTERCEPT) -> float:
    z = intercept + sum(weight for name, weight in weights.items() if fired.get(name))
    return 1 / (1 + math.exp(-z))


def rank(text: str, *, weights: dict[str, float] = WEIGHTS, intercept: float = INTERCEPT) -> list[Suggestion]:
    """Every sentence of `text`, most check-worthy first (ties in text order)."""
    ranked = []
    for sentence in split_sentences(text):
        fired = features(sentence.text)
        ranked.append(
            Suggestion(
                sentence=sentence,
                score=round(score(fired, weights=weights, intercept=intercept), 3),
                fired=tuple(name for name in WEIGHTS if fired[name]),
            )
        )
    return sorted(ranked, key=lambda s: (-s.score, s.sentence.start))


def labels(sentences: Iterable[Sentence], spans: Iterable[tuple[int, int]]) -> list[bool]:
    """A sentence carries a claim when an anchored quote overlaps it."""
    spans = list(spans)
    return [any(start < s.end and s.start < end for start, end in spans) for s in sentences]
