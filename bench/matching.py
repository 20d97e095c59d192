"""Claim matching at archive scale: index build time and query latency.

    python -m bench.matching --claims 100000      # or --quick for 10,000

Builds claims.matching.MatchIndex over synthetic passages (one claim text and ~1.7 quotes per
claim, the curated set's ratio, worded from the curated vocabulary so n-grams overlap as in a
real desk's archive) and times queries of unseen sentences. No database: the index is what a
query costs once it is built; the invalidation key is two primary-key lookups on top.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

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


def run(claims: int, queries: int = 200) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
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
    timings = []
    for _ in range(queries):
        text = _sentence(rng, words)
        started = time.perf_counter()
        index.query(text, k=3)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "claims": claims,
        "passages": len(passages),
        "build_seconds": round(build, 1),
        "query_ms_median": round(statistics.median(timings), 1),
        "query_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 1),
        "features": index.matrix.shape[1],
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
