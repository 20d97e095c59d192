"""The public site in a real headless Chromium at 1366x768: ClaimReview blocks, filters, accessibility, layout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from tests.api.conftest import drive  # noqa: F401
from tests.e2e.test_workflow_browser import browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium is not installed"),
]

AXE = Path(__file__).parents[1] / "vendor" / "axe.min.js"
CLAIMREVIEW = json.loads((Path(__file__).parents[1] / "api" / "schemas" / "claimreview.schema.json").read_text())
# Set PUBLIC_SCREENSHOTS=/some/dir to keep full-page screenshots of each page for a look.
SCREENSHOTS = os.environ.get("PUBLIC_SCREENSHOTS")


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def claimreviews(page) -> list[dict]:
    return [json.loads(text) for text in page.locator('script[type="application/ld+json"]').all_text_contents()]


def serious_violations(page) -> list[str]:
    page.evaluate(AXE.read_text())  # not a <script> tag: the page's CSP allows no inline script
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def scrolls_sideways(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("state", ["published", "corrected", "retracted"])
def test_a_claim_page_has_one_valid_claimreview_passes_axe_and_fits(page, live_server, drive, settings, state):  # noqa: F811
    settings.PUBLISHER_URL = live_server.url
    claim = drive(state, rating_slug="false")

    page.goto(f"{live_server.url}/claims/{claim.slug}/")

    [review] = claimreviews(page)
    jsonschema.validate(review, CLAIMREVIEW)
    assert review["url"] == page.url
    assert page.locator("h1").inner_text() == claim.text
    if state == "corrected":
        assert [c["text"] for c in review["correction"]] == ["Fixed a date."]
        assert "Fixed a date." in page.locator("main").inner_text()
    if state == "retracted":
        assert review["creativeWorkStatus"] == "Retracted"
        assert "This fact-check was retracted" in page.locator("main").inner_text()
    screenshot(page, f"claim-{state}")
    assert serious_violations(page) == []
    assert not scrolls_sideways(page)
    page.set_viewport_size({"width": 375, "height": 740})
    screenshot(page, f"claim-{state}-phone")
    assert not scrolls_sideways(page)


def test_the_index_filters_work_from_the_keyboard_and_pass_axe(page, live_server, drive):  # noqa: F811
    false_claim = drive("published", rating_slug="false", text="Pay was seven dollars.")
    true_claim = drive("published", rating_slug="true", text="The contract ended in December.")

    page.goto(f"{live_server.url}/")
    screenshot(page, "index")
    assert serious_violations(page) == []
    assert not scrolls_sideways(page)
    titles = page.locator("ol.claims h2")
    assert titles.all_inner_texts() == [true_claim.text, false_claim.text]

    # Keyboard only: the skip link comes first and leads into the page.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.focus("#f-rating")
    page.select_option("#f-rating", "false")
    page.focus("#f-q")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "rating=false" in url)
    assert titles.all_inner_texts() == [false_claim.text]

    page.fill("#f-q", "contract")
    page.select_option("#f-rating", "")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=contract" in url)
    assert titles.all_inner_texts() == [true_claim.text]

    page.set_viewport_size({"width": 375, "height": 740})
    screenshot(page, "index-phone")
    assert not scrolls_sideways(page)
