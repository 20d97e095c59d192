"""Claim matching: for any passage, the closest claims the desk already tracks.

Every claim's text and every anchored quote is a passage in one character n-gram TF-IDF index
(scikit-learn); a query scores each passage by cosine similarity and each claim by its best
passage, so the editor sees *which* wording matched. Character n-grams within word boundaries
measured best on the curated set (`manage.py evaluate_matching`): they survive inflection,
typography and paraphrases that keep the figures and names, where word tokens do not.

Two thresholds (settings): MATCH_SUGGEST_THRESHOLD, at which a claim is offered as a candidate,
and MATCH_LIKELY_THRESHOLD, at which it is *likely the same claim* (creating a claim warns).
Nothing is ever merged automatically.

The index is built lazily per process and rebuilt when its key changes: the newest history row
of claims and appearances (django-simple-history writes one on every save and delete through
the services, including an appearance moved to another claim), two primary-key lookups.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer

from claims.models import Appearance, Claim

# How many passages are ranked before grouping them by claim: enough that the k best claims are
# among them even when one claim owns many near-identical quotes.
_POOL = 60

_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower case, straight quotes and dashes, single spaces: what the n-grams are taken from."""
    return _SPACES.sub(" ", text.translate(_TYPOGRAPHY).lower()).strip()


def make_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        preprocessor=normalize,
        sublinear_tf=True,
        dtype=np.float32,
    )


@dataclass(frozen=True)
class Passage:
    claim_id: int
    text: str
    appearance_id: int | None = None  # None: the claim's own text


@dataclass(frozen=True)
class Match:
    claim_id: int
    score: float
    passage: str
    appearance_id: int | None
    likely_same: bool

    @property
    def matched(self) -> str:
        return "claim text" if self.appearance_id is None else "quote"


class MatchIndex:
    """An immutable index over passages; `query` is thread-safe."""

    def __init__(self, passages: list[Passage]):
        self.passages = passages
        self.claim_ids = np.array([p.claim_id for p in passages], dtype=np.int64)
        self.vectorizer = make_vectorizer()
        if passages:
            self.matrix = self.vectorizer.fit_transform([p.text for p in passages]).tocsr()
            # Scoring multiplies by the transpose: keep it ready in the layout that product wants.
            self.matrix_t = self.matrix.T.tocsr()
        else:
            self.matrix = self.matrix_t = None

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of `text` with every passage (rows are L2-normalised)."""
        if self.matrix is None:
            return np.zeros(0, dtype=np.float32)
        query = self.vectorizer.transform([text])
        return np.asarray((query @ self.matrix_t).todense()).ravel()

    def query(
        self, text: str, *, k: int = 3, min_score: float = 0.0, exclude_claims: Iterable[int] = ()
    ) -> list[Match]:
        """The k best claims for `text`, each with its best passage, best first."""
        scores = self.scores(text)
        if scores.size == 0:
            return []
        excluded = set(exclude_claims)
        pool = min(scores.size, _POOL + len(excluded) * 4)
        top = np.argpartition(-scores, pool - 1)[:pool] if pool < scores.size else np.arange(scores.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        likely = settings.MATCH_LIKELY_THRESHOLD
        found: dict[int, Match] = {}
        for row in top:
            score = float(scores[row])
            if score < min_score or score <= 0:
                break
            passage = self.passages[row]
            if passage.claim_id in found or passage.claim_id in excluded:
                continue
            found[passage.claim_id] = Match(
                claim_id=passage.claim_id,
                score=round(score, 4),
                passage=passage.text,
                appearance_id=passage.appearance_id,
                likely_same=score >= likely,
            )
            if len(found) == k:
                break
        return list(found.values())


def passages_from_database() -> list[Passage]:
    """Every claim's text and every anchored quote, in id order (the same on every database)."""
    passages = [Passage(claim_id=pk, text=text) for pk, text in Claim.objects.order_by("pk").values_list("pk", "text")]
    passages += [
        Passage(claim_id=claim_id, text=exact, appearance_id=pk)
        for pk, claim_id, exact in Appearance.objects.order_by("pk").values_list("pk", "claim_id", "exact")
    ]
    return passages


def index_key() -> tuple:
    """Changes whenever a claim or an appearance is written (each write adds a history row)."""
    return tuple(
        model.history.order_by("-history_id").values_list("history_id", flat=True).first()
        for model in (Claim, Appearance)
    )


_lock = threading.Lock()
_current: tuple[tuple, MatchIndex] | None = None


def current_index() -> MatchIndex:
    """The index for the database as it is now, rebuilt lazily when claims or appearances changed."""
    global _current
    key = index_key()
    cached = _current
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        index = MatchIndex(passages_from_database())
        _current = (key, index)
        return index


def match_claims(text: str, *, user, k: int = 3, exclude_claims: Iterable[int] = ()) -> list[Match]:
    """The k closest claims `user` may see, at or above the suggest threshold, best first."""
    candidates = current_index().query(
        text, k=k * 4, min_score=settings.MATCH_SUGGEST_THRESHOLD, exclude_claims=exclude_claims
    )
    visible = set(
        Claim.objects.visible_to(user).filter(pk__in=[m.claim_id for m in candidates]).values_list("pk", flat=True)
    )
    return [m for m in candidates if m.claim_id in visible][:k]


def likely_duplicates(text: str, *, user, exclude_claims: Iterable[int] = ()) -> list[Match]:
    """The claims `text` likely repeats (at or above the likely threshold): creating it warns."""
    return [m for m in match_claims(text, user=user, exclude_claims=exclude_claims) if m.likely_same]
