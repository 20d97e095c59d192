"""Editing the rating scale goes through the services and reaches the change log, so the feed's
ETags, /api/changes/ and webhooks see it like any other edit the feed shows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from claims.errors import NotPermitted
from claims.models import Change
from reviews import services
from reviews.models import Rating
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return make_user("scale-admin", superuser=True)


def rating_changes() -> set[int]:
    return set(Change.objects.filter(kind=Change.Kind.RATING).values_list("claim_id", flat=True))


def test_relabelling_a_rating_is_a_change_of_every_claim_showing_it(drive, admin):
    shown = drive("published")  # rated True
    other = drive("published", "false", "false")
    api = APIClient()
    etag = api.get("/api/claims/")["ETag"]
    true = Rating.objects.get(slug="true")
    true.label = "Accurate"
    services.rating_save(rating=true, by=admin)
    assert rating_changes() == {shown.pk}
    assert other.pk not in rating_changes()
    response = api.get("/api/claims/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    labels = {c["id"]: c["verdict"]["rating"]["label"] for c in response.json()["results"]}
    assert labels[shown.pk] == "Accurate"


def test_a_new_colour_changes_no_claim(drive, admin):
    # Colours reach the pages through /ratings.css, not through any claim's representation.
    drive("published")
    true = Rating.objects.get(slug="true")
    true.colour = "#0b3d0b"
    services.rating_save(rating=true, by=admin)
    assert rating_changes() == set()


def test_reordering_the_picker_changes_nothing_shown(drive, admin):
    drive("published")
    true = Rating.objects.get(slug="true")
    true.order += 10
    services.rating_save(rating=true, by=admin)
    assert rating_changes() == set()


def test_a_rating_beyond_the_scale_moves_every_on_scale_claims_best(drive, admin):
    on_scale = drive("published")
    off_scale = drive("published", "unproven", "unproven")
    services.rating_save(rating=Rating(label="Verified", slug="verified", value=9), by=admin)
    assert rating_changes() == {on_scale.pk}
    assert off_scale.pk not in rating_changes()
    assert APIClient().get(f"/api/claims/{on_scale.pk}/").json()["verdict"]["rating"]["best"] == 9


def test_deleting_an_unused_end_of_the_scale_is_a_change_of_the_claims_on_it(drive, admin):
    services.rating_save(rating=Rating(label="Verified", slug="verified", value=9), by=admin)
    claim = drive("published")
    Change.objects.filter(kind=Change.Kind.RATING).delete()
    services.rating_delete(rating=Rating.objects.get(slug="verified"), by=admin)
    assert rating_changes() == {claim.pk}


def test_an_invalid_colour_is_refused_and_logs_nothing(drive, admin):
    drive("published")
    true = Rating.objects.get(slug="true")
    true.colour = "#ffff00"  # too light for white text
    with pytest.raises(Exception, match="contrast"):
        services.rating_save(rating=true, by=admin)
    assert rating_changes() == set()


def test_editors_may_not_change_the_scale_itself(editor):
    true = Rating.objects.get(slug="true")
    true.label = "Accurate"
    with pytest.raises(NotPermitted):
        services.rating_save(rating=true, by=editor)
    with pytest.raises(NotPermitted):
        services.rating_save(rating=Rating(label="Verified", slug="verified", value=9), by=editor)


def test_editors_keep_the_colours_and_descriptions(editor):
    true = Rating.objects.get(slug="true")
    true.colour, true.description = "#0b3d0b", "Accurate and complete."
    services.rating_save(rating=true, by=editor)
    assert Rating.objects.get(slug="true").colour == "#0b3d0b"


def test_the_admin_edits_the_scale_through_the_service(client, drive, admin):
    claim = drive("published")
    true = Rating.objects.get(slug="true")
    client.force_login(admin)
    url = reverse("admin:reviews_rating_change", args=[true.pk])
    data = {
        "label": "Accurate",
        "slug": "true",
        "value": true.value,
        "order": true.order,
        "description": true.description,
        "colour": true.colour,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Rating.objects.get(pk=true.pk).label == "Accurate"
    assert rating_changes() == {claim.pk}
