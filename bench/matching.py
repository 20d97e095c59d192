"""Claim matching at archive scale: index build time and query latency.

    python -m bench.matching --claims 100000      # or --quick for 10,000

Builds claims.matching.MatchIndex over synthetic passages (one claim text and ~1.7 quotes per
claim, the curated set's ratio, worded from the curated vocabulary so n-grams overlap as in a
real desk's archive) and times queries of unseen sentences, with candidate restriction (what
requests use above EXACT_UP_TO passages) and with exact scoring of every passage, and how often
the two agree on the best claim and on the top 3. Also times storing and loading the index
(what the background refresh writes and each process reads). No database: the invalidation key
is two primary-key lookups on top.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import joblib

BASE = Path(__file__).resolve().parent.parent


def _vocabulary() -> list[str]:
    data = json.loads((BASE / "fixtures" / "claims.json").read_text(encoding="utf-8"))
    words = []
    for claim in data["claims"]:
        words += claim["text"].split()
        for appearance in claim.get("appearances", []):
            words += appearance["quote"].split()
    return words


def _sentence(rng: random.Random, words: list[str]) -> str:
    figure = rng.choice(["$7.25 an hour", "54 cents", "$20 a month", "900 women", "two centers", "2019", "45%"])
    picked = rng.sample(words, rng.randint(8, 22))
    picked.insert(rng.randrange(len(picked)), figure)
    return " ".join(picked)


def _reworded(rng: random.Random, text: str) -> str:
    words = text.split()
    for _ in range(max(1, len(words) // 6)):  # drop about a sixth of the words
        if len(words) > 4:
            words.pop(rng.randrange(len(words)))
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def run(claims: int, queries: int = 200) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.conf import settings

    from claims.matching import MatchIndex, Passage

    rng = random.Random(12)
    words = _vocabulary()
    passages = []
    for claim_id in range(1, claims + 1):
        passages.append(Passage(claim_id=claim_id, text=_sentence(rng, words)))
        for n in range(rng.choice([0, 1, 2, 2, 3])):
            passages.append(Passage(claim_id=claim_id, text=_sentence(rng, words), appearance_id=claim_id * 4 + n))
    started = time.perf_counter()
    index = MatchIndex(passages)
    build = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.joblib"
        started = time.perf_counter()
        joblib.dump(index, path)
        store = time.perf_counter() - started
        size = path.stat().st_size
        started = time.perf_counter()
        joblib.load(path, mmap_mode="r")
        load = time.perf_counter() - started
    timings, exact_timings, same_first, same_three = [], [], 0, 0
    found_first = found_three = findable = 0
    threshold = settings.MATCH_SUGGEST_THRESHOLD
    for n in range(queries):
        # Half are reworded copies of an indexed passage (a claim already tracked), half unseen.
        text = _reworded(rng, rng.choice(passages).text) if n % 2 == 0 else _sentence(rng, words)
        started = time.perf_counter()
        fast = index.query(text, k=3)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        exact = index.query(text, k=3, exact=True)
        exact_timings.append((time.perf_counter() - started) * 1000)
        same_first += [m.claim_id for m in fast[:1]] == [m.claim_id for m in exact[:1]]
        same_three += {m.claim_id for m in fast} == {m.claim_id for m in exact}
        # What an editor is shown: the candidates at or above the suggest threshold.
        shown = [m.claim_id for m in exact if m.score >= threshold]
        if shown:
            findable += 1
            found_first += [m.claim_id for m in fast[:1]] == shown[:1]
            found_three += [m.claim_id for m in fast if m.score >= threshold] == shown
    timings.sort()
    exact_timings.sort()
    return {
        "claims": claims,
        "passages": len(passages),
        "features": index.matrix.shape[1],
        "build_seconds": round(build, 1),
        "store_seconds": round(store, 1),
        "load_seconds": round(load, 2),
        "stored_mb": round(size / 1e6, 1),
        "query_ms_median": round(statistics.median(timings), 1),
        "query_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 1),
        "exact_query_ms_median": round(statistics.median(exact_timings), 1),
        "exact_query_ms_p95": round(exact_timings[int(len(exact_timings) * 0.95) - 1], 1),
        "same_best_claim": round(same_first / queries, 3),
        "same_top3": round(same_three / queries, 3),
        "queries_with_suggestions": findable,
        "same_best_suggestion": round(found_first / findable, 3) if findable else None,
        "same_suggestions": round(found_three / findable, 3) if findable else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 claims")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BASE))
    print(json.dumps(run(10_000 if args.quick else args.claims)))


if __name__ == "__main__":
    main()
