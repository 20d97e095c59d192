"""Importing a changed version of a document in the admin shows the re-anchoring report: each
anchor's state, and links to the re-checks it opened."""

import pytest
from django.urls import reverse

from claims import services
from claims.models import SourceDocument
from reviews.models import Recheck
from tests.factories import ClaimFactory, drive_claim

pytestmark = pytest.mark.django_db

OLD = (
    "The campaign said it ended the contract.\n\n"
    "The call center pays $7.25 an hour to the department.\n\n"
    "Inmates earn up to $20 per month, the department said.\n"
)
# The paragraphs swap places (moved), and a "not" goes into the pay sentence (changed).
NEW = (
    "Inmates earn up to $20 per month, the department said.\n\n"
    "The campaign said it ended the contract.\n\n"
    "The call center does not pay $7.25 an hour to the department.\n"
)


def test_a_new_version_added_in_the_admin_shows_the_report_and_the_rechecks(client, editor, reviewer1, reviewer2):
    client.force_login(editor)
    add = reverse("admin:claims_sourcedocument_add")
    assert client.post(add, {"text": OLD, "name": "wire"}).status_code == 302
    old = SourceDocument.objects.get()
    pay = ClaimFactory(text="The call center pays $7.25 an hour.")
    services.appearance_add(claim=pay, document=old, quote="pays $7.25 an hour", by=editor)
    drive_claim(pay, "published", editor=editor, reviewers=[reviewer1, reviewer2])
    month = ClaimFactory(text="Inmates earn up to $20 a month.")
    services.appearance_add(claim=month, document=old, quote="up to $20 per month", by=editor)

    response = client.post(add, {"text": NEW, "name": "wire"})

    assert response.status_code == 200
    page = response.content.decode()
    new = SourceDocument.objects.get(previous_version=old)
    assert "Re-anchoring report" in page and reverse("admin:claims_sourcedocument_change", args=[new.pk]) in page
    rows = response.context["rows"]
    states = {(row["kind"], row["claim"].pk): row["state"] for row in rows}
    assert states[("appearance", month.pk)] == "moved"
    assert states[("appearance", pay.pk)] == "changed"
    assert states[("evidence", pay.pk)] == "changed"  # the reviewers' passage, behind the verdict
    assert 'class="anchor-changed"' in page and 'class="anchor-moved"' in page
    rechecks = list(Recheck.objects.filter(claim=pay))  # the appearance and each reviewer's passage
    assert len(rechecks) == 3 and not Recheck.objects.filter(claim=month).exists()
    for recheck in rechecks:
        assert reverse("admin:reviews_recheck_change", args=[recheck.pk]) in page
    assert client.get(reverse("admin:reviews_recheck_change", args=[rechecks[0].pk])).status_code == 200


def test_a_document_without_anchors_gets_an_empty_report(client, editor):
    client.force_login(editor)
    add = reverse("admin:claims_sourcedocument_add")
    client.post(add, {"text": OLD, "name": "wire"})
    response = client.post(add, {"text": NEW, "name": "wire"})
    assert response.status_code == 200
    assert "No quote was anchored in the previous version." in response.content.decode()
    assert response.context["rechecks"] == []
