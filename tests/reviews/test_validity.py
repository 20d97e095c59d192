"""A verdict's validity dates: written from the admin's publish and correct forms and the API,
refused in the past, and shown in the feed's JSON and as ClaimReview `expires`."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.models import Verdict
from tests.factories import rating

pytestmark = pytest.mark.django_db

SOON = datetime.date.today() + datetime.timedelta(days=30)
LATER = datetime.date.today() + datetime.timedelta(days=400)


def step_url(claim, action: str) -> str:
    return reverse("admin:claims_claim_workflow", args=[claim.pk, action])


def test_the_admin_publish_form_writes_both_dates(client, drive, editor):
    claim = drive("reviewed")
    client.force_login(editor)
    assert 'name="valid_until"' in client.get(step_url(claim, "publish")).content.decode()
    data = {
        "expected_version": claim.version,
        "rating": rating("true").pk,
        "summary": "True.",
        "valid_until": LATER.isoformat(),
        "recheck_by": SOON.isoformat(),
    }
    assert client.post(step_url(claim, "publish"), data).status_code == 302
    verdict = Verdict.objects.get(claim=claim)
    assert (verdict.valid_until, verdict.recheck_by) == (LATER, SOON)


def test_the_admin_correct_form_writes_the_dates_of_the_new_version(client, drive, editor2):
    claim = drive("published")
    client.force_login(editor2)
    data = {
        "expected_version": claim.version,
        "rating": rating("true").pk,
        "summary": "Still true.",
        "note": "The contract now runs to next year.",
        "valid_until": LATER.isoformat(),
    }
    assert client.post(step_url(claim, "correct"), data).status_code == 302
    current = Verdict.objects.current_of(claim)
    assert (current.version, current.valid_until) == (2, LATER)


def test_a_past_date_is_a_field_error_in_the_admin(client, drive, editor):
    claim = drive("reviewed")
    client.force_login(editor)
    data = {
        "expected_version": claim.version,
        "rating": rating("true").pk,
        "summary": "True.",
        "recheck_by": "2001-01-01",
    }
    response = client.post(step_url(claim, "publish"), data)
    assert response.status_code == 200 and "recheck_by" in response.context["form"].errors
    assert not Verdict.objects.exists()


def test_the_api_publishes_with_dates_and_shows_them_in_the_claim_and_claimreview(drive, editor):
    claim = drive("reviewed")
    api = APIClient()
    api.force_authenticate(editor)
    body = {"rating": "true", "summary": "True.", "valid_until": LATER.isoformat(), "recheck_by": SOON.isoformat()}
    response = api.post(f"/api/claims/{claim.pk}/publish/", body, format="json")
    assert response.status_code == 200, response.content
    verdict = response.json()["verdict"]
    assert (verdict["valid_until"], verdict["recheck_by"]) == (LATER.isoformat(), SOON.isoformat())

    public = APIClient()
    assert public.get(f"/api/claims/{claim.pk}/").json()["verdict"]["valid_until"] == LATER.isoformat()
    review = public.get(f"/api/claims/{claim.pk}/claimreview/").json()
    assert review["expires"] == LATER.isoformat()


def test_a_verdict_without_an_end_has_no_expires(drive):
    claim = drive("published")
    review = APIClient().get(f"/api/claims/{claim.pk}/claimreview/").json()
    assert "expires" not in review
    verdict = APIClient().get(f"/api/claims/{claim.pk}/").json()["verdict"]
    assert verdict["valid_until"] is None and verdict["recheck_by"] is not None  # the default by kind


@pytest.mark.parametrize(
    ("field", "value"), [("valid_until", "tomorrow"), ("recheck_by", "2001-01-01"), ("valid_until", "2001-01-01")]
)
def test_bad_dates_are_400_naming_the_field_in_the_api(drive, editor, field, value):
    claim = drive("reviewed")
    api = APIClient()
    api.force_authenticate(editor)
    response = api.post(
        f"/api/claims/{claim.pk}/publish/", {"rating": "true", "summary": "s", field: value}, format="json"
    )
    assert response.status_code == 400
    assert field in response.content.decode()
    assert not Verdict.objects.exists()


def test_the_api_correction_takes_dates(drive, editor2):
    claim = drive("published")
    api = APIClient()
    api.force_authenticate(editor2)
    body = {"rating": "true", "summary": "s", "note": "n", "recheck_by": SOON.isoformat()}
    response = api.post(f"/api/claims/{claim.pk}/correct/", body, format="json")
    assert response.status_code == 200, response.content
    assert Verdict.objects.current_of(claim).recheck_by == SOON
