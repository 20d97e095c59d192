"""schema.org ClaimReview and DataFeed output, validated against the JSON Schemas in tests/api/schemas/."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from claims import services as claim_services
from claims.models import Change
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
CLAIMREVIEW = json.loads((SCHEMAS / "claimreview.schema.json").read_text())
DATAFEED = json.loads((SCHEMAS / "datafeed.schema.json").read_text())


def validate_claimreview(data: dict) -> None:
    jsonschema.Draft202012Validator(CLAIMREVIEW).validate(data)


def test_the_schemas_are_valid_json_schemas():
    jsonschema.Draft202012Validator.check_schema(CLAIMREVIEW)
    jsonschema.Draft202012Validator.check_schema(DATAFEED)


def test_claimreview_of_a_published_verdict(client, drive, settings):
    settings.PUBLISHER_URL = "https://factcheck.example.org"
    settings.PUBLISHER_NAME = "Example Desk"
    claimant = EntityFactory(kind="person", name="Jane Roe", url="https://jane.example.org")
    claim = drive("published", claimant=claimant)
    response = client.get(f"/api/claims/{claim.pk}/claimreview/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    data = response.json()
    validate_claimreview(data)
    assert data["claimReviewed"] == claim.text
    # The page hosting the fact-check, which a browser can read (public/).
    assert data["url"] == f"https://factcheck.example.org/claims/{claim.slug}/"
    assert data["author"] == {"@type": "Organization", "name": "Example Desk", "url": "https://factcheck.example.org"}
    assert data["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "True",
        "ratingValue": 5,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert data["itemReviewed"]["author"] == {"@type": "Person", "name": "Jane Roe", "url": "https://jane.example.org"}
    assert data["itemReviewed"]["firstAppearance"]["headline"]
    assert "dateModified" not in data and "correction" not in data


def test_correction_gives_date_modified_and_the_note(client, drive):
    claim = drive("corrected")
    data = client.get(f"/api/claims/{claim.pk}/claimreview/").json()
    validate_claimreview(data)
    assert data["dateModified"] > data["datePublished"]
    assert [c["text"] for c in data["correction"]] == ["Fixed a date."]
    assert data["reviewRating"]["alternateName"] == "Mostly true"


def test_off_scale_rating_has_alternate_name_only(client, drive):
    claim = drive("published", rating_slug="unproven")
    data = client.get(f"/api/claims/{claim.pk}/claimreview/").json()
    validate_claimreview(data)
    assert data["reviewRating"] == {"@type": "Rating", "alternateName": "Unproven"}


def test_retracted_verdict_is_marked(client, drive):
    claim = drive("retracted")
    data = client.get(f"/api/claims/{claim.pk}/claimreview/").json()
    validate_claimreview(data)
    assert data["creativeWorkStatus"] == "Retracted"
    assert data["correction"][0]["text"] == "Source withdrawn."


def test_schema_rejects_a_claimreview_without_its_rating_name(client, drive):
    claim = drive("published")
    data = client.get(f"/api/claims/{claim.pk}/claimreview/").json()
    del data["reviewRating"]["alternateName"]
    with pytest.raises(jsonschema.ValidationError):
        validate_claimreview(data)


@pytest.mark.parametrize("state", ["draft", "in_review", "reviewed"])
def test_no_claimreview_before_publication_even_for_staff(client, drive, editor, state):
    claim = drive(state)
    client.force_authenticate(editor)
    assert client.get(f"/api/claims/{claim.pk}/claimreview/").status_code == 404


def test_datafeed_lists_every_public_verdict_retracted_ones_marked(client, drive):
    published = [drive("published"), drive("corrected")]
    drive("reviewed")
    retracted = drive("retracted")
    response = client.get("/api/claimreview/feed/")
    data = response.json()
    jsonschema.Draft202012Validator(DATAFEED).validate(data)
    items = {item["url"].rsplit("/", 2)[-2]: item for item in data["dataFeedElement"]}
    assert sorted(items) == sorted(c.slug for c in [*published, retracted])
    for item in items.values():
        validate_claimreview({"@context": "https://schema.org", **item["item"][0]})
    withdrawn = items[retracted.slug]
    assert withdrawn["creativeWorkStatus"] == "Retracted"
    assert withdrawn["item"][0]["creativeWorkStatus"] == "Retracted"
    assert withdrawn["item"][0]["reviewRating"]["ratingExplanation"] == "Retracted: Source withdrawn."
    assert all("creativeWorkStatus" not in items[c.slug] for c in published)


def test_datafeed_dates_follow_the_change_log(client, drive, editor):
    first, second = drive("published"), drive("published")
    before = client.get("/api/claimreview/feed/").json()
    newest = Change.objects.public().order_by("-position").first()
    assert before["dateModified"] == newest.at.isoformat()
    # An edit that is no new verdict (an entity renamed) still moves the item's and the feed's date.
    entity = EntityFactory()
    first.entities.add(entity)
    claim_services.entity_update(entity=entity, by=editor, name="Renamed")
    after = client.get("/api/claimreview/feed/").json()
    renamed = Change.objects.filter(claim_id=first.pk).order_by("-position").first()
    assert after["dateModified"] == renamed.at.isoformat() > before["dateModified"]
    dates = {item["url"].rsplit("/", 2)[-2]: item["dateModified"] for item in after["dataFeedElement"]}
    assert dates[first.slug] == renamed.at.isoformat()
    assert dates[second.slug] == Change.objects.filter(claim_id=second.pk).order_by("-position").first().at.isoformat()


HOSTILE = "Pay </script><script>alert(1)</script> <!-- & \u2028 \u2029 end"


@pytest.mark.parametrize("path", ["/api/claims/{pk}/claimreview/", "/api/claimreview/feed/"])
def test_jsonld_is_safe_to_embed_in_a_script_element(client, drive, path):
    claim = drive("published", text=HOSTILE)
    response = client.get(path.format(pk=claim.pk))
    body = response.content
    for raw in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
        assert raw not in body
    assert b"\\u003c/script\\u003e" in body
    # The same value once parsed.
    data = response.json()
    review = data["dataFeedElement"][0]["item"][0] if "dataFeedElement" in data else data
    assert review["claimReviewed"] == HOSTILE


def test_datafeed_pages_through_the_link_header(client, drive):
    for _ in range(3):
        drive("published")
    response = client.get("/api/claimreview/feed/", {"page_size": 2})
    assert len(response.json()["dataFeedElement"]) == 2
    next_url = response["Link"].split(">")[0].lstrip("<")
    assert len(client.get(next_url).json()["dataFeedElement"]) == 1


def test_datafeed_query_count_is_fixed_whatever_the_page_size(client, drive, django_assert_num_queries):
    for _ in range(3):
        drive("published")
    # the change clock, the page of claims, appearances, verdicts: a ClaimReview reads none of the
    # feed's entities, evidence, conflicts or typed facts
    for size in (1, 20, 100):
        with django_assert_num_queries(4):
            assert client.get("/api/claimreview/feed/", {"page_size": size}).status_code == 200


def test_claimreview_of_one_claim_reads_what_it_shows(client, drive, django_assert_num_queries):
    claim = drive("corrected")
    # the claim's clock, its row, appearances, verdicts
    with django_assert_num_queries(4):
        assert client.get(f"/api/claims/{claim.pk}/claimreview/").status_code == 200
