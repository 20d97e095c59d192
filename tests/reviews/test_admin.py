import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim
from reviews import services
from reviews.models import Review, Transition, Verdict
from tests.claims.test_admin import form_data
from tests.factories import AppearanceFactory, make_user, rating
from tests.reviews.conftest import passage

pytestmark = pytest.mark.django_db


def change_url(claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def step_url(claim, action: str) -> str:
    return reverse("admin:claims_claim_workflow", args=[claim.pk, action])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_non_staff_users_cannot_reach_the_admin(client, drive, nobody):
    claim = drive("draft")
    client.force_login(nobody)
    response = client.get(change_url(claim))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(step_url(claim, "submit"), {"expected_version": 1}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "draft"


def test_claim_page_shows_only_the_buttons_the_user_may_use(client, drive, editor, reviewer1):
    claim = drive("draft")
    client.force_login(editor)
    page = client.get(change_url(claim)).content.decode()
    assert "workflow-submit" in page and "workflow-publish" not in page
    assert "transition log" in page.lower() and "verdict versions" in page.lower()
    reviewed = drive("reviewed")
    page = client.get(change_url(reviewed)).content.decode()
    assert "workflow-publish" in page and "workflow-send_back" in page and "workflow-submit" not in page


def test_submit_button_moves_the_claim_and_says_so(client, drive, editor):
    claim = drive("draft")
    client.force_login(editor)
    response = client.post(step_url(claim, "submit"), {"expected_version": claim.version}, follow=True)
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert any("Submit for review: done" in m for m in messages_of(response))
    assert Transition.objects.get(claim=claim).by == editor


def test_a_stale_button_is_refused_with_a_message_and_nothing_changes(client, drive, editor):
    claim = drive("submitted")
    client.force_login(editor)
    response = client.post(
        step_url(claim, "send_back"), {"expected_version": claim.version - 1, "reason": "x"}, follow=True
    )
    assert any("Someone else saved" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.status == "submitted"


def test_assign_form_assigns_reviewers(client, drive, editor, reviewer1, reviewer2):
    claim = drive("submitted")
    client.force_login(editor)
    page = client.get(step_url(claim, "assign"))
    assert page.status_code == 200 and "reviewer1" in page.content.decode()
    response = client.post(
        step_url(claim, "assign"), {"expected_version": claim.version, "reviewers": [reviewer1.pk, reviewer2.pk]}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "in_review"
    assert set(claim.assignments.filter(active=True).values_list("reviewer__username", flat=True)) == {
        "reviewer1",
        "reviewer2",
    }


def test_send_back_without_reason_shows_the_field_error(client, drive, editor):
    claim = drive("in_review")
    client.force_login(editor)
    response = client.post(step_url(claim, "send_back"), {"expected_version": claim.version, "reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]


def test_publish_form_shows_reviews_and_requires_a_resolution_when_they_disagree(client, drive, editor):
    claim = drive("reviewed", first="true", second="false")
    client.force_login(editor)
    page = client.get(step_url(claim, "publish")).content.decode()
    assert "The reviewers disagree" in page and "reviewer1: True" in page and "reviewer2: False" in page
    data = {"expected_version": claim.version, "rating": rating("mixed").pk, "summary": "Half."}
    response = client.post(step_url(claim, "publish"), data)
    assert response.status_code == 200 and "resolution" in response.context["form"].errors
    assert not Verdict.objects.exists()
    response = client.post(step_url(claim, "publish"), {**data, "resolution": "Payroll records settle it."})
    assert response.status_code == 302
    verdict = Verdict.objects.get(claim=claim)
    assert (verdict.version, verdict.resolution) == (1, "Payroll records settle it.")


def test_four_eyes_refusal_is_shown_as_a_message(client, drive, editor, reviewer1):
    both = make_user("both", "Editors", "Reviewers")
    claim = drive("submitted")
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, both])
    for reviewer in (reviewer1, both):
        services.review_record(
            claim=claim, reviewer=reviewer, rating=rating("true"), rationale="r", evidence=[passage(claim)]
        )
    client.force_login(both)
    assert "workflow-publish" not in client.get(change_url(claim)).content.decode()
    response = client.post(
        step_url(claim, "publish"),
        {"expected_version": claim.version, "rating": rating("true").pk, "summary": "True."},
    )
    assert any("Four eyes" in m for m in messages_of(response))
    assert not Verdict.objects.exists()


def test_correct_and_retract_through_the_admin_add_versions(client, drive, editor2):
    claim = drive("published")
    client.force_login(editor2)
    page = client.get(step_url(claim, "correct"))
    assert page.status_code == 200 and page.context["form"]["summary"].value() == "It is so."
    client.post(
        step_url(claim, "correct"),
        {"expected_version": claim.version, "rating": rating("false").pk, "summary": "False.", "note": "Misread."},
    )
    claim.refresh_from_db()
    client.post(step_url(claim, "retract"), {"expected_version": claim.version, "reason": "Withdrawn source."})
    kinds = list(Verdict.objects.filter(claim=claim).values_list("version", "kind"))
    assert kinds == [(1, "original"), (2, "correction"), (3, "retraction")]
    page = client.get(change_url(claim)).content.decode()
    assert "Misread." in page and "Withdrawn source." in page


def test_reviewer_writes_a_review_with_a_pasted_quote(client, drive, reviewer1):
    claim = drive("in_review")
    document = claim.appearances.first().document
    client.force_login(reviewer1)
    claim_page = client.get(change_url(claim)).content.decode()
    assert "Write your review" in claim_page and "workflow-publish" not in claim_page
    url = reverse("admin:reviews_review_add") + f"?claim={claim.pk}"
    form_page = client.get(url)
    assert form_page.status_code == 200 and claim.text in form_page.content.decode()
    data = {
        "claim": claim.pk,
        "rating": rating("mostly-true").pk,
        "rationale": "The document states the hourly rate.",
        "evidence-TOTAL_FORMS": 3,
        "evidence-INITIAL_FORMS": 0,
        "evidence-MIN_NUM_FORMS": 0,
        "evidence-MAX_NUM_FORMS": 20,
        "evidence-0-stance": "supports",
        "evidence-0-document": document.pk,
        "evidence-0-quote": "pays  $7.25 an hour",  # extra whitespace, as pasted
    }
    response = client.post(url, data)
    assert response.status_code == 302
    review = Review.objects.get(claim=claim, reviewer=reviewer1)
    [item] = review.evidence.all()
    assert document.text[item.start : item.end] == item.exact == "pays $7.25 an hour"
    assert client.get(reverse("admin:reviews_review_change", args=[review.pk])).status_code == 200


def test_review_form_errors_are_shown_and_nothing_is_written(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_login(reviewer1)
    response = client.post(
        reverse("admin:reviews_review_add"),
        {
            "claim": claim.pk,
            "rating": rating("true").pk,
            "rationale": "r",
            "evidence-TOTAL_FORMS": 1,
            "evidence-INITIAL_FORMS": 0,
            "evidence-0-stance": "supports",
            "evidence-0-document": claim.appearances.first().document.pk,
            "evidence-0-quote": "not in the document at all",
        },
    )
    assert response.status_code == 200
    assert "does not occur" in response.content.decode()
    assert not Review.objects.exists()


def test_review_form_offers_only_claims_awaiting_the_users_review(client, drive, reviewer3):
    claim = drive("in_review")
    client.force_login(reviewer3)
    response = client.get(reverse("admin:reviews_review_add") + f"?claim={claim.pk}")
    assert list(response.context["form"].fields["claim"].queryset) == []
    assert any("does not await your review" in m for m in messages_of(response))
    assert "No claim awaits your review" in response.content.decode()


def test_other_reviewers_ratings_stay_hidden_until_you_submit_yours(client, drive, reviewer1, reviewer2):
    claim = drive("in_review")
    services.review_record(
        claim=claim, reviewer=reviewer1, rating=rating("mostly-false"), rationale="r1 says", evidence=[passage(claim)]
    )
    client.force_login(reviewer2)
    changelist = client.get(reverse("admin:reviews_review_changelist"))
    assert list(changelist.context["cl"].result_list) == []
    claim_page = client.get(change_url(claim)).content.decode()
    assert "Mostly false" not in claim_page and "r1 says" not in claim_page
    services.review_record(
        claim=claim, reviewer=reviewer2, rating=rating("true"), rationale="r2 says", evidence=[passage(claim)]
    )
    claim_page = client.get(change_url(claim)).content.decode()
    assert "Mostly false" in claim_page and "r1 says" in claim_page


def test_history_and_evidence_pages_keep_other_reviews_hidden_too(client, drive, reviewer1, reviewer2):
    claim = drive("in_review")
    other = services.review_record(
        claim=claim, reviewer=reviewer1, rating=rating("false"), rationale="r1", evidence=[passage(claim)]
    )
    client.force_login(reviewer2)
    history = reverse("admin:reviews_review_history", args=[other.pk])
    version = reverse("admin:reviews_review_simple_history", args=[other.pk, other.history.get().history_id])
    # The review exists: a 403 page saying why (blind review), not "no such object".
    refused = client.get(history)
    assert refused.status_code == 403 and "Blind review" in refused.content.decode()
    assert client.get(version).status_code == 403
    assert list(client.get(reverse("admin:reviews_evidence_changelist")).context["cl"].result_list) == []
    services.review_record(
        claim=claim, reviewer=reviewer2, rating=rating("true"), rationale="r2", evidence=[passage(claim)]
    )
    assert client.get(history).status_code == 200
    assert len(client.get(reverse("admin:reviews_evidence_changelist")).context["cl"].result_list) == 2


def test_editors_see_every_claim_and_reviewers_the_public_ones_and_their_own(
    client, drive, editor, reviewer1, reviewer3
):
    mine, other, published = drive("in_review"), drive("draft"), drive("published")
    url = reverse("admin:claims_claim_changelist")
    # The same rule as the API's: public claims, plus the ones ever assigned to them.
    client.force_login(reviewer3)
    assert list(client.get(url).context["cl"].result_list) == [published]
    client.force_login(reviewer1)
    response = client.get(url)
    assert set(response.context["cl"].result_list) == {mine, published}
    refused = client.get(change_url(other))
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "You are not assigned to this claim" in page and reverse("admin:claims_claim_changelist") in page
    assert "Perhaps it was deleted" not in page and other.text not in page
    assert client.get(change_url(Claim(pk=other.pk + 1000))).status_code == 404  # no such claim at all
    client.force_login(editor)
    assert set(client.get(url).context["cl"].result_list) == {mine, other, published}


def test_my_queue_and_disagreement_filters(client, drive, editor, reviewer1):
    waiting, agreed, split = drive("in_review"), drive("reviewed"), drive("reviewed", first="true", second="false")
    url = reverse("admin:claims_claim_changelist")
    client.force_login(reviewer1)
    assert list(client.get(url + "?queue=mine").context["cl"].result_list) == [waiting]
    client.force_login(editor)
    assert list(client.get(url + "?reviewers=disagree").context["cl"].result_list) == [split]
    assert agreed not in client.get(url + "?reviewers=disagree").context["cl"].result_list


def test_verdicts_are_read_only_in_the_admin(client, drive, editor):
    claim = drive("published")
    verdict = Verdict.objects.get(claim=claim)
    client.force_login(make_user("root", superuser=True))
    page = client.get(reverse("admin:reviews_verdict_change", args=[verdict.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(reverse("admin:reviews_verdict_change", args=[verdict.pk]), {"summary": "x"}).status_code == 403
    assert client.get(reverse("admin:reviews_verdict_delete", args=[verdict.pk])).status_code == 403
    assert client.get(reverse("admin:reviews_verdict_add")).status_code == 403
    assert Verdict.objects.get(pk=verdict.pk).summary == "It is so."


def test_claim_history_page_names_who_changed_it_and_cannot_revert(client, drive, editor):
    claim = drive("published")
    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    assert page.status_code == 200 and "reviewer2" in page.content.decode()
    first = claim.history.order_by("history_id").first()
    revert = reverse("admin:claims_claim_simple_history", args=[claim.pk, first.history_id])
    assert client.post(revert, {"text": "reverted"}).status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == "published"


def test_a_stale_claim_edit_after_a_transition_is_refused(client, drive, editor):
    claim = drive("draft")
    client.force_login(editor)
    data = form_data(client.get(change_url(claim)), text="Edited from a stale page.")
    services.claim_submit_for_review(claim=claim, by=editor)  # someone moves it meanwhile
    response = client.post(change_url(claim), data)
    assert "Someone else saved this claim" in response.content.decode()
    claim.refresh_from_db()
    assert claim.text != "Edited from a stale page." and claim.status == "submitted"


def test_agreement_page_is_for_editors_and_linked_from_the_app_index(client, drive, editor, reviewer1):
    drive("reviewed", first="true", second="false")
    client.force_login(reviewer1)
    assert client.get(reverse("admin:reviews_agreement")).status_code == 403
    assert (
        reverse("admin:reviews_agreement")
        not in client.get(reverse("admin:app_list", args=["reviews"])).content.decode()
    )
    client.force_login(editor)
    index = client.get(reverse("admin:app_list", args=["reviews"])).content.decode()
    assert reverse("admin:reviews_agreement") in index
    page = client.get(reverse("admin:reviews_agreement")).content.decode()
    assert "reviewer1 and reviewer2" in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name",
    [
        "admin:reviews_review_changelist",
        "admin:reviews_verdict_changelist",
        "admin:reviews_transition_changelist",
        "admin:reviews_evidence_changelist",
        "admin:reviews_assignment_changelist",
    ],
)
def test_review_changelists_use_a_fixed_number_of_queries(client, drive, editor, django_assert_num_queries, name):
    drive("published")
    client.force_login(editor)
    url = reverse(name)
    _queries(client, url)  # warm the per-process caches first
    with_one = _queries(client, url)
    for _ in range(3):
        drive("published")
    with django_assert_num_queries(with_one):
        client.get(url)


def test_claim_page_uses_a_fixed_number_of_queries_whatever_the_reviews(client, drive, editor):
    client.force_login(editor)
    first = change_url(drive("published"))
    _queries(client, first)  # warm the per-process caches (content types) first
    few = _queries(client, first)
    claim = drive("published")
    services.verdict_correct(claim=claim, by=editor, rating=rating("false"), summary="F.", note="n")
    AppearanceFactory(claim=claim, quote="Jane Roe")
    assert _queries(client, change_url(claim)) == few
