"""Notifications for every workflow event, in the app and by e-mail from the task queue after the
commit; daily digests; notes on a claim with @mentions under the blind rule."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from claims.errors import NotPermitted
from reviews import notifications, services
from reviews.models import Assignment, Note, Notification, Recheck
from reviews.notes import note_add
from reviews.rechecks import rechecks_open_overdue
from tests.factories import make_user, rating
from tests.reviews.conftest import passage

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """run(f) -> f's result, with the on-commit callbacks (the e-mail task) run after it."""

    def _run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return _run


def inbox(user) -> list[str]:
    return [m.body for m in mail.outbox if user.email in m.to]


def kinds(user) -> list[str]:
    return list(Notification.objects.of(user).order_by("id").values_list("kind", flat=True))


def test_assigning_notifies_each_reviewer_in_app_and_by_mail_with_the_due_date(
    run, drive, editor, reviewer1, reviewer2
):
    claim = drive("submitted")
    mail.outbox.clear()
    run(lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2]))
    for reviewer in (reviewer1, reviewer2):
        assert kinds(reviewer) == ["assigned"]
        (body,) = inbox(reviewer)
        assert "editor asked you to review" in body and "due " in body
        assert reverse("admin:reviews_notification_open", args=[Notification.objects.of(reviewer).get().pk]) in body
    assert mail.outbox[0].subject == "[Claim tracker] Assigned to review"


def test_no_mail_leaves_inside_the_transaction(django_capture_on_commit_callbacks, drive, editor, reviewer1, reviewer2):
    claim = drive("submitted")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2])
    assert mail.outbox == [] and len(callbacks) == 2  # one e-mail task per notify, after the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 2


def test_a_rolled_back_step_notifies_nobody(run, drive, editor, reviewer1):
    claim = drive("submitted")
    with pytest.raises(ValidationError):
        run(lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1]))
    assert not Notification.objects.exists() or kinds(reviewer1) == []


def test_a_review_notifies_the_assigning_editor_and_the_last_one_says_ready_to_publish(
    run, drive, editor, editor2, reviewer1, reviewer2
):
    claim = drive("in_review")
    mail.outbox.clear()
    for reviewer in (reviewer1, reviewer2):
        run(
            lambda reviewer=reviewer: services.review_record(
                claim=claim, reviewer=reviewer, rating=rating("true"), rationale="Checked.", evidence=[passage(claim)]
            )
        )
    assert kinds(editor) == ["review_submitted", "review_submitted", "ready_to_publish"]
    assert kinds(editor2) == ["ready_to_publish"]
    assert any("is ready to publish" in body for body in inbox(editor2))
    assert "ready_to_publish" not in kinds(reviewer1)


def test_ready_to_publish_skips_editors_the_four_eyes_rule_keeps_out(run, drive, editor, editor2, reviewer1):
    claim = drive("submitted")
    editor2.groups.add(*reviewer1.groups.all())  # an editor who also reviews
    run(lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, editor2]))
    for reviewer in (reviewer1, editor2):
        run(
            lambda reviewer=reviewer: services.review_record(
                claim=claim, reviewer=reviewer, rating=rating("true"), rationale="Checked.", evidence=[passage(claim)]
            )
        )
    assert "ready_to_publish" in kinds(editor) and "ready_to_publish" not in kinds(editor2)


def test_sending_back_notifies_the_reviewers(run, drive, editor, reviewer1, reviewer2):
    claim = drive("in_review")
    mail.outbox.clear()
    run(lambda: services.claim_send_back(claim=claim, by=editor, reason="Wrong quote."))
    for reviewer in (reviewer1, reviewer2):
        assert kinds(reviewer)[-1] == "sent_back"
        assert any("back to draft: Wrong quote." in body for body in inbox(reviewer))


def test_overdue_reviews_are_notified_once_to_reviewer_and_assigning_editor(run, drive, editor, reviewer1, reviewer2):
    claim = drive("in_review")
    Assignment.objects.filter(claim=claim, reviewer=reviewer1).update(due_at=timezone.now() - timedelta(hours=1))
    mail.outbox.clear()
    run(lambda: call_command("notify_overdue_reviews", stdout=io.StringIO()))
    run(lambda: notifications.notify_overdue_reviews())
    assert kinds(reviewer1).count("overdue") == 1 and "overdue" not in kinds(reviewer2)
    assert kinds(editor).count("overdue") == 1
    assert any("was due" in body for body in inbox(reviewer1))


def test_opening_a_recheck_notifies_the_editors(run, drive, editor, reviewer1):
    claim = drive("published")
    from reviews.models import Verdict

    Verdict.objects.filter(claim=claim).update(recheck_by=timezone.localdate() - timedelta(days=1))
    mail.outbox.clear()
    run(lambda: rechecks_open_overdue(by=editor))
    assert Recheck.objects.filter(claim=claim).exists()
    assert kinds(editor)[-1] == "recheck_opened"
    assert any("A re-check was opened" in body for body in inbox(editor))
    assert "recheck_opened" not in kinds(reviewer1)


def test_a_daily_digest_replaces_single_mails(run, drive, editor, reviewer1, reviewer2):
    notifications.preference_set(user=reviewer1, daily_digest=True)
    claim = drive("submitted")
    mail.outbox.clear()
    run(lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2]))
    assert inbox(reviewer1) == [] and len(inbox(reviewer2)) == 1
    assert kinds(reviewer1) == ["assigned"]  # still in the app
    call_command("send_notification_digests", stdout=io.StringIO())
    (digest,) = [m for m in mail.outbox if reviewer1.email in m.to]
    assert digest.subject == "[Claim tracker] Your daily digest: 1 notification(s)"
    call_command("send_notification_digests", stdout=io.StringIO())
    assert len([m for m in mail.outbox if reviewer1.email in m.to]) == 1  # nothing new, nothing sent


# --- In the admin --------------------------------------------------------------------------------


def test_the_header_counts_unread_and_opening_one_marks_it_read(client, run, drive, editor, reviewer1, reviewer2):
    claim = drive("submitted")
    run(lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2]))
    client.force_login(reviewer1)
    page = client.get(reverse("admin:index")).content.decode()
    assert '<span class="desk-unread">1</span>' in page
    listing = client.get(reverse("admin:reviews_notification_changelist"))
    assert [n.recipient for n in listing.context["cl"].result_list] == [reviewer1]
    notification = Notification.objects.of(reviewer1).get()
    opened = client.get(reverse("admin:reviews_notification_open", args=[notification.pk]))
    assert opened["Location"] == reverse("admin:claims_claim_change", args=[claim.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "desk-unread" not in client.get(reverse("admin:index")).content.decode()


def test_nobody_opens_someone_elses_notification(client, run, drive, editor, reviewer1, reviewer2):
    claim = drive("submitted")
    run(lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[reviewer1, reviewer2]))
    client.force_login(reviewer2)
    other = Notification.objects.of(reviewer1).get()
    assert client.get(reverse("admin:reviews_notification_open", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_the_digest_preference_is_set_in_the_admin(client, reviewer1):
    client.force_login(reviewer1)
    client.post(reverse("admin:reviews_notification_settings"), {"daily_digest": "on"})
    assert notifications.wants_digest(reviewer1)
    client.post(reverse("admin:reviews_notification_settings"), {})
    assert not notifications.wants_digest(reviewer1)


def test_the_notification_list_runs_a_fixed_number_of_queries(
    client, run, drive, editor, reviewer1, reviewer2, django_assert_num_queries
):
    client.force_login(reviewer1)
    url = reverse("admin:reviews_notification_changelist")
    run(lambda: services.claim_assign_reviewers(claim=drive("submitted"), by=editor, reviewers=[reviewer1, reviewer2]))
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(3):
        run(
            lambda: services.claim_assign_reviewers(
                claim=drive("submitted"), by=editor, reviewers=[reviewer1, reviewer2]
            )
        )
    with django_assert_num_queries(len(few)):
        client.get(url)


# --- Notes ---------------------------------------------------------------------------------------


def test_a_mention_notifies_by_mail_and_in_app_and_the_note_is_kept_in_history(run, drive, editor, reviewer1):
    claim = drive("in_review")
    mail.outbox.clear()
    note = run(lambda: note_add(claim=claim, author=editor, text="@reviewer1 please check the second quote."))
    assert list(note.mentions.all()) == [reviewer1]
    assert kinds(reviewer1)[-1] == "mentioned"
    assert any("editor mentioned you on" in body for body in inbox(reviewer1))
    assert note.history.count() == 1 and note.history.first().history_user == editor


def test_only_editors_and_the_claims_reviewers_write_notes(drive, reviewer3, editor):
    claim = drive("in_review")
    with pytest.raises(NotPermitted):
        note_add(claim=claim, author=reviewer3, text="Can I join?")
    with pytest.raises(ValidationError):
        note_add(claim=claim, author=editor, text="   ")


def test_a_reviewers_note_stays_hidden_from_the_other_reviewer_until_they_submit(run, drive, reviewer1, reviewer2):
    claim = drive("in_review")
    note = run(lambda: note_add(claim=claim, author=reviewer1, text="I rate it False. @reviewer2 agree?"))
    assert not Note.objects.visible_to(reviewer2).filter(pk=note.pk).exists()
    assert "mentioned" not in kinds(reviewer2)  # not told of a note they may not read yet
    services.review_record(
        claim=claim, reviewer=reviewer2, rating=rating("true"), rationale="Checked.", evidence=[passage(claim)]
    )
    assert Note.objects.visible_to(reviewer2).filter(pk=note.pk).exists()


def test_an_editors_note_reaches_the_reviewers_at_once(drive, editor, reviewer2):
    claim = drive("in_review")
    note = note_add(claim=claim, author=editor, text="Use the newest version of the article.")
    assert Note.objects.visible_to(reviewer2).filter(pk=note.pk).exists()


def test_notes_are_written_and_read_on_the_claim_page(client, run, drive, editor, reviewer1):
    claim = drive("in_review")
    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    token = page.context["note_token"]
    response = client.post(
        reverse("admin:claims_claim_note", args=[claim.pk]), {"text": "Ask @reviewer1.", "_submit_token": token}
    )
    assert response["Location"].endswith("#notes")
    again = client.post(
        reverse("admin:claims_claim_note", args=[claim.pk]), {"text": "Ask @reviewer1.", "_submit_token": token}
    )
    assert again.status_code == 302 and Note.objects.filter(claim=claim).count() == 1
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "Ask @reviewer1." in page and 'id="notes"' in page


def test_a_user_without_a_mail_address_is_notified_in_app_only(run, drive, editor, reviewer2):
    nomail = make_user("nomail", "Reviewers")
    nomail.email = ""
    nomail.save()
    claim = drive("submitted")
    mail.outbox.clear()
    run(lambda: services.claim_assign_reviewers(claim=claim, by=editor, reviewers=[nomail, reviewer2]))
    assert kinds(nomail) == ["assigned"] and len(mail.outbox) == 1
