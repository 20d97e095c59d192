import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.models import Claim
from reviews.models import Review, Transition, Verdict
from tests.factories import AppearanceFactory, ClaimFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def review(reviewer: str, rating: str, document: str, quote: str = "$7.25 an hour") -> dict:
    evidence = [{"document": document, "quote": quote, "occurrence": 1, "stance": "supports"}]
    return {"reviewer": reviewer, "rating": rating, "rationale": f"{reviewer} checked it.", "evidence": evidence}


@pytest.fixture
def fixture_file(tmp_path, editor, reviewer1, reviewer2):
    published = AppearanceFactory(claim=ClaimFactory(slug="published-one")).claim
    document = published.appearances.first().document.source_file
    for slug in ("in-review-one", "draft-one", "corrected-one"):
        AppearanceFactory(claim=ClaimFactory(slug=slug), document=published.appearances.first().document)
    url_evidence = {"url": "https://example.org/r", "title": "Report", "excerpt": "A line.", "stance": "context"}
    claims = [
        {
            "claim": "published-one",
            "state": "published",
            "reviews": [review("reviewer1", "true", document), review("reviewer2", "mostly-true", document)],
            "verdict": {"rating": "true", "summary": "True.", "resolution": "Documents settle it."},
            "corrections": [],
            "retraction": None,
        },
        {
            "claim": "in-review-one",
            "state": "in_review",
            "reviews": [{**review("reviewer1", "false", document), "evidence": [url_evidence]}],
        },
        {"claim": "draft-one", "state": "draft", "reviews": []},
        {
            "claim": "corrected-one",
            "state": "published",
            "reviews": [review("reviewer1", "unproven", document), review("reviewer2", "unproven", document)],
            "verdict": {"rating": "unproven", "summary": "Unproven.", "resolution": ""},
            "corrections": [{"rating": "false", "summary": "False.", "note": "New record found."}],
            "retraction": {"reason": "Record withdrawn."},
        },
    ]
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps({"claims": claims}), encoding="utf-8")
    return path


def run(path) -> str:
    out = StringIO()
    call_command("load_demo_workflow", str(path), stdout=out)
    return out.getvalue()


def test_claims_are_driven_to_their_states_through_the_services(fixture_file, editor):
    output = run(fixture_file)
    states = dict(Claim.objects.values_list("slug", "status"))
    assert states == {
        "published-one": "published",
        "in-review-one": "in_review",
        "draft-one": "draft",
        "corrected-one": "retracted",
    }
    assert "3 claims driven" in output and "1 already at or past their state" in output
    assert Verdict.objects.get(claim__slug="published-one").resolution == "Documents settle it."
    assert list(Verdict.objects.filter(claim__slug="corrected-one").values_list("kind", flat=True)) == [
        "original",
        "correction",
        "retraction",
    ]
    assert Review.objects.get(claim__slug="in-review-one").evidence.get().url == "https://example.org/r"
    # The demo editor never reviews, so the four-eyes rule lets them publish.
    assert not Review.objects.filter(reviewer=editor).exists()


def test_running_twice_changes_nothing(fixture_file):
    run(fixture_file)
    transitions = Transition.objects.count()
    output = run(fixture_file)
    assert "0 claims driven" in output and "4 already at or past their state" in output
    assert Transition.objects.count() == transitions


def test_a_bad_quote_names_the_claim_and_writes_nothing(fixture_file):
    data = json.loads(fixture_file.read_text())
    data["claims"][0]["reviews"][1]["evidence"][0]["quote"] = "a sentence nobody wrote"
    fixture_file.write_text(json.dumps(data))
    with pytest.raises(CommandError, match=r"published-one: .*does not occur"):
        run(fixture_file)
    assert not Transition.objects.exists() and not Review.objects.exists()


def test_missing_demo_users_are_reported(tmp_path, db):
    path = tmp_path / "w.json"
    path.write_text('{"claims": []}')
    with pytest.raises(CommandError, match="create_demo_accounts"):
        run(path)


def test_unknown_claim_is_reported(tmp_path, editor, reviewer1, reviewer2):
    path = tmp_path / "w.json"
    path.write_text('{"claims": [{"claim": "nope", "state": "submitted"}]}')
    with pytest.raises(CommandError, match="'nope' does not exist"):
        run(path)


@pytest.mark.skipif(not (ROOT / "fixtures" / "workflow.json").exists(), reason="no curated workflow fixture")
def test_the_curated_demo_fixtures_load(editor, reviewer1, reviewer2):
    call_command("import_documents", str(ROOT / "seeds"), stdout=StringIO())
    call_command("load_curated", str(ROOT / "fixtures" / "claims.json"), stdout=StringIO())
    output = run(ROOT / "fixtures" / "workflow.json")
    assert "claims driven" in output
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "in_review", "reviewed", "published"} <= statuses
    assert Verdict.objects.filter(kind="correction").exists()
    assert Verdict.objects.exclude(resolution="").exists()
