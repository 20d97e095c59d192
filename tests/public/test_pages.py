"""The public site: claim pages, the index, sitemap and robots.txt, read as a browser would (HTML)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from claims.models import Claim, SourceDocument, WageFigure
from public import pages
from reviews.models import Rating
from tests.factories import AppearanceFactory, ClaimFactory, DocumentFactory, EntityFactory

pytestmark = pytest.mark.django_db

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def client():
    return Client()


def page(client, claim: Claim, **headers):
    return client.get(claim.get_absolute_url(), headers=headers)


def claimreview_blocks(html: str) -> list[dict]:
    return [json.loads(block) for block in JSONLD.findall(html)]


def test_a_published_claim_has_a_page_with_one_claimreview_block(client, drive, settings):
    settings.PUBLISHER_URL = "https://factcheck.example.org"
    claim = drive("published", rating_slug="false")

    response = page(client, claim, accept="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    [review] = claimreview_blocks(html)
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == claim.text
    assert review["reviewRating"]["alternateName"] == "False"
    assert review["url"] == f"https://factcheck.example.org/claims/{claim.slug}/"
    assert f'<link rel="canonical" href="{review["url"]}">' in html
    assert f'<meta property="og:url" content="{review["url"]}">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert "The public summary." in html
    assert '<span class="badge rating-false">False</span>' in html
    assert "style=" not in html and "<style" not in html  # the CSP allows no inline style


def test_the_rating_badge_colours_are_one_conditional_stylesheet(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/ratings.css")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert ".badge.rating-false{background-color:#b3261e}" in response.content.decode()  # the seeded "False"
    assert client.get("/ratings.css", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    rating = Rating.objects.get(slug="false")
    rating.colour = "#8a1c16"
    rating.save()
    changed = client.get("/ratings.css", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200
    assert ".badge.rating-false{background-color:#8a1c16}" in changed.content.decode()


def test_the_claimreview_url_serves_the_page_to_a_browser(client, drive, settings):
    settings.PUBLISHER_URL = "http://testserver"
    claim = drive("published")
    review = client.get(f"/api/claims/{claim.pk}/claimreview/").json()

    response = client.get(review["url"].removeprefix("http://testserver"), headers={"accept": "text/html"})

    assert response.status_code == 200
    assert claim.text in response.content.decode()


def test_claim_text_cannot_break_out_of_the_jsonld_block(client, drive):
    claim = drive("published", text="It said </script><script>alert(1)</script> & more \u2028 here.")

    html = page(client, claim).content.decode()

    assert "<script>alert(1)" not in html
    [review] = claimreview_blocks(html)
    assert review["claimReviewed"] == "It said </script><script>alert(1)</script> & more \u2028 here."


def test_a_corrected_claim_lists_each_correction_with_its_note_and_date(client, drive):
    claim = drive("corrected")

    html = page(client, claim).content.decode()

    assert "Corrections" in html
    assert "Fixed a date." in html
    assert "Corrected summary." in html
    [review] = claimreview_blocks(html)
    assert [c["text"] for c in review["correction"]] == ["Fixed a date."]


def test_a_retracted_claim_says_so_and_shows_what_was_retracted_and_why(client, drive):
    claim = drive("retracted", rating_slug="false")

    html = page(client, claim).content.decode()

    assert "This fact-check was retracted" in html
    assert "Source withdrawn." in html
    assert "The public summary." in html  # what was withdrawn
    assert ">False</span>" in html
    [review] = claimreview_blocks(html)
    assert review["creativeWorkStatus"] == "Retracted"


def test_a_claim_under_re_check_says_so_on_its_page_and_in_the_index(client, drive, editor):
    from datetime import date

    from reviews.rechecks import rechecks_open_overdue

    claim = drive("published")
    assert "Under re-check" not in page(client, claim).content.decode()

    assert rechecks_open_overdue(by=editor, today=date(2100, 1, 1))

    assert "Under re-check" in page(client, claim).content.decode()
    assert "under re-check" in client.get("/claims/").content.decode()


@pytest.mark.parametrize("state", ["draft", "in_review", "reviewed"])
def test_an_unpublished_claim_has_no_public_page(client, drive, state):
    claim = drive(state)
    assert page(client, claim).status_code == 404


def test_a_page_shows_evidence_appearances_and_the_pay_figure_in_words(client, drive):
    claim = drive("published", kind="wage")
    WageFigure.objects.create(claim=claim, amount=Decimal("7.25"), currency="USD", period="hour")

    html = page(client, claim).content.decode()

    assert "$7.25 an hour, about $1,276 a month assuming 8 working hours a day and 22 working days a month" in html
    assert "Where the claim appeared" in html
    assert "The Example Times" in html
    assert html.count("“$7.25 an hour”") >= 2  # quoted as an appearance and as evidence


def test_a_page_answers_304_to_its_own_etag_and_changes_when_the_verdict_does(client, drive, editor):
    from reviews import services
    from tests.factories import rating

    claim = drive("published")
    first = page(client, claim)
    assert page(client, claim, if_none_match=first["ETag"]).status_code == 304

    services.verdict_correct(claim=claim, by=editor, rating=rating("mixed"), summary="Now mixed.", note="Re-read.")

    second = page(client, claim, if_none_match=first["ETag"])
    assert second.status_code == 200
    assert "Now mixed." in second.content.decode()


def test_claim_page_query_count_is_fixed(client, drive, django_assert_num_queries):
    claim = drive("corrected")
    # the claim by slug with its change clock, claim row, entities, appearances, verdicts, evidence,
    # conflicts, evidence documents, facts in words (and the conflicting claims' slugs when there
    # are conflicts)
    with django_assert_num_queries(9):
        assert page(client, claim).status_code == 200


# --- The index -------------------------------------------------------------------------------


def titles(response) -> list[str]:
    return re.findall(r'<h2><a href="/claims/[^"]+/">([^<]+)</a></h2>', response.content.decode())


def test_the_index_lists_public_claims_newest_first_and_marks_retracted_ones(client, drive):
    older = drive("published", text="Older claim.")
    newer = drive("retracted", text="Newer claim.")
    drive("reviewed", text="Unpublished claim.")

    response = client.get("/")

    assert response.status_code == 200
    assert titles(response) == [newer.text, older.text]
    assert "Retracted</span>" in response.content.decode()
    assert titles(client.get("/claims/")) == titles(response)


def test_the_index_filters_by_rating_kind_claimant_outlet_entity_and_words(client, drive):
    speaker = EntityFactory(slug="speaker", name="The Speaker")
    subject = EntityFactory(slug="subject")
    a = drive("published", rating_slug="false", text="Wages were low.", kind="wage", claimant=speaker)
    b = drive("published", rating_slug="true", text="The contract ended.", kind="contract")
    b.entities.add(subject)
    SourceDocument.objects.filter(appearances__claim=b).update(outlet="Other Outlet")

    assert titles(client.get("/claims/?rating=false")) == [a.text]
    assert titles(client.get("/claims/?kind=contract")) == [b.text]
    assert titles(client.get("/claims/?claimant=speaker")) == [a.text]
    assert titles(client.get("/claims/?outlet=other outlet")) == [b.text]
    assert titles(client.get("/claims/?entity=subject")) == [b.text]
    assert titles(client.get("/claims/?q=wages")) == [a.text]


def test_unreadable_filters_are_named_not_a_server_error(client, drive):
    drive("published")
    response = client.get("/claims/?kind=nonsense&page=x")
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()


def test_index_query_count_does_not_grow_with_the_page(client, drive, django_assert_num_queries):
    for _ in range(3):
        drive("published")
    # change clock, capped count, page, verdicts, ratings, claimants, entities, outlets
    with django_assert_num_queries(8):
        assert client.get("/claims/").status_code == 200


def archive(size: int, *, claimants: list | None = None, first: int = 0) -> list[Claim]:
    """`size` public claims (oldest first), each by its own claimant (or the given ones in turn), about
    its own entity, quoted in its own outlet: the index's choices would grow with every one."""
    start = timezone.now() - timedelta(days=size)
    claims = []
    for n in range(first, first + size):
        claimant = claimants[n % len(claimants)] if claimants else EntityFactory()
        claim = ClaimFactory(claimant=claimant, text=f"Archived claim {n}.")
        claim.entities.add(EntityFactory())
        AppearanceFactory(claim=claim, document=DocumentFactory(outlet=f"Outlet {n}"))
        claims.append(claim)
    # Arranged in bulk (the services would publish each through review: slow for an archive).
    for n, claim in enumerate(claims, start=first):
        at = start + timedelta(days=n)
        Claim.objects.filter(pk=claim.pk).update(status="published", published_at=at, verdict_updated_at=at)
    return claims


def choices(response, name: str) -> list[str]:
    html = response.content.decode()
    select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', html, re.S).group(1)
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


def selected_option(response, name: str) -> str | None:
    html = response.content.decode()
    select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', html, re.S).group(1)
    found = re.search(r'<option value="([^"]*)" selected>', select)
    return found and found.group(1)


def test_index_query_count_and_size_are_fixed_however_large_the_archive(client, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(pages, "CHOICES_LIMIT", 4)
    monkeypatch.setattr(pages, "CHOICES_WINDOW", 10)
    monkeypatch.setattr(pages, "COUNT_LIMIT", 12)
    monkeypatch.setattr(pages.IndexPagination, "page_size", 5)
    claims = archive(30)

    with django_assert_num_queries(8):
        first = client.get("/claims/")
    assert len(titles(first)) == 5
    for name in ("claimant", "entity", "outlet"):
        assert len(choices(first, name)) == 4
    assert "More than 12 fact-checks, newest first." in first.content.decode()

    older = re.search(r'<a rel="next" href="([^"]+)">Older</a>', first.content.decode()).group(1)
    with django_assert_num_queries(8):
        deeper = client.get(older.replace("&amp;", "&"))
    assert len(titles(deeper)) == 5
    # A selected claimant or entity costs one more query, for its name.
    oldest = claims[0]
    url = f"/claims/?claimant={oldest.claimant.slug}&entity={oldest.entities.get().slug}"
    with django_assert_num_queries(9):
        filtered = client.get(url)
    assert titles(filtered) == [oldest.text]
    assert selected_option(filtered, "claimant") == oldest.claimant.slug


def test_choices_are_the_most_frequent_in_recent_claims_plus_the_selected_one(client, monkeypatch):
    monkeypatch.setattr(pages, "CHOICES_LIMIT", 2)
    frequent = EntityFactory(slug="frequent", name="Frequent Speaker")
    rare = EntityFactory(slug="rare", name="Rare Speaker")
    archive(1, claimants=[rare])
    archive(5, claimants=[frequent, EntityFactory(slug="other", name="Other"), frequent], first=1)

    offered = choices(client.get("/claims/"), "claimant")
    assert offered == ["frequent", "other"]  # the two most frequent, by name

    response = client.get("/claims/?claimant=rare")
    assert choices(response, "claimant") == ["frequent", "other", "rare"]
    assert selected_option(response, "claimant") == "rare"
    assert '<option value="rare" selected>Rare Speaker</option>' in response.content.decode()
    assert titles(response) == ["Archived claim 0."]
    # An outlet is matched in any case: the offered spelling is selected, not added twice.
    response = client.get("/claims/?outlet=outlet 0")
    assert choices(response, "outlet") == ["outlet 0", "Outlet 1"]
    assert '<option value="outlet 0" selected>Outlet 0</option>' in response.content.decode()
    assert titles(response) == ["Archived claim 0."]
    # A value nothing matches stays in its control, so the reader sees what they asked for.
    response = client.get("/claims/?entity=no-such-thing")
    assert selected_option(response, "entity") == "no-such-thing"
    assert titles(response) == []


def test_the_index_pages_older_and_newer_by_keyset_keeping_the_filters(client, monkeypatch):
    monkeypatch.setattr(pages.IndexPagination, "page_size", 2)
    speaker = EntityFactory(slug="speaker")
    claims = archive(5, claimants=[speaker])
    archive(2, first=5)  # by others: filtered out
    newest_first = [claim.text for claim in reversed(claims)]

    seen, url = [], "/claims/?claimant=speaker"
    while url:
        html = client.get(url).content.decode()
        seen += re.findall(r'<h2><a href="/claims/[^"]+/">([^<]+)</a></h2>', html)
        older = re.search(r'<a rel="next" href="([^"]+)">Older</a>', html)
        url = older and older.group(1).replace("&amp;", "&")
        if url:
            assert "claimant=speaker" in url
    assert seen == newest_first
    newer = re.search(r'<a rel="prev" href="([^"]+)">Newer</a>', html).group(1).replace("&amp;", "&")
    assert titles(client.get(newer)) == newest_first[2:4]


def test_an_unreadable_page_link_shows_the_newest_claims_and_says_so(client, drive):
    claim = drive("published")
    response = client.get("/claims/?cursor=garbage")
    assert response.status_code == 200
    assert titles(response) == [claim.text]
    assert "could not be read" in response.content.decode()


# --- Sitemap, robots, ratings -----------------------------------------------------------------


def test_sitemap_lists_public_claim_pages_at_the_publishers_address(client, drive, settings):
    settings.PUBLISHER_URL = "https://factcheck.example.org"
    published = drive("published")
    hidden = drive("reviewed")

    body = client.get("/sitemap.xml").content.decode()

    assert f"<loc>https://factcheck.example.org/claims/{published.slug}/</loc>" in body
    assert hidden.slug not in body


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_out_of_the_admin(client, settings):
    settings.PUBLISHER_URL = "https://factcheck.example.org"
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in body
    assert "Sitemap: https://factcheck.example.org/sitemap.xml" in body


def test_seeded_rating_colours_carry_white_text_readably():
    from reviews.models import MIN_CONTRAST, contrast_with_white

    for rating in Rating.objects.all():
        rating.full_clean()
        assert contrast_with_white(rating.colour) >= MIN_CONTRAST, rating.slug


def test_a_rating_colour_too_light_for_white_text_is_refused():
    rating = Rating.objects.get(slug="true")
    rating.colour = "#7fd17f"
    with pytest.raises(ValidationError) as error:
        rating.full_clean()
    assert "colour" in error.value.message_dict


def test_view_on_site_is_the_public_page(drive):
    claim = drive("published")
    assert claim.get_absolute_url() == f"/claims/{claim.slug}/"


def test_the_admin_offers_view_on_site_only_for_public_claims(client, drive, editor):
    from django.urls import reverse

    published, draft = drive("published"), drive("reviewed")
    client.force_login(editor)

    page = client.get(reverse("admin:claims_claim_change", args=[published.pk])).content.decode()
    assert f'href="/claims/{published.slug}/"' in page and "View on site" in page
    assert "View on site" not in client.get(reverse("admin:claims_claim_change", args=[draft.pk])).content.decode()
