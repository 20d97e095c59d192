"""Merging two claims and moving one appearance: the data move, the refusals, history, the change
log and the 301s of the merged-away claim's addresses."""

import pytest
from rest_framework.test import APIClient

from claims import changelog, matching, services
from claims.errors import TransitionNotAllowed
from claims.facts import services as fact_services
from claims.models import Appearance, Change, Claim
from claims.services import system_user
from tests.factories import AppearanceFactory, ClaimFactory, DocumentFactory, EntityFactory, drive_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(editor, reviewer1, reviewer2):
    def _publish(claim, rating_slug="true", state="published"):
        return drive_claim(claim, state, editor=editor, reviewers=[reviewer1, reviewer2], rating_slug=rating_slug)

    return _publish


def two_claims():
    document = DocumentFactory()
    survivor = AppearanceFactory(document=document, quote="$7.25 an hour").claim
    merged = AppearanceFactory(document=document, quote="up to $20 per month").claim
    return survivor, merged


def test_the_survivor_takes_appearances_entities_and_facts(editor):
    survivor, merged = two_claims()
    other_document = DocumentFactory()
    moved = AppearanceFactory(claim=merged, document=other_document, quote="$7.25 an hour")
    # The same span on both claims: the survivor keeps its own, the merged claim's copy goes.
    same = AppearanceFactory(claim=merged, document=survivor.appearances.get().document, quote="$7.25 an hour")
    subject = EntityFactory()
    merged.entities.add(subject)
    merged.kind = survivor.kind = "wage"
    merged.save()
    survivor.save()
    wage = fact_services.wage_set(claim=merged, amount="20", period="month", qualifier="up_to", by=system_user())

    result = services.claim_merge(survivor=survivor, merged=merged, by=editor)

    assert (result.appearances_moved, result.appearances_already_there, result.facts_moved) == (2, 1, ["wage"])
    assert set(survivor.appearances.values_list("pk", flat=True)) >= {moved.pk}
    assert not Appearance.objects.filter(pk=same.pk).exists()
    assert list(survivor.entities.all()) == [subject]
    wage.refresh_from_db()
    assert wage.claim_id == survivor.pk
    merged.refresh_from_db()
    assert (merged.status, merged.merged_into_id, merged.appearances.count()) == ("merged", survivor.pk, 0)


def test_merge_is_refused_while_both_published_verdicts_disagree(editor, publish):
    survivor, merged = two_claims()
    publish(survivor, "true")
    publish(merged, "false")
    positions = Change.objects.count()

    with pytest.raises(TransitionNotAllowed) as refused:
        services.claim_merge(survivor=survivor, merged=merged, by=editor)

    assert refused.value.rule == "merge_verdicts_disagree"
    assert "Correct or retract one of them" in refused.value.message
    merged.refresh_from_db()
    assert (merged.status, merged.merged_into_id, merged.appearances.count()) == ("published", None, 1)
    assert Change.objects.count() == positions


def test_a_retracted_verdict_disagrees_with_a_standing_one_of_the_same_rating(editor, publish):
    survivor, merged = two_claims()
    publish(survivor, "true")
    publish(merged, "true", state="retracted")
    with pytest.raises(TransitionNotAllowed, match="retracted"):
        services.claim_merge(survivor=survivor, merged=merged, by=editor)


def test_agreeing_published_verdicts_merge(editor, publish):
    survivor, merged = two_claims()
    publish(survivor, "true")
    publish(merged, "true")
    services.claim_merge(survivor=survivor, merged=merged, by=editor)
    assert Claim.objects.get(pk=merged.pk).merged_into_id == survivor.pk


def test_a_published_claim_is_not_merged_into_an_unpublished_one(editor, publish):
    survivor, merged = two_claims()
    publish(merged, "true")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.claim_merge(survivor=survivor, merged=merged, by=editor)
    assert refused.value.rule == "merge_keeps_published"


def test_reviewers_cannot_merge(reviewer1):
    survivor, merged = two_claims()
    with pytest.raises(Exception, match="permission"):
        services.claim_merge(survivor=survivor, merged=merged, by=reviewer1)


def test_the_merge_is_recorded_in_history_with_who_and_why(editor):
    survivor, merged = two_claims()
    appearance = merged.appearances.get()
    services.claim_merge(survivor=survivor, merged=merged, by=editor)

    last = merged.history.latest()
    assert (last.status, last.merged_into_id, last.history_user) == ("merged", survivor.pk, editor)
    assert last.history_change_reason == f"Merged into claim {survivor.pk} ({survivor.slug})"
    assert survivor.history.latest().history_change_reason == f"Took over claim {merged.pk} ({merged.slug})"
    moved = appearance.history.latest()
    assert (moved.claim_id, moved.history_user) == (survivor.pk, editor)


def test_the_change_log_carries_the_merge_for_both_claims(editor, publish):
    survivor, merged = two_claims()
    publish(survivor, "true")
    publish(merged, "true")
    services.claim_merge(survivor=survivor, merged=merged, by=editor)

    gone, taken = Change.objects.filter(kind=Change.Kind.MERGED).order_by("position")
    assert (gone.claim_id, gone.detail["merged_into"], gone.public_before, gone.public_after) == (
        merged.pk,
        survivor.pk,
        True,
        False,
    )
    assert (taken.claim_id, taken.detail["absorbed"]) == (survivor.pk, merged.pk)
    events = APIClient().get("/api/changes/?page_size=1000").json()["results"]
    merged_events = [e for e in events if e["kind"] == "merged"]
    assert [(e["claim"], e["left_public_view"]) for e in merged_events] == [(merged.pk, True), (survivor.pk, False)]
    assert merged_events[1]["url"] == changelog.page_url(survivor.slug)
    assert merged_events[0]["url"] is None


def test_the_merged_claims_addresses_answer_301_to_the_survivors(editor, publish):
    survivor, merged = two_claims()
    publish(survivor, "true")
    publish(merged, "true")
    services.claim_merge(survivor=survivor, merged=merged, by=editor)
    client = APIClient()

    page = client.get(f"/claims/{merged.slug}/")
    assert (page.status_code, page["Location"]) == (301, f"/claims/{survivor.slug}/")
    assert client.get(page["Location"]).status_code == 200
    detail = client.get(f"/api/claims/{merged.pk}/?as_of=2030-01-01")
    assert (detail.status_code, detail["Location"]) == (301, f"/api/claims/{survivor.pk}/?as_of=2030-01-01")
    review = client.get(f"/api/claims/{merged.pk}/claimreview/")
    assert (review.status_code, review["Location"]) == (301, f"/api/claims/{survivor.pk}/claimreview/")


def test_no_redirect_reveals_a_survivor_the_caller_may_not_see(editor):
    survivor, merged = two_claims()
    services.claim_merge(survivor=survivor, merged=merged, by=editor)
    client = APIClient()
    assert client.get(f"/claims/{merged.slug}/").status_code == 404
    assert client.get(f"/api/claims/{merged.pk}/").status_code == 404
    client.force_authenticate(editor)
    assert client.get(f"/api/claims/{merged.pk}/").status_code == 301


def test_a_merged_claim_takes_no_more_edits_and_leaves_the_matcher(editor):
    survivor, merged = two_claims()
    services.claim_merge(survivor=survivor, merged=merged, by=editor)
    merged.refresh_from_db()
    with pytest.raises(TransitionNotAllowed, match="merged into"):
        services.claim_update(claim=merged, by=editor, expected_version=merged.version, text="New words.")
    with pytest.raises(TransitionNotAllowed):
        services.appearance_add(claim=merged, document=DocumentFactory(), quote="$7.25 an hour", by=editor)
    assert merged.pk not in {m.claim_id for m in matching.match_claims(merged.text, user=editor)}


def test_an_earlier_merge_into_the_merged_claim_points_at_the_new_survivor(editor):
    first, second = two_claims()
    third = ClaimFactory()
    services.claim_merge(survivor=second, merged=third, by=editor)
    services.claim_merge(survivor=first, merged=second, by=editor)
    assert Claim.objects.get(pk=third.pk).merged_into_id == first.pk


# --- Moving one appearance ------------------------------------------------------------------


def test_an_appearance_moves_to_another_claim_with_history_and_change_log(editor):
    source, target = two_claims()
    appearance = source.appearances.get()
    services.appearance_move(appearance=appearance, to=target, by=editor)

    appearance.refresh_from_db()
    assert appearance.claim_id == target.pk
    assert appearance.history.latest().history_user == editor
    moves = Change.objects.filter(kind=Change.Kind.APPEARANCE).order_by("-position")[:2]
    assert {(c.claim_id, tuple(sorted(c.detail))) for c in moves} == {
        (source.pk, ("appearance", "moved_to")),
        (target.pk, ("appearance", "moved_from")),
    }


def test_a_published_claims_appearance_cannot_be_moved(editor, publish):
    source, target = two_claims()
    publish(source, "true")
    appearance = source.appearances.get()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.appearance_move(appearance=appearance, to=target, by=editor)
    # The rule of issue 13 (check_appearance_removable), the same as for removing it.
    assert refused.value.rule == "published_claim_keeps_sources"
    assert Appearance.objects.get(pk=appearance.pk).claim_id == source.pk


def test_an_appearance_is_not_moved_onto_a_span_the_target_already_has(editor):
    document = DocumentFactory()
    source = AppearanceFactory(document=document).claim
    target = AppearanceFactory(document=document).claim
    with pytest.raises(Exception, match="already anchored"):
        services.appearance_move(appearance=source.appearances.get(), to=target, by=editor)


# --- In the admin ---------------------------------------------------------------------------


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_the_admin_merges_two_selected_claims_after_choosing_the_survivor(editor_client):
    survivor, merged = two_claims()
    response = editor_client.post(
        "/admin/claims/claim/", {"action": "merge_selected", "_selected_action": [survivor.pk, merged.pk]}
    )
    assert response.status_code == 302
    confirm = editor_client.get(response["Location"])
    assert confirm.status_code == 200
    assert survivor.slug in confirm.content.decode() and merged.slug in confirm.content.decode()

    done = editor_client.post(
        "/admin/claims/claim/merge/", {"ids": f"{survivor.pk},{merged.pk}", "survivor": survivor.pk}
    )
    assert (done.status_code, done["Location"]) == (302, f"/admin/claims/claim/{survivor.pk}/change/")
    assert Claim.objects.get(pk=merged.pk).merged_into_id == survivor.pk


def test_the_admin_shows_why_a_merge_is_refused(editor_client, publish):
    survivor, merged = two_claims()
    publish(survivor, "true")
    publish(merged, "false")
    page = editor_client.post(
        "/admin/claims/claim/merge/", {"ids": f"{survivor.pk},{merged.pk}", "survivor": merged.pk}
    )
    assert page.status_code == 200
    assert "published verdicts that disagree" in page.content.decode()
    assert Claim.objects.get(pk=merged.pk).merged_into_id is None


def test_the_admin_moves_an_appearance_by_the_target_slug(editor_client):
    source, target = two_claims()
    appearance = source.appearances.get()
    page = editor_client.get(f"/admin/claims/claim/{source.pk}/change/")
    assert f"/admin/claims/claim/appearance/{appearance.pk}/move/" in page.content.decode()
    done = editor_client.post(f"/admin/claims/claim/appearance/{appearance.pk}/move/", {"to": target.slug})
    assert done.status_code == 302
    assert Appearance.objects.get(pk=appearance.pk).claim_id == target.pk
