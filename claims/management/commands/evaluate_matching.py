"""Measure claim matching on the curated claims, leaving one document out at a time."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.matching import MatchIndex, Passage
from claims.models import Appearance, Claim


@dataclass(frozen=True)
class MatchingEvaluation:
    queries: int  # every anchored quote
    findable: int  # quotes whose claim also appears in another document
    top1: int
    top3: int
    suggested_right: int  # the first candidate, at or above the suggest threshold, is the right claim
    suggested_wrong: int

    @property
    def precision(self) -> float:
        suggested = self.suggested_right + self.suggested_wrong
        return self.suggested_right / suggested if suggested else 1.0

    @property
    def recall(self) -> float:
        return self.suggested_right / self.findable if self.findable else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return (
            f"top-1 {self.top1 / self.findable:.3f} top-3 {self.top3 / self.findable:.3f} "
            f"precision {self.precision:.3f} recall {self.recall:.3f} F1 {self.f1:.3f} "
            f"(threshold {settings.MATCH_SUGGEST_THRESHOLD}, {self.findable} findable of {self.queries} quotes)"
        )


def evaluate_matching(threshold: float | None = None) -> MatchingEvaluation:
    """Each document in turn is the new one: its quotes are matched against the claims that also
    appear elsewhere (their texts and their quotes in the other documents). A claim found only in
    that document does not exist yet, so suggesting anything for its quotes is a false alarm."""
    threshold = settings.MATCH_SUGGEST_THRESHOLD if threshold is None else threshold
    claims = dict(Claim.objects.order_by("pk").values_list("pk", "text"))
    quotes = list(Appearance.objects.order_by("pk").values_list("pk", "claim_id", "document_id", "exact"))
    counts = dict(queries=0, findable=0, top1=0, top3=0, suggested_right=0, suggested_wrong=0)
    for document in sorted({q[2] for q in quotes}):
        known = {claim_id for _, claim_id, doc, _ in quotes if doc != document}
        index = MatchIndex(
            [Passage(claim_id=pk, text=text) for pk, text in claims.items() if pk in known]
            + [Passage(claim_id=c, text=exact, appearance_id=pk) for pk, c, doc, exact in quotes if doc != document]
        )
        for _, claim_id, doc, exact in quotes:
            if doc != document:
                continue
            found = index.query(exact, k=3)
            counts["queries"] += 1
            if claim_id in known:
                counts["findable"] += 1
                counts["top1"] += bool(found) and found[0].claim_id == claim_id
                counts["top3"] += any(m.claim_id == claim_id for m in found)
            if found and found[0].score >= threshold:
                counts["suggested_right" if found[0].claim_id == claim_id else "suggested_wrong"] += 1
    return MatchingEvaluation(**counts)


class Command(BaseCommand):
    help = (
        "Match every anchored quote against the other documents' claims and quotes (leave one document out) "
        "and print top-1, top-3, and precision/recall/F1 at MATCH_SUGGEST_THRESHOLD on the last line."
    )

    def handle(self, *args, **options):
        if not Appearance.objects.exists():
            raise CommandError("No anchored quotes: load the curated claims first (make run, or load_curated).")
        self.stdout.write(evaluate_matching().line())
