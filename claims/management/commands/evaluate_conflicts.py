"""Compare the conflict detector with the hand-labelled conflicts in fixtures/conflicts.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.facts import conflicts
from claims.models import Claim

# The fixture names some fields as the article does; the models name them more precisely.
FIELD_ALIASES = {"date": "occurred_on", "when": "known_on"}


@dataclass(frozen=True)
class Evaluation:
    detected: set[frozenset[str]]
    detected_fields: dict[frozenset[str], set[str]]
    labelled_fields: dict[frozenset[str], str]
    labelled: set[frozenset[str]]
    labelled_not: set[frozenset[str]]
    unknown_keys: set[str]

    @property
    def found(self) -> set[frozenset[str]]:
        return self.detected & self.labelled

    @property
    def missed(self) -> set[frozenset[str]]:
        return self.labelled - self.detected

    @property
    def false_alarms(self) -> set[frozenset[str]]:
        return self.detected - self.labelled

    @property
    def precision(self) -> float:
        return len(self.found) / len(self.detected) if self.detected else 1.0

    @property
    def recall(self) -> float:
        return len(self.found) / len(self.labelled) if self.labelled else 1.0


def _pairs(items: list, name: str) -> set[frozenset[str]]:
    try:
        return {frozenset((item["a"], item["b"])) for item in items}
    except (KeyError, TypeError) as exc:
        raise CommandError(f"every entry of {name!r} needs 'a' and 'b' claim keys") from exc


def evaluate(labels: dict) -> Evaluation:
    """Run the detector (writing nothing) and compare its claim pairs with the labels."""
    labelled = _pairs(labels.get("conflicts", []), "conflicts")
    labelled_not = _pairs(labels.get("not_conflicts", []), "not_conflicts")
    keys = {key for pair in labelled | labelled_not for key in pair}
    unknown = keys - set(Claim.objects.filter(slug__in=keys).values_list("slug", flat=True))
    findings = conflicts.find_all()
    detected_fields: dict[frozenset[str], set[str]] = {}
    for finding, pair in zip(findings, conflicts.pairs(findings), strict=True):
        detected_fields.setdefault(pair, set()).add(finding.field)
    labelled_fields = {
        frozenset((item["a"], item["b"])): FIELD_ALIASES.get(item.get("field", ""), item.get("field", ""))
        for item in labels.get("conflicts", [])
    }
    return Evaluation(set(detected_fields), detected_fields, labelled_fields, labelled, labelled_not, unknown)


def _show(pair: frozenset[str]) -> str:
    return " vs ".join(sorted(pair))


class Command(BaseCommand):
    help = (
        "Run the conflict detector over the loaded claims (nothing is written) and compare the claim pairs "
        "it finds with a hand-labelled list: prints precision, recall, misses and false alarms."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=Path("fixtures/conflicts.json"))

    def handle(self, *args, path: Path, **options):
        try:
            labels = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: cannot be read as JSON ({exc})") from exc
        result = evaluate(labels)
        if result.unknown_keys:
            raise CommandError(
                f"{path}: claims not loaded: {', '.join(sorted(result.unknown_keys))} (run load_curated first)"
            )
        for pair in sorted(result.found, key=_show):
            wanted, got = result.labelled_fields[pair], result.detected_fields[pair]
            if wanted not in got:
                self.stdout.write(f"other field: {_show(pair)} (labelled {wanted}, detected {', '.join(sorted(got))})")
        for pair in sorted(result.missed, key=_show):
            self.stdout.write(f"missed:      {_show(pair)}")
        for pair in sorted(result.false_alarms, key=_show):
            label = "labelled not a conflict" if pair in result.labelled_not else "unlabelled"
            self.stdout.write(f"false alarm: {_show(pair)} ({label})")
        self.stdout.write(
            f"Detected {len(result.detected)} pairs; labelled {len(result.labelled)} conflicts and "
            f"{len(result.labelled_not)} non-conflicts. Precision {result.precision:.0%} "
            f"({len(result.found)}/{len(result.detected)}), recall {result.recall:.0%} "
            f"({len(result.found)}/{len(result.labelled)})."
        )
