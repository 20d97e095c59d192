"""Measure the suggested-claims ranking on the curated appearances, leaving one document out."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from claims import suggestions
from claims.models import Appearance, SourceDocument

TOP_K = 10


def labelled_documents() -> list[tuple[list[dict[str, bool]], list[bool]]]:
    """Per document with curated appearances: each sentence's features and whether it carries a claim."""
    spans = defaultdict(list)
    for document_id, start, end in Appearance.objects.values_list("document_id", "start", "end"):
        spans[document_id].append((start, end))
    result = []
    for document in SourceDocument.objects.filter(pk__in=spans).order_by("pk"):
        sentences = suggestions.split_sentences(document.text)
        result.append(
            ([suggestions.features(s.text) for s in sentences], suggestions.labels(sentences, spans[document.pk]))
        )
    return result


def _matrix(rows: list[dict[str, bool]]) -> np.ndarray:
    return np.array([[row[name] for name in suggestions.WEIGHTS] for row in rows], dtype=float)


def fit(documents) -> tuple[dict[str, float], float]:
    """Logistic regression weights over the features (L2, C=1), as (weights, intercept)."""
    rows = [row for features, _ in documents for row in features]
    y = [label for _, labels in documents for label in labels]
    model = LogisticRegression(C=1.0, max_iter=1000).fit(_matrix(rows), y)
    weights = {name: round(float(w), 3) for name, w in zip(suggestions.WEIGHTS, model.coef_[0], strict=True)}
    return weights, round(float(model.intercept_[0]), 3)


def evaluate(documents) -> tuple[float, float]:
    """Mean average precision and mean top-k precision over the documents, each ranked by weights
    fitted on the other documents only."""
    aps, tops = [], []
    for i, (features, labels) in enumerate(documents):
        weights, intercept = fit(documents[:i] + documents[i + 1 :])
        scores = [suggestions.score(row, weights=weights, intercept=intercept) for row in features]
        aps.append(average_precision_score(labels, scores))
        order = sorted(range(len(scores)), key=lambda j: (-scores[j], j))[:TOP_K]
        tops.append(sum(labels[j] for j in order) / len(order))
    return float(np.mean(aps)), float(np.mean(tops))


class Command(BaseCommand):
    help = (
        "Rank each curated document's sentences with weights fitted on the other documents and print the "
        f"mean average precision and top-{TOP_K} precision on the last line. --fit prints the weights "
        "fitted on all documents (for claims/suggestions.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fit", action="store_true", help="Also print the weights fitted on every document.")

    def handle(self, *args, **options):
        documents = labelled_documents()
        if len(documents) < 2:
            raise CommandError("Needs curated appearances in at least two documents (make run, or load_curated).")
        if options.get("fit"):
            weights, intercept = fit(documents)
            self.stdout.write(f"INTERCEPT = {intercept}\nWEIGHTS = {weights}")
        sentences = sum(len(labels) for _, labels in documents)
        positives = sum(sum(labels) for _, labels in documents)
        ap, top = evaluate(documents)
        self.stdout.write(
            f"AP {ap:.3f} top-{TOP_K} precision {top:.3f} "
            f"({len(documents)} documents, {positives} of {sentences} sentences carry a curated claim)"
        )
