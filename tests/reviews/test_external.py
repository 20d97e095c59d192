"""import_claimreview: other fact-checkers' ClaimReviews in every shape, deviations tolerated, the rest refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from reviews import external
from reviews.models import ExternalReview, RatingMapping
from tests.factories import ClaimFactory, rating

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "claimreview"


def run(*names: str, capsys) -> tuple[list[str], list[str]]:
    call_command("import_claimreview", *[str(SAMPLES / n) if "://" not in n else n for n in names])
    out, err = capsys.readouterr()
    return out.strip().splitlines(), err.strip().splitlines()


def review(url: str) -> ExternalReview:
    return ExternalReview.objects.with_normalised_rating().get(url=url)


def test_a_single_claimreview_is_stored_with_every_field(capsys):
    out, err = run("single.json", capsys=capsys)

    assert out[-1] == "1 read, 1 imported, 0 updated, 0 skipped"
    assert err == []
    r = review("https://checker.example.org/fact-checks/minimum-wage")
    assert r.publisher == "Checker Example"
    assert r.publisher_url == "https://checker.example.org"
    assert r.date_published == date(2019, 12, 27)
    assert r.claimant == "A Campaign Spokesperson"
    assert r.appearance_url == "https://news.example.com/story"
    assert (r.rating_text, r.rating_value, r.best_rating, r.worst_rating) == ("False", 1, 5, 1)
    assert r.normalised_rating_label == "False"
    assert r.raw["@type"] == "ClaimReview"


def test_a_list_with_author_as_string_or_list_text_only_ratings_and_loose_dates(capsys):
    out, _ = run("list.json", capsys=capsys)

    assert out[-1] == "2 read, 2 imported, 0 updated, 0 skipped"
    first, second = review("https://politi.example.com/statements/1"), review("https://politi.example.com/statements/2")
    assert (first.publisher, first.rating_text, first.rating_value) == ("PolitiExample", "Pants on Fire!", None)
    assert first.date_published == date(2019, 12, 26)
    assert first.normalised_rating_label == "False"
    assert second.publisher == "PolitiExample"
    assert second.date_published == date(2019, 12, 26)
    assert second.normalised_rating_label == "Mostly true"


def test_a_graph_with_numeric_id_lower_case_types_title_and_creative_work(capsys):
    out, _ = run("graph.jsonld", capsys=capsys)

    assert out[-1] == "1 read, 1 imported, 0 updated, 0 skipped"
    r = review("https://afp.example.net/checks/falso-1")
    assert r.claimant == "Usuarios de redes sociales"
    assert r.date_published == date(2019, 12, 28)
    assert r.normalised_rating_label == "False"  # "Falso" through the seeded mapping


def test_a_datafeed_with_item_as_list_or_object_and_numbers_as_strings(capsys):
    out, _ = run("datafeed.json", capsys=capsys)

    assert out[-1] == "2 read, 2 imported, 0 updated, 0 skipped"
    a, b = review("https://full.example.org/a"), review("https://full.example.org/b")
    assert (a.rating_value, a.best_rating, a.worst_rating) == (Decimal(4), Decimal(5), Decimal(1))
    assert (b.rating_text, b.rating_value) == ("", Decimal(5))
    assert b.publisher == "full.example.org"  # no author: the site's host names the publisher
    assert b.normalised_rating_label is None  # a bare number on an unknown scale is not guessed


def test_an_html_page_with_ld_json_blocks_and_a_schema_org_url_type(capsys):
    out, _ = run("page.html", capsys=capsys)

    assert out[-1] == "1 read, 1 imported, 0 updated, 0 skipped"
    r = review("https://snopes.example.com/fact-check/prison-calls/")
    assert (r.publisher, r.claimant, r.normalised_rating_label) == ("Snopes Example", "The Intercept", "True")


def test_broken_json_is_repaired(capsys):
    out, _ = run("broken.json", capsys=capsys)

    assert out[-1] == "1 read, 1 imported, 0 updated, 0 skipped"
    assert review("https://broken.example.org/check").normalised_rating_label == "Mostly false"


def test_unreadable_records_are_refused_with_their_reason_and_the_others_imported(capsys):
    out, err = run("refused.json", "notjson.txt", "nodata.html", "missing.json", capsys=capsys)

    assert list(ExternalReview.objects.values_list("url", flat=True)) == ["https://refused.example.org/ok"]
    assert review("https://refused.example.org/ok").normalised_rating_label == "Mixed"
    joined = "\n".join(err)
    assert "refused.json record 1: no http(s) url of the fact-check" in joined
    assert "refused.json record 2: no http(s) url of the fact-check" in joined
    assert "refused.json record 3: no claimReviewed" in joined
    assert "refused.json record 4: no rating" in joined
    assert "refused.json record 6: a second record with the same url" in joined
    assert "notjson.txt: not JSON, and json-repair could not mend it" in joined
    assert 'nodata.html: an HTML page without a <script type="application/ld+json"> block' in joined
    assert "missing.json: cannot read the file" in joined
    assert out[-1].startswith("6 read, 1 imported, 0 updated, 8 skipped (")
    assert "2 no http(s) url of the fact-check" in out[-1]


def test_a_url_seen_again_updates_its_review_and_an_identical_one_is_unchanged(capsys, tmp_path):
    run("single.json", capsys=capsys)
    out, _ = run("single.json", capsys=capsys)
    assert out[-1] == "1 read, 0 imported, 0 updated, 1 skipped (1 unchanged)"

    changed = tmp_path / "changed.json"
    changed.write_text((SAMPLES / "single.json").read_text().replace('"False"', '"Misleading"'))
    call_command("import_claimreview", str(changed))
    out = capsys.readouterr().out.strip().splitlines()

    assert out[-1] == "1 read, 0 imported, 1 updated, 0 skipped"
    assert ExternalReview.objects.count() == 1
    assert review("https://checker.example.org/fact-checks/minimum-wage").rating_text == "Misleading"


def test_a_field_too_long_refuses_that_record_only_and_nothing_is_half_written(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '[{"@type": "ClaimReview", "url": "https://x.example.org/%s", "claimReviewed": "A", "reviewRating": "False"},'
        ' {"@type": "ClaimReview", "url": "https://x.example.org/ok", "claimReviewed": "B", "reviewRating": "False"}]'
        % ("a" * 1100)
    )
    report = external.external_reviews_import(sources=external.read_sources([str(bad)]))

    assert report.imported == 1
    assert report.refused[0][1].startswith("invalid field (url:")
    assert list(ExternalReview.objects.values_list("url", flat=True)) == ["https://x.example.org/ok"]


def test_the_mapping_table_is_editable_and_a_publishers_own_row_wins():
    RatingMapping(publisher="PolitiExample", text="Mostly True", rating=rating("true")).full_clean()
    mapping = RatingMapping(publisher="PolitiExample", text="Mostly True", rating=rating("true"))
    mapping.full_clean()
    mapping.save()
    external.external_reviews_import(sources=external.read_sources([str(SAMPLES / "list.json")]))

    assert review("https://politi.example.com/statements/2").normalised_rating_label == "True"


def test_an_external_review_is_matched_to_our_closest_claim(settings):
    ours = ClaimFactory(text="The campaign did not know about the prison call centers, a spokesperson said.")
    ClaimFactory(text="Something else entirely about weather.")

    external.external_reviews_import(sources=external.read_sources([str(SAMPLES / "list.json")]))

    matched = ExternalReview.objects.get(url="https://politi.example.com/statements/1")
    assert matched.claim == ours
    assert matched.match_score >= settings.MATCH_SUGGEST_THRESHOLD
    assert ExternalReview.objects.get(url="https://politi.example.com/statements/2").claim is None


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://example.org/x.json", "only http and https URLs can be fetched"),
        ("http://127.0.0.1:9/feed.json", "a private or local address"),
        ("http://10.1.2.3/feed.json", "a private or local address"),
    ],
)
def test_urls_are_fetched_only_from_public_http_addresses(url, reason, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    [(_, content, error)] = external.read_sources([url])
    # The desk's fetcher (claims/fetch.py) refuses; its reason is the record's.
    assert content is None
    assert reason in error


def test_a_url_is_fetched_and_imported(monkeypatch, capsys):
    monkeypatch.setattr(external, "fetch", lambda url: (SAMPLES / "page.html").read_bytes())
    out, _ = run("https://snopes.example.com/fact-check/prison-calls/", capsys=capsys)
    assert out[-1] == "1 read, 1 imported, 0 updated, 0 skipped"
