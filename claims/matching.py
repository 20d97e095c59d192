"""Claim matching: for any passage, the closest claims the desk already tracks.

Every claim's text and every anchored quote is a passage in one character n-gram TF-IDF index
(scikit-learn); a query scores each passage by cosine similarity and each claim by its best
passage, so the editor sees *which* wording matched. Character n-grams within word boundaries
measured best on the curated set (`manage.py evaluate_matching`): they survive inflection,
typography and paraphrases that keep the figures and names, where word tokens do not.

Two thresholds (settings): MATCH_SUGGEST_THRESHOLD, at which a claim is offered as a candidate,
and MATCH_LIKELY_THRESHOLD, at which it is *likely the same claim* (creating a claim warns).
Nothing is ever merged automatically.

**Refresh.** The index's key is the newest history row of claims and appearances
(django-simple-history writes one on every save and delete through the services, an appearance
moved or a claim merged included): two primary-key lookups. A write to claims or appearances
enqueues `claims.tasks.refresh_match_index` on commit; the worker builds the index and stores it
(joblib: the fitted vectorizer and the matrices) under MATCH_INDEX_DIR, where every process loads
it, memory-mapped. A request never builds it while one is stored: until the worker's copy for the
newest key is there, it answers from the previous one (stale by the writes being indexed). Only a
cold start with nothing stored builds in the request. MATCH_INDEX_REFRESH=inline builds in the
request instead, for setups without a worker (and the tests that check freshness right after a write).

**Speed.** Up to EXACT_UP_TO passages a query is scored against every passage. Above that, the
query's CANDIDATE_FEATURES heaviest n-grams (the rarest, most telling ones) pick the passages that
share any of them, scored on those n-grams alone through the inverted (feature x passage) matrix;
the CANDIDATES best are then scored exactly. A passage that scores high on the whole query shares
its heavy n-grams, so the approximation loses next to nothing (bench/matching.py measures how often
the top 3 agree with exact scoring).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from django.conf import settings
from django.db import connection
from sklearn.feature_extraction.text import TfidfVectorizer

from claims.models import Appearance, Claim

logger = logging.getLogger(__name__)

# Exact scoring against every passage up to this many passages (the curated set is scored exactly).
EXACT_UP_TO = 5_000
# Above it: the query's heaviest n-grams pick candidates, and this many are scored exactly.
CANDIDATE_FEATURES = 80
CANDIDATES = 500

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

    def candidate_scores(self, text: str, *, exact: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, exact cosine scores) of the passages worth ranking for `text`.

        Every passage up to EXACT_UP_TO (or with exact=True); above, the candidates that share one
        of the query's CANDIDATE_FEATURES heaviest n-grams, best CANDIDATES by those n-grams alone.
        """
        if self.matrix is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        query = self.vectorizer.transform([text])
        if query.nnz == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if exact is None:
            exact = self.matrix.shape[0] <= EXACT_UP_TO
        if exact:
            scores = np.asarray((query @ self.matrix_t).todense()).ravel()
            return np.arange(scores.size), scores
        features, weights = query.indices, query.data
        if features.size > CANDIDATE_FEATURES:
            heaviest = np.argpartition(-weights, CANDIDATE_FEATURES - 1)[:CANDIDATE_FEATURES]
            features, weights = features[heaviest], weights[heaviest]
        # Walk the inverted lists of those n-grams only, summing each passage's partial score.
        starts, ends = self.matrix_t.indptr[features], self.matrix_t.indptr[features + 1]
        postings = np.concatenate([self.matrix_t.indices[a:b] for a, b in zip(starts, ends, strict=True)])
        values = np.concatenate([self.matrix_t.data[a:b] * w for a, b, w in zip(starts, ends, weights, strict=True)])
        partial = np.bincount(postings, weights=values, minlength=self.matrix.shape[0])
        touched = np.count_nonzero(partial)
        count = min(CANDIDATES, touched)
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows = np.argpartition(-partial, count - 1)[:count]
        scores = np.asarray((self.matrix[rows] @ query.T).todense()).ravel()
        return rows, scores

    def query(
        self,
        text: str,
        *,
        k: int = 3,
        min_score: float = 0.0,
        exclude_claims: Iterable[int] = (),
        exact: bool | None = None,
    ) -> list[Match]:
        """The k best claims for `text`, each with its best passage, best first."""
        rows, scores = self.candidate_scores(text, exact=exact)
        if scores.size == 0:
            return []
        excluded = set(exclude_claims)
        pool = min(scores.size, _POOL + len(excluded) * 4)
        top = np.argpartition(-scores, pool - 1)[:pool] if pool < scores.size else np.arange(scores.size)
        top = top[np.lexsort((rows[top], -scores[top]))]  # best first; ties in passage order
        likely = settings.MATCH_LIKELY_THRESHOLD
        found: dict[int, Match] = {}
        for position in top:
            row = int(rows[position])
            score = float(scores[position])
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
    """Every claim's text and every anchored quote, in id order (the same on every database).

    Merged-away claims are left out: their appearances moved to the survivor, whose text stands.
    """
    claims = Claim.objects.exclude(status=Claim.Status.MERGED).order_by("pk")
    passages = [Passage(claim_id=pk, text=text) for pk, text in claims.values_list("pk", "text")]
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


# --- The stored index -------------------------------------------------------------------------


def _store_prefix() -> str:
    # One directory may serve several databases (development, bench): each has its own files.
    name = str(connection.settings_dict.get("NAME") or "")
    return hashlib.blake2b(f"{connection.vendor}:{name}".encode(), digest_size=6).hexdigest()


def _store_path(key: tuple) -> Path:
    return Path(settings.MATCH_INDEX_DIR) / f"{_store_prefix()}-{key[0] or 0}-{key[1] or 0}.joblib"


def _stored_paths() -> list[Path]:
    folder = Path(settings.MATCH_INDEX_DIR)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{_store_prefix()}-*.joblib"), key=lambda p: p.stat().st_mtime)


def _load(path: Path) -> MatchIndex | None:
    try:
        # Memory-mapped: processes on one host share the matrices' pages.
        return joblib.load(path, mmap_mode="r")
    except (OSError, EOFError, ValueError) as exc:
        logger.warning("could not load the match index %s: %s", path, exc)
        return None


def store_index(key: tuple, index: MatchIndex) -> Path:
    """Write `index` for `key` where every process finds it (atomically), keeping the last two."""
    path = _store_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    joblib.dump(index, temporary)
    os.replace(temporary, path)
    for old in _stored_paths()[:-2]:
        old.unlink(missing_ok=True)
    return path


def refresh() -> tuple:
    """Build the index for the database as it is now and store it (the background task's work).

    Nothing to do when the stored index already has the newest key (a duplicate run).
    """
    key = index_key()
    if not _store_path(key).exists():
        store_index(key, MatchIndex(passages_from_database()))
    return key


_lock = threading.Lock()
_current: tuple[tuple, MatchIndex] | None = None


def current_index() -> MatchIndex:
    """The index for the database as it is now, or the newest stored one while the worker builds it.

    See the module docstring: built in the request only with MATCH_INDEX_REFRESH=inline or on a
    cold start with nothing stored.
    """
    global _current
    key = index_key()
    cached = _current
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        if _current is not None and _current[0] == key:
            return _current[1]
        path = _store_path(key)
        index = _load(path) if path.exists() else None
        if index is None and settings.MATCH_INDEX_REFRESH != "inline":
            if _current is not None:
                return _current[1]  # stale until the worker stores the newest
            stored = _stored_paths()
            index = _load(stored[-1]) if stored else None
            if index is not None:
                _current = ((None, None), index)  # a stale key: the next call looks for the newest again
                return index
        if index is None:
            index = MatchIndex(passages_from_database())
            store_index(key, index)
        _current = (key, index)
        return index


def forget_index() -> None:
    """Drop this process's copy (tests; a process that must re-read the store)."""
    global _current
    _current = None


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
