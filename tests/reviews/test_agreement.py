import pytest
from django.utils import timezone

from claims.models import Claim
from reviews.agreement import KAPPA_UNDEFINED, agreement_report, cohen_kappa
from reviews.models import Review
from tests.factories import ClaimFactory, make_user, rating


def test_kappa_matches_the_textbook_example():
    # 50 items: 20 both yes, 5 A-yes/B-no, 10 A-no/B-yes, 15 both no.
    # po = 35/50 = 0.7; pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7-0.5)/(1-0.5) = 0.4.
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohen_kappa(pairs) == (0.4, "")


def test_kappa_is_undefined_when_chance_agreement_is_certain():
    assert cohen_kappa([("true", "true")] * 3) == (None, KAPPA_UNDEFINED)


def test_kappa_of_nothing_is_none():
    kappa, note = cohen_kappa([])
    assert kappa is None and note


def test_perfect_agreement_over_two_categories_is_one():
    assert cohen_kappa([("a", "a"), ("b", "b")]) == (1.0, "")


def review(claim, user, slug):
    return Review.objects.create(
        claim=claim, reviewer=user, rating=rating(slug), rationale="r", status="submitted", submitted_at=timezone.now()
    )


@pytest.mark.django_db
def test_report_per_pair_and_kind_on_a_hand_computed_example():
    r1, r2, r3 = make_user("ann", "Reviewers"), make_user("bob", "Reviewers"), make_user("cy", "Reviewers")
    # Four wage claims: ann true,true,false,false; bob true,false,false,false.
    # po = 3/4; pe = (2/4)(1/4) + (2/4)(3/4) = 1/2; kappa = (3/4 - 1/2)/(1/2) = 0.5.
    for a, b in [("true", "true"), ("true", "false"), ("false", "false"), ("false", "false")]:
        claim = ClaimFactory(kind=Claim.Kind.WAGE)
        review(claim, r1, a)
        review(claim, r2, b)
    # One event claim where ann and bob agree (kappa undefined there), and cy reviews it too.
    event = ClaimFactory(kind=Claim.Kind.EVENT)
    review(event, r1, "mixed")
    review(event, r2, "mixed")
    review(event, r3, "unproven")
    # Draft (reopened) reviews do not count.
    reopened = ClaimFactory(kind=Claim.Kind.WAGE)
    review(reopened, r1, "true")
    Review.objects.create(claim=reopened, reviewer=r2, rating=rating("false"), rationale="r", status="draft")

    report = agreement_report()
    pairs = {(p["reviewer_a"], p["reviewer_b"]): p for p in report["pairs"]}
    assert set(pairs) == {("ann", "bob"), ("ann", "cy"), ("bob", "cy")}
    ann_bob = pairs[("ann", "bob")]
    wage, event_stats = ann_bob["by_kind"][1], ann_bob["by_kind"][0]
    assert (wage["kind"], wage["claims"], wage["agreed"], wage["percent_agreement"], wage["kappa"]) == (
        "wage",
        4,
        3,
        75.0,
        0.5,
    )
    assert (event_stats["kind"], event_stats["kappa"], event_stats["note"]) == ("event", None, KAPPA_UNDEFINED)
    # Overall: 5 claims, 4 agreements; ann: true 2, false 2, mixed 1; bob: true 1, false 3, mixed 1.
    # pe = (2*1 + 2*3 + 1*1)/25 = 9/25; kappa = (4/5 - 9/25)/(16/25) = 11/16 = 0.6875.
    assert ann_bob["overall"]["claims"] == 5
    assert ann_bob["overall"]["percent_agreement"] == 80.0
    assert ann_bob["overall"]["kappa"] == 0.6875
    assert pairs[("ann", "cy")]["overall"]["agreed"] == 0
    assert report["reviews_required"] == 2


@pytest.mark.django_db
def test_agreement_api_is_for_staff_only(client):
    url = "/api/agreement/"
    assert client.get(url).status_code in (401, 403)
    client.force_login(make_user("reviewer", "Reviewers", staff=False))
    assert client.get(url).status_code == 403
    client.force_login(make_user("chief", "Editors"))
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["pairs"] == []
