"""The claim list the desk works from: order, badges, columns, filters, bulk actions and export."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from reviews import services
from reviews.models import Assignment, Rating
from tests.factories import AppearanceFactory, ClaimFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:claims_claim_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(client, action: str, claims, **data):
    return client.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in claims], **data}, follow=True
    )


def test_the_list_shows_the_newest_claim_first(client, editor):
    old = ClaimFactory()
    Claim.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    new = ClaimFactory()
    client.force_login(editor)
    rows = list(client.get(CHANGELIST).context["cl"].result_list)
    assert [c.pk for c in rows] == [new.pk, old.pk]


def test_the_whole_claim_text_is_in_the_list(client, editor):
    text = "The department pays incarcerated workers " + "far less than the minimum wage " * 4 + "every month."
    ClaimFactory(text=text)
    client.force_login(editor)
    page = client.get(CHANGELIST).content.decode()
    assert text in page
    assert "..." not in page.split('class="claim-text">')[1].split("</span>")[0]


def test_status_and_rating_are_badges_in_the_scales_colours(client, drive, editor):
    drive("published", "false", "false")
    drive("in_review")
    client.force_login(editor)
    page = client.get(CHANGELIST).content.decode()
    assert '<span class="badge status-published">Published</span>' in page
    assert '<span class="badge status-in_review">In review</span>' in page
    assert '<span class="badge rating rating-false">False</span>' in page
    css = client.get(reverse("admin:reviews_rating_colours"))
    assert css["Content-Type"].startswith("text/css")
    colour = Rating.objects.get(slug="false").colour
    assert f".badge.rating-false {{ background: {colour}; color: #fff; }}" in css.content.decode()


def test_the_rating_stylesheet_is_linked_from_every_admin_page_and_no_style_is_inline(client, drive, editor):
    drive("published")
    client.force_login(editor)
    page = client.get(CHANGELIST).content.decode()
    assert reverse("admin:reviews_rating_colours") in page and "desk/admin.css" in page
    assert "<style" not in page


def test_assignees_and_due_date_columns_and_overdue_is_marked(client, drive, editor, reviewer1, reviewer2):
    claim = drive("in_review")
    Assignment.objects.filter(claim=claim, reviewer=reviewer1).update(due_at=timezone.now() - timedelta(days=1))
    client.force_login(editor)
    response = client.get(CHANGELIST)
    row = next(c for c in response.context["cl"].result_list if c.pk == claim.pk)
    assert [a.reviewer for a in row.active_assignments] == [reviewer1, reviewer2]
    page = response.content.decode()
    assert "reviewer1, reviewer2" in page
    assert 'class="due overdue"' in page and "(overdue)" in page


def test_a_reviewer_sees_only_their_own_assignment_and_due_date(client, drive, reviewer1, reviewer2):
    claim = drive("in_review")
    Assignment.objects.filter(claim=claim, reviewer=reviewer2).update(due_at=timezone.now() - timedelta(days=1))
    client.force_login(reviewer1)
    page = client.get(CHANGELIST).content.decode()
    assert "reviewer2" not in page
    assert 'class="due overdue"' not in page


def test_my_queue_is_the_first_filter(client, drive, reviewer1):
    drive("in_review")
    client.force_login(reviewer1)
    specs = client.get(CHANGELIST).context["cl"].filter_specs
    assert specs[0].title == "my queue"
    page = client.get(CHANGELIST).content.decode()
    assert page.index("Awaiting my review") < page.index("By claimant")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=submitted", {"submitted"}),
        ("due=overdue", {"overdue"}),
        ("due=pending", {"overdue", "in_review"}),
        ("reviewers=disagree", {"disagree"}),
        ("recheck=open", {"recheck"}),
        ("new=week", {"submitted", "overdue", "in_review", "disagree", "recheck"}),
    ],
)
def test_the_queue_filters(client, drive, editor, reviewer1, query, expected):
    claims = {
        "submitted": drive("submitted"),
        "overdue": drive("in_review"),
        "in_review": drive("in_review"),
        "disagree": drive("reviewed", "true", "false"),
        "recheck": drive("published"),
    }
    old = drive("draft")
    Claim.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    Assignment.objects.filter(claim=claims["overdue"], reviewer=reviewer1).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    from reviews.models import Recheck

    Recheck.objects.create(claim=claims["recheck"], reason="overdue", opened_at=timezone.now())
    client.force_login(editor)
    rows = client.get(f"{CHANGELIST}?{query}").context["cl"].result_list
    assert {c.pk for c in rows} == {claims[name].pk for name in expected}


def test_the_changelist_runs_a_fixed_number_of_queries(client, drive, editor, django_assert_num_queries):
    client.force_login(editor)
    drive("in_review")
    drive("published")
    client.get(CHANGELIST)  # warm the per-process caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST)
    for state in ("draft", "submitted", "in_review", "reviewed", "published", "retracted"):
        drive(state)
    with django_assert_num_queries(len(few)):
        client.get(CHANGELIST)


# --- Bulk actions ------------------------------------------------------------------------------


def test_bulk_submit_applies_the_rules_per_claim_and_reports_each_failure(client, editor):
    ready = AppearanceFactory().claim
    unanchored = ClaimFactory()
    client.force_login(editor)
    response = act(client, "submit_selected", [ready, unanchored])
    ready.refresh_from_db()
    unanchored.refresh_from_db()
    assert ready.status == "submitted" and unanchored.status == "draft"
    messages = messages_of(response)
    assert any(f"done for 1 claim(s): {ready.slug}" in m for m in messages)
    assert any(m.startswith(f"Submit for review: {unanchored.slug}: Cannot submit") for m in messages)


def test_bulk_assign_asks_for_reviewers_then_assigns_each_claim(client, drive, editor, reviewer1, reviewer2):
    first, second, draft = drive("submitted"), drive("submitted"), drive("draft")
    client.force_login(editor)
    form = act(client, "assign_selected", [first, second, draft])
    assert form.templates[0].name == "admin/reviews/claim_bulk_action.html"
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = act(
        client, "assign_selected", [first, second, draft], apply="1", reviewers=[reviewer1.pk, reviewer2.pk], due_at=due
    )
    for claim in (first, second):
        claim.refresh_from_db()
        assert claim.status == "in_review"
        assert set(Assignment.objects.active().filter(claim=claim).values_list("reviewer", flat=True)) == {
            reviewer1.pk,
            reviewer2.pk,
        }
    assert Assignment.objects.filter(claim=first).first().due_at.strftime("%Y-%m-%dT%H:%M") == due
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert any(m.startswith(f"Assign reviewers: {draft.slug}: Cannot assign reviewers") for m in messages_of(response))


def test_bulk_send_back_needs_a_reason_and_sends_each_back(client, drive, editor):
    claims = [drive("in_review"), drive("reviewed")]
    client.force_login(editor)
    empty = act(client, "send_back_selected", claims, apply="1", reason="")
    assert empty.context["form"].errors["reason"]
    act(client, "send_back_selected", claims, apply="1", reason="Quote misread.")
    assert {Claim.objects.get(pk=c.pk).status for c in claims} == {"draft"}


def test_reviewers_are_not_offered_the_workflow_actions(client, drive, reviewer1):
    claim = drive("in_review")
    client.force_login(reviewer1)
    choices = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert "submit_selected" not in choices and "assign_selected" not in choices
    assert "export_csv" in choices
    act(client, "send_back_selected", [claim], apply="1", reason="no")
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_export_csv_holds_the_selected_claims(client, drive, editor):
    published = drive("published", "false", "false")
    other = drive("in_review")
    ClaimFactory(text="=HYPERLINK('evil')")
    client.force_login(editor)
    response = act(client, "export_csv", [published, other])
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["id"]) for r in rows] == [other.pk, published.pk]
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[published.pk]["rating"] == "False" and by_id[published.pk]["status"] == "published"
    assert by_id[other.pk]["assignees"] == "reviewer1 reviewer2" and by_id[other.pk]["next_due"]
    assert by_id[other.pk]["text"] == other.text


def test_export_csv_quotes_cells_a_spreadsheet_would_run(client, editor):
    claim = ClaimFactory(text='=HYPERLINK("http://evil")')
    client.force_login(editor)
    rows = list(csv.DictReader(io.StringIO(act(client, "export_csv", [claim]).content.decode())))
    assert rows[0]["text"] == '\'=HYPERLINK("http://evil")'


def test_export_json_holds_the_selected_claims(client, drive, editor):
    claim = drive("in_review")
    client.force_login(editor)
    body = json.loads(act(client, "export_json", [claim]).content)
    (row,) = body["claims"]
    assert row["slug"] == claim.slug and row["status"] == "in_review" and row["rating"] == ""
    assert row["assignees"] == ["reviewer1", "reviewer2"]


def test_export_follows_visibility(client, drive, reviewer1):
    mine = drive("in_review")
    hidden = ClaimFactory()
    client.force_login(reviewer1)
    body = json.loads(act(client, "export_json", [mine, hidden]).content)
    assert [row["id"] for row in body["claims"]] == [mine.pk]


def test_assignments_are_due_after_the_default_days(editor, reviewer1, reviewer2, settings):
    settings.ASSIGNMENT_DUE_DAYS = 3
    claim = AppearanceFactory().claim
    services.claim_submit_for_review(claim=claim, by=editor)
    before = timezone.now()
    services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2])
    for assignment in Assignment.objects.filter(claim=claim):
        assert before + timedelta(days=3) <= assignment.due_at <= timezone.now() + timedelta(days=3)


def test_pending_and_overdue_assignments(drive, reviewer1, reviewer2):
    claim = drive("in_review")
    Assignment.objects.filter(claim=claim).update(due_at=timezone.now() - timedelta(hours=1))
    assert Assignment.objects.overdue(timezone.now()).count() == 2
    from tests.factories import rating
    from tests.reviews.conftest import passage

    services.review_record(
        claim=claim, reviewer=reviewer1, rating=rating("true"), rationale="Checked.", evidence=[passage(claim)]
    )
    assert list(Assignment.objects.overdue(timezone.now()).values_list("reviewer", flat=True)) == [reviewer2.pk]


def test_editors_edit_a_ratings_colour_but_not_its_place_on_the_scale(client, editor):
    false = Rating.objects.get(slug="false")
    url = reverse("admin:reviews_rating_change", args=[false.pk])
    client.force_login(editor)
    data = {"colour": "#7a1020", "description": "Not accurate.", "label": "Hacked", "value": 9}
    response = client.post(url, data)
    assert response.status_code == 302
    false.refresh_from_db()
    assert false.colour == "#7a1020" and false.label == "False"
    pale = client.post(url, {**data, "colour": "#ffee99"})
    assert "pick a darker colour" in pale.content.decode()


def test_assignment_lists_mark_overdue_reviews_until_submitted(client, drive, editor, reviewer1):
    claim = drive("in_review")
    Assignment.objects.filter(claim=claim).update(due_at=timezone.now() - timedelta(days=1))
    client.force_login(editor)
    page = client.get(reverse("admin:reviews_assignment_changelist")).content.decode()
    assert page.count('class="due overdue"') == 2
    assert 'class="due overdue"' in client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    from tests.factories import rating
    from tests.reviews.conftest import passage

    services.review_record(
        claim=claim, reviewer=reviewer1, rating=rating("true"), rationale="Checked.", evidence=[passage(claim)]
    )
    page = client.get(reverse("admin:reviews_assignment_changelist")).content.decode()
    assert page.count('class="due overdue"') == 1
