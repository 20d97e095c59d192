"""An editor brings in two articles from the browser and turns suggested sentences into claims."""

import pytest

from claims.models import Appearance, Claim, SourceDocument
from tests.e2e.test_workflow_browser import browser, log_in, pytestmark, staff, success_message  # noqa: F401
from tests.factories import ClaimFactory
from tests.pagesserver import PAGES, serve_pages

LEDGER = "daily-ledger-call-center.html"
HARBOR = "harbor-times-prison-labor.html"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_editor_imports_articles_and_turns_suggestions_into_claims(browser, live_server, settings):  # noqa: F811
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.FETCH_ALLOW_PRIVATE = True  # the "site" is a loopback server
    settings.MATCH_SUGGEST_THRESHOLD = 0.3
    staff("editor", "Editors")
    tracked = ClaimFactory(
        text="ProCom paid the Oklahoma Department of Corrections $7.25 an hour for each incarcerated worker."
    )
    editor = log_in(browser, live_server.url, "editor")
    editor.set_viewport_size({"width": 1366, "height": 768})

    # 1. Upload a saved HTML article.
    editor.goto(f"{live_server.url}/admin/claims/sourcedocument/add/")
    editor.screenshot(path="/tmp/intake-add-form.png", full_page=True)
    assert no_sideways_scroll(editor)
    editor.set_input_files("#id_file", str(PAGES / LEDGER))
    editor.click("input[name=_save]")
    assert "Added" in success_message(editor)
    ledger = SourceDocument.objects.get(source_file=LEDGER)
    assert ledger.outlet == "The Daily Ledger"

    # 2. Add another by URL from a loopback server.
    with serve_pages() as (base, _):
        editor.goto(f"{live_server.url}/admin/claims/sourcedocument/add/")
        editor.fill("#id_url", f"{base}/pages/{HARBOR}")
        editor.click("input[name=_save]")
        assert "Added" in success_message(editor)
    harbor = SourceDocument.objects.get(outlet="Harbor Times")

    # 3. The uploaded article's page lists suggested sentences, highlighted in the text.
    editor.goto(f"{live_server.url}/admin/claims/sourcedocument/{ledger.pk}/change/")
    assert editor.locator("ol.suggestions li.suggestion").count() >= 5
    assert editor.locator("mark.suggested").count() >= 5
    editor.screenshot(path="/tmp/intake-suggestions.png", full_page=True)
    assert no_sideways_scroll(editor)

    # 4. One suggestion becomes a new draft claim, anchored exactly.
    sentence = "At least two of the women worked on the campaign calls for several weeks"
    item = editor.locator("li.suggestion", has_text=sentence)
    start, end = int(item.get_attribute("data-start")), int(item.get_attribute("data-end"))
    item.get_by_role("button", name="New draft claim").click()
    assert "Draft claim" in success_message(editor)
    draft = Claim.objects.exclude(pk=tracked.pk).get()
    anchor = draft.appearances.get()
    assert (anchor.document, anchor.start, anchor.end) == (ledger, start, end)
    assert ledger.text[start:end] == anchor.exact and anchor.exact.startswith(sentence)

    # 5. In the URL-imported article, another becomes an appearance of the claim it matched.
    editor.goto(f"{live_server.url}/admin/claims/sourcedocument/{harbor.pk}/change/")
    item = editor.locator("li.suggestion", has_text="paid the Oklahoma Department of Corrections")
    start, end = int(item.get_attribute("data-start")), int(item.get_attribute("data-end"))
    item.get_by_role("button", name=f"Appearance of {tracked.slug}").click()
    assert "Added an appearance" in success_message(editor)
    appearance = Appearance.objects.get(claim=tracked)
    assert (appearance.document, appearance.start, appearance.end) == (harbor, start, end)
    assert harbor.text[start:end] == appearance.exact
    editor.screenshot(path="/tmp/intake-after.png", full_page=True)
    assert no_sideways_scroll(editor)


pytestmark = [*pytestmark, pytest.mark.filterwarnings("ignore")]
