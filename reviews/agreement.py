"""Inter-reviewer agreement: percent agreement and Cohen's kappa per pair of reviewers.

Computed over the claims both reviewers of a pair have submitted reviews of, overall and per
claim kind. Each rating on the scale (including off-scale ones such as "Unproven") is a
category. Kappa is undefined when chance agreement is 1 (both reviewers used one and the
same rating for every shared claim); it is then None with a note saying why.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations

from django.conf import settings

from claims.models import Claim
from reviews.models import Review

KAPPA_UNDEFINED = (
    "Kappa is undefined: both reviewers gave every shared claim the same single rating, "
    "so agreement expected by chance is already 100%."
)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> tuple[float | None, str]:
    """Cohen's kappa for two raters' labels of the same items, and a note when it is undefined."""
    if not pairs:
        return None, "No claims reviewed by both."
    n = len(pairs)
    observed = Fraction(sum(1 for a, b in pairs if a == b), n)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(Fraction(first[c], n) * Fraction(second[c], n) for c in first.keys() | second.keys())
    if expected == 1:
        return None, KAPPA_UNDEFINED
    return round(float((observed - expected) / (1 - expected)), 4), ""


def _stats(pairs: list[tuple[str, str]]) -> dict:
    kappa, note = cohen_kappa(pairs)
    agreed = sum(1 for a, b in pairs if a == b)
    return {
        "claims": len(pairs),
        "agreed": agreed,
        "percent_agreement": round(100 * agreed / len(pairs), 1) if pairs else None,
        "kappa": kappa,
        "note": note,
    }


def agreement_report() -> dict:
    """Agreement for every pair of reviewers who reviewed the same claims, overall and per kind."""
    rows = (
        Review.objects.submitted()
        .order_by()
        .values_list("claim_id", "claim__kind", "reviewer__username", "rating__slug")
    )
    by_claim: dict[int, dict[str, str]] = defaultdict(dict)
    kinds: dict[int, str] = {}
    for claim_id, kind, username, rating in rows:
        by_claim[claim_id][username] = rating
        kinds[claim_id] = kind

    # (reviewer_a, reviewer_b) -> kind -> [(rating_a, rating_b), ...]
    shared: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for claim_id, ratings in by_claim.items():
        for a, b in combinations(sorted(ratings), 2):
            shared[(a, b)][kinds[claim_id]].append((ratings[a], ratings[b]))

    kind_labels = dict(Claim.Kind.choices)
    pairs = []
    for (a, b), per_kind in sorted(shared.items()):
        everything = [pair for kind_pairs in per_kind.values() for pair in kind_pairs]
        pairs.append(
            {
                "reviewer_a": a,
                "reviewer_b": b,
                "overall": _stats(everything),
                "by_kind": [
                    {"kind": kind, "kind_label": kind_labels.get(kind, kind), **_stats(per_kind[kind])}
                    for kind in sorted(per_kind)
                ],
            }
        )
    return {
        "reviews_required": settings.REVIEWS_REQUIRED,
        "method": "Cohen's kappa over claims both reviewers reviewed; each rating is a category.",
        "pairs": pairs,
    }
