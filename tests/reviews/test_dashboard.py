"""The admin's start page: counts per role, each linking to the list it counts, charts and activity."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from reviews.dashboard import dashboard_for
from reviews.models import Assignment, Recheck
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


@pytest.fixture
def desk(drive, reviewer1):
    """Claims in every queue of the desk."""
    claims = {
        "draft": drive("draft"),
        "submitted": drive("submitted"),
        "in_review": drive("in_review"),
        "overdue": drive("in_review"),
        "reviewed": drive("reviewed"),
        "disagree": drive("reviewed", "true", "false"),
        "published": drive("published"),
    }
    old = ClaimFactory()
    Claim.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    Assignment.objects.filter(claim=claims["overdue"], reviewer=reviewer1).update(
        due_at=timezone.now() - timedelta(hours=2)
    )
    Recheck.objects.create(claim=claims["published"], reason="overdue", opened_at=timezone.now())
    return claims


def cards(user) -> dict[str, tuple[int, str]]:
    return {card.label: (card.count, card.url) for card in dashboard_for(user).cards}


def test_editor_counts_every_queue(desk, editor):
    counts = {label: count for label, (count, _) in cards(editor).items()}
    assert counts == {
        "Awaiting assignment": 1,
        "In review": 2,
        "Overdue reviews": 1,
        "Ready to publish": 2,
        "Reviewers disagree": 1,
        "Needs re-check": 1,
        "Open conflicts": 0,
        "New draft claims": 1,
    }


def test_reviewer_counts_their_own_queue_only(desk, reviewer1, reviewer2):
    assert {label: count for label, (count, _) in cards(reviewer1).items()} == {
        "Awaiting my review": 2,
        "My overdue reviews": 1,
    }
    assert {label: count for label, (count, _) in cards(reviewer2).items()} == {
        "Awaiting my review": 2,
        "My overdue reviews": 0,
    }
    assert next(a.claim_id for a in dashboard_for(reviewer1).queue) == desk["overdue"].pk


@pytest.mark.parametrize("role", ["editor", "reviewer1"])
def test_each_count_links_to_a_list_of_as_many_claims(client, desk, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    for label, (count, url) in cards(user).items():
        response = client.get(url)
        assert response.status_code == 200, label
        if "claims/claim" in url:
            assert len(response.context["cl"].result_list) == count, label
        else:
            assert response.context["cl"].result_count == count, label


def test_the_start_page_shows_cards_charts_and_workflow_steps_to_an_editor(client, desk, editor):
    client.force_login(editor)
    page = client.get(INDEX).content.decode()
    assert "What needs you now" in page and "Ready to publish" in page
    assert page.count('<svg class="chart"') == 4
    assert "Published verdicts by rating" in page and "Median days from submission to publication" in page
    assert "Recent activity" in page and "Reviewed → Published" in page
    assert "None available" not in page


def test_the_start_page_shows_a_reviewer_their_queue_with_due_dates_and_no_charts(client, desk, reviewer1):
    client.force_login(reviewer1)
    page = client.get(INDEX).content.decode()
    assert "My review queue" in page and "(overdue)" in page
    assert '<svg class="chart"' not in page and "Ready to publish" not in page
    # Activity shows only the claims the reviewer may see.
    assert desk["submitted"].text not in page


def test_the_verdict_chart_counts_current_verdicts_in_rating_colours(desk, editor):
    from reviews.dashboard import verdicts_by_rating
    from reviews.models import Rating

    chart = verdicts_by_rating()
    true = Rating.objects.get(slug="true")
    assert f'fill="{true.colour}"' in chart.svg and chart.summary == "1 published"


def test_the_median_and_agreement_charts(desk, editor):
    from reviews.dashboard import agreement_over_time, median_days_to_publish

    now = timezone.now()
    assert median_days_to_publish(now).summary == "median 0.0 days overall"
    # reviewed, disagree (differs) and published: 2 of 3 claims agreed.
    assert agreement_over_time(now).summary == "2 of 3 claims agreed"


def test_the_start_page_runs_a_fixed_number_of_queries(client, drive, editor, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(editor)
    drive("published")
    client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    for state in ("submitted", "in_review", "reviewed", "published"):
        drive(state)
    with django_assert_num_queries(len(few)):
        client.get(INDEX)
