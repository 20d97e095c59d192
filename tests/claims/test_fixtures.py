"""The curated demo data (fixtures/) must anchor exactly in the seed articles (seeds/)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from claims import anchoring
from claims.models import Appearance, Claim, SourceDocument

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SEEDS = Path(settings.BASE_DIR) / "seeds"

pytestmark = pytest.mark.skipif(not (FIXTURES / "claims.json").exists(), reason="fixtures/claims.json not written yet")


def _seed_texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))}


def _passages() -> list[tuple[str, str, str, int | None]]:
    """(where, document file, quote, occurrence) for every appearance and evidence passage."""
    passages = []
    curated = json.loads((FIXTURES / "claims.json").read_text(encoding="utf-8"))
    for claim in curated["claims"]:
        for n, spot in enumerate(claim["appearances"], 1):
            passages.append(
                (f"claim {claim['key']} appearance {n}", spot["document"], spot["quote"], spot.get("occurrence"))
            )
    workflow_path = FIXTURES / "workflow.json"
    if workflow_path.exists():
        workflow = json.loads(workflow_path.read_text(encoding="utf-8"))
        for item in workflow["claims"]:
            for review in item.get("reviews", []):
                for n, evidence in enumerate(review.get("evidence", []), 1):
                    if "document" in evidence:
                        where = f"workflow {item['claim']} {review['reviewer']} evidence {n}"
                        passages.append((where, evidence["document"], evidence["quote"], evidence.get("occurrence")))
    return passages


def test_every_fixture_passage_occurs_exactly_in_its_seed_article():
    texts = _seed_texts()
    problems = []
    for where, document, quote, occurrence in _passages():
        text = texts.get(document)
        if text is None:
            problems.append(f"{where}: no seed article {document!r}")
            continue
        try:
            selector = anchoring.find_quote(text, quote, occurrence=occurrence)
        except anchoring.AnchorError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if selector.exact != quote:
            # Found only by the whitespace/quote-style tolerant search: not an exact quote.
            problems.append(f"{where}: not exact; the article has {selector.exact!r}")
    assert not problems, "\n".join(problems)


def test_every_fixture_claim_has_an_appearance():
    curated = json.loads((FIXTURES / "claims.json").read_text(encoding="utf-8"))
    assert all(claim["appearances"] for claim in curated["claims"])


@pytest.mark.django_db
def test_the_curated_set_loads_onto_the_imported_seeds_and_resolves_exactly():
    call_command("import_documents", str(SEEDS), stdout=StringIO())
    call_command("load_curated", str(FIXTURES / "claims.json"), stdout=StringIO())
    curated = json.loads((FIXTURES / "claims.json").read_text(encoding="utf-8"))
    assert Claim.objects.count() == len(curated["claims"])
    assert Appearance.objects.count() == sum(len(claim["appearances"]) for claim in curated["claims"])
    assert set(SourceDocument.objects.values_list("source_file", flat=True)) == set(_seed_texts())
    for appearance in Appearance.objects.select_related("document"):
        assert appearance.document.text[appearance.start : appearance.end] == appearance.exact
    quotes = {(c["key"], a["document"], a["quote"]) for c in curated["claims"] for a in c["appearances"]}
    stored = set(Appearance.objects.values_list("claim__slug", "document__source_file", "exact"))
    assert stored == quotes
