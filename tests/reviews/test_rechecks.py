"""Re-checks: opened by re-anchoring a new document version or by an overdue verdict; closed by
confirming, correcting or retracting. Each opening and closing is in the change log."""

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims.errors import NotPermitted, TransitionNotAllowed
from claims.models import Change, SourceDocument
from claims.services import appearance_remove, document_reanchor, system_user
from reviews import services
from reviews.models import Recheck, Verdict
from reviews.rechecks import recheck_confirm, rechecks_open_overdue
from tests.factories import rating

pytestmark = pytest.mark.django_db


def new_version(old: SourceDocument, text: str) -> SourceDocument:
    return SourceDocument.objects.create(
        text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), source_file=old.source_file, previous_version=old
    )


def republish(claim, old_text: str, new_text: str):
    old = claim.appearances.get().document
    new = new_version(old, old.text.replace(old_text, new_text))
    return new, document_reanchor(old=old, new=new, by=system_user())


def test_an_unchanged_quote_of_a_published_claim_follows_the_new_version_without_a_recheck(drive):
    claim = drive("published")
    new, report = republish(claim, "Campaign spokesperson", "Update: corrected.\n\nCampaign spokesperson")
    appearance = claim.appearances.get()
    assert (appearance.document, appearance.anchor_state) == (new, "moved")
    assert report.rechecks == []
    assert not Recheck.objects.exists()


def test_an_edited_quote_opens_a_recheck_with_the_old_and_new_text(drive):
    claim = drive("published")
    version = type(claim).objects.get(pk=claim.pk).version
    new, report = republish(claim, "$7.25 an hour", "$9.25 an hour")

    recheck = Recheck.objects.get(appearance__isnull=False)
    assert recheck in report.rechecks
    assert (recheck.claim, recheck.reason, recheck.closed_at) == (claim, "anchor_changed", None)
    assert (recheck.old_exact, recheck.new_exact) == ("$7.25 an hour", "$9.25 an hour")
    assert recheck.new_document == new
    claim.refresh_from_db()
    assert claim.version == version + 1
    change = Change.objects.filter(claim_id=claim.pk, kind=Change.Kind.RECHECK).get()
    assert change.detail["action"] == "opened" and recheck.pk in change.detail["rechecks"]


def test_evidence_of_the_verdict_that_changed_opens_a_recheck_too(drive):
    claim = drive("published")
    republish(claim, "$7.25 an hour", "$9.25 an hour")
    # The appearance and both reviewers' evidence passages were on that quote.
    rechecks = Recheck.objects.filter(claim=claim)
    assert rechecks.filter(appearance__isnull=False).count() == 1
    assert rechecks.filter(evidence__isnull=False).count() == 2


def test_a_deleted_passage_opens_an_orphaned_recheck(drive):
    claim = drive("published")
    republish(
        claim, "The call center pays $7.25 an hour to the department, which pays inmates up to $20 per month.", ""
    )
    assert set(Recheck.objects.values_list("reason", flat=True)) == {"anchor_orphaned"}
    assert claim.appearances.get().anchor_state == "orphaned"


def test_a_negation_before_the_quote_opens_a_recheck(drive):
    claim = drive("published")
    republish(claim, "pays $7.25 an hour", "pays not $7.25 an hour")
    recheck = Recheck.objects.filter(appearance__isnull=False).get()
    assert recheck.reason == "anchor_changed"
    assert "not" in recheck.detail


def test_a_changed_quote_of_a_draft_opens_no_recheck(drive):
    claim = drive("draft")
    republish(claim, "$7.25 an hour", "$9.25 an hour")
    assert claim.appearances.get().anchor_state == "changed"
    assert not Recheck.objects.exists()


def test_confirming_moves_the_anchor_to_its_new_text_and_closes_the_recheck(drive, editor):
    claim = drive("published")
    new, _ = republish(claim, "$7.25 an hour", "$9.25 an hour")
    for recheck in Recheck.objects.all():
        recheck_confirm(recheck=recheck, by=editor, note="The figure was updated by the outlet; verdict stands.")
    appearance = claim.appearances.get()
    assert (appearance.document, appearance.exact) == (new, "$9.25 an hour")
    assert not Recheck.objects.open().exists()
    assert set(Recheck.objects.values_list("resolution", flat=True)) == {"confirmed"}
    closed = Change.objects.filter(claim_id=claim.pk, kind=Change.Kind.RECHECK, detail__action="closed")
    assert closed.count() == 3


def test_a_reviewer_cannot_confirm_a_recheck(drive, reviewer1):
    claim = drive("published")
    republish(claim, "$7.25 an hour", "$9.25 an hour")
    with pytest.raises(NotPermitted):
        recheck_confirm(recheck=Recheck.objects.first(), by=reviewer1)


@pytest.mark.parametrize("step", ["correct", "retract"])
def test_correcting_or_retracting_closes_the_open_rechecks(drive, editor, step):
    claim = drive("published")
    republish(claim, "$7.25 an hour", "$9.25 an hour")
    if step == "correct":
        services.verdict_correct(claim=claim, by=editor, rating=rating("false"), summary="Now false.", note="New pay.")
    else:
        services.verdict_retract(claim=claim, by=editor, reason="The source changed.")
    assert not Recheck.objects.open().exists()
    assert set(Recheck.objects.values_list("resolution", flat=True)) == {f"{step}ed"}


def test_publishing_sets_a_recheck_date_by_claim_kind(drive, settings):
    claim = drive("published")
    verdict = Verdict.objects.get(claim=claim)
    days = settings.RECHECK_AFTER_DAYS[claim.kind]
    assert verdict.recheck_by == verdict.published_at.date() + datetime.timedelta(days=days)


def test_an_overdue_verdict_joins_the_queue_once(drive, editor):
    claim = drive("published")
    verdict = Verdict.objects.get(claim=claim)
    assert rechecks_open_overdue(by=editor, today=verdict.recheck_by) == []  # due today is not overdue yet
    Verdict.objects.filter(pk=verdict.pk).update(recheck_by=datetime.date(2020, 1, 1))
    out = StringIO()
    call_command("open_overdue_rechecks", stdout=out)
    call_command("open_overdue_rechecks", stdout=out)  # idempotent
    assert out.getvalue().splitlines() == ["1 overdue re-check opened", "0 overdue re-checks opened"]
    assert Recheck.objects.queue().get().reason == "overdue"
    assert Change.objects.filter(claim_id=claim.pk, kind=Change.Kind.RECHECK).count() == 1
    recheck_confirm(recheck=Recheck.objects.get(), by=editor)
    verdict.refresh_from_db()
    assert verdict.recheck_by > datetime.date.today()  # confirming sets the next re-check date
    assert not Recheck.objects.open().exists()


def test_a_published_claims_appearance_cannot_be_removed(drive, editor):
    claim = drive("published")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        appearance_remove(appearance=claim.appearances.get(), by=system_user())
    assert excinfo.value.rule == "published_claim_keeps_sources"
    assert claim.appearances.count() == 1


def test_a_claim_without_an_appearance_cannot_be_submitted(drive, editor):
    claim = drive("draft")
    claim.appearances.all().delete()
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.claim_submit_for_review(claim=claim, by=editor)
    assert excinfo.value.rule == "submit_requires_appearance"


def test_the_api_shows_a_claim_under_recheck(drive, client):
    claim = drive("published")
    url = reverse("claim-detail", args=[claim.pk])
    assert client.get(url).json()["under_recheck"] is False
    republish(claim, "$7.25 an hour", "$9.25 an hour")
    assert client.get(url).json()["under_recheck"] is True


def test_as_of_returns_the_verdict_version_current_then(drive, editor, client):
    claim = drive("published")
    Verdict.objects.filter(claim=claim).update(published_at=datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC))
    services.verdict_correct(claim=claim, by=editor, rating=rating("false"), summary="Now false.", note="New pay.")
    url = reverse("claim-detail", args=[claim.pk])
    assert client.get(url).json()["verdict"]["version"] == 2
    then = client.get(url, {"as_of": "2026-01-10"}).json()
    assert then["verdict"]["version"] == 1 and then["earlier_verdicts"] == []
    assert client.get(url, {"as_of": "2026-01-09"}).json()["verdict"] is None


def test_as_of_with_a_bad_date_is_a_400_naming_the_field(drive, client):
    claim = drive("published")
    response = client.get(reverse("claim-detail", args=[claim.pk]), {"as_of": "last tuesday"})
    assert response.status_code == 400
    assert "as_of" in response.json()["fields"]


def test_the_admin_queue_lists_open_rechecks_with_before_and_after(drive, editor, client):
    claim = drive("published")
    republish(claim, "$7.25 an hour", "$9.25 an hour")
    client.force_login(editor)
    page = client.get(reverse("admin:reviews_recheck_changelist")).content.decode()
    assert claim.text in page
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "<strong>$7.25 an hour</strong>" in page and "<strong>$9.25 an hour</strong>" in page


def test_importing_a_changed_version_returns_the_report_and_the_rechecks_it_opened(drive, editor, tmp_path):
    from claims.services import document_import_file

    claim = drive("published")
    old = claim.appearances.get().document
    path = tmp_path / old.source_file
    path.write_text(old.text.replace("$7.25 an hour", "$9.25 an hour"), encoding="utf-8")

    result = document_import_file(path=path, by=system_user())

    assert result.status == "new_version"
    report = result.reanchoring
    assert report.new == result.document and report.count("changed") == 3
    assert {r.claim_id for r in report.rechecks} == {claim.pk}
    assert "3 changed" in report.summary() and "3 re-checks opened" in report.summary()
