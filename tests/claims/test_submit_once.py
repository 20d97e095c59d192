"""A form sent twice is acted on once, and the second send is told so, never given a false error."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from claims.models import Appearance, Claim
from tests.claims.test_admin import form_data
from tests.factories import AppearanceFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_saving_a_claim_twice_saves_once_without_a_stale_version_error(client, editor):
    claim = AppearanceFactory().claim
    client.force_login(editor)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(client.get(url), text="Reworded once.")
    assert data["_submit_token"]
    first = client.post(url, data)
    assert first.status_code == 302
    second = client.post(url, data, follow=True)
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Reworded once.", 2)
    page = second.content.decode()
    assert "Someone else saved" not in page
    assert "This form was sent twice; it was acted on once." in messages_of(second)


def test_adding_a_claim_twice_adds_one_claim_with_one_appearance(client, editor):
    document = AppearanceFactory().document
    client.force_login(editor)
    url = reverse("admin:claims_claim_add")
    data = form_data(
        client.get(url),
        text="A brand new statement about call centres.",
        kind="other",
        claimant=str(document.pk and AppearanceFactory().claim.claimant_id),
        **{"appearances-0-document": str(document.pk), "appearances-0-exact": "Jane Roe"},
    )
    data.pop("_continue", None), data.pop("_addanother", None)
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    created = Claim.objects.filter(text="A brand new statement about call centres.")
    assert created.count() == 1 and Appearance.objects.filter(claim=created.get()).count() == 1


def test_a_form_with_errors_can_be_corrected_and_sent_again_with_its_token(client, editor):
    claim = AppearanceFactory().claim
    client.force_login(editor)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(client.get(url), text="")
    assert client.post(url, data).status_code == 200  # the error page
    assert client.post(url, {**data, "text": "Fixed."}).status_code == 302
    claim.refresh_from_db()
    assert claim.text == "Fixed."


def test_a_double_click_on_submit_for_review_is_one_step(client, editor):
    claim = AppearanceFactory().claim
    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    token = page.split('name="_submit_token" value="')[2].split('"')[0]  # the workflow button's form
    url = reverse("admin:claims_claim_workflow", args=[claim.pk, "submit"])
    client.post(url, {"expected_version": 1, "_submit_token": token})
    second = client.post(url, {"expected_version": 1, "_submit_token": token}, follow=True)
    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("submitted", 2)
    assert not [m for m in messages_of(second) if "changed since you loaded it" in m]
