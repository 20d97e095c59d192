"""One claim from draft to published through the admin pages, in a real headless Chromium."""

import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from claims.models import Claim
from reviews.models import Review, Verdict
from tests.factories import AppearanceFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback keeps the migration-seeded groups and rating scale for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not shutil.which("chromium"), reason="chromium is not installed"
    ),
]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous ones. Set only for this test: left in
    # os.environ it would leak into other tests (and `check --deploy` rightly refuses it).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def staff(username: str, group: str):
    user = UserFactory(username=username, is_staff=True, password=PASSWORD)
    user.groups.add(Group.objects.get(name=group))
    return user


def log_in(browser, base_url: str, username: str):
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


def success_message(page) -> str:
    return page.locator("ul.messagelist li.success").first.inner_text()


def test_a_claim_goes_from_draft_to_published_through_the_admin(browser, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff("editor", "Editors")
    staff("reviewer1", "Reviewers")
    staff("reviewer2", "Reviewers")
    appearance = AppearanceFactory()
    claim, document = appearance.claim, appearance.document
    claim_url = f"{live_server.url}/admin/claims/claim/{claim.pk}/change/"

    editor = log_in(browser, live_server.url, "editor")
    editor.goto(claim_url)
    editor.click("button.workflow-submit")
    assert "Submit for review: done" in success_message(editor)
    editor.click("a.workflow-assign")
    editor.get_by_label("reviewer1").check()
    editor.get_by_label("reviewer2").check()
    editor.click("input[name=_confirm]")
    assert "Assign reviewers: done" in success_message(editor)

    for username, rating, quote in [
        ("reviewer1", "Mostly true", "pays $7.25 an hour"),
        ("reviewer2", "True", "The call center pays $7.25 an hour"),
    ]:
        reviewer = log_in(browser, live_server.url, username)
        reviewer.goto(claim_url)
        reviewer.click("a.workflow-review")
        reviewer.select_option("#id_rating", label=rating)
        reviewer.fill("#id_rationale", f"{username}: the document states the hourly rate.")
        reviewer.select_option("#id_evidence-0-stance", "supports")
        reviewer.select_option("#id_evidence-0-document", str(document.pk))
        reviewer.fill("#id_evidence-0-quote", quote)  # pasted; the offsets are found on save
        reviewer.click("input[name=_save]")
        assert "Your review is submitted" in success_message(reviewer)
        reviewer.context.close()

    editor.goto(claim_url)
    editor.click("a.workflow-publish")
    assert "The reviewers disagree" in editor.content()
    editor.select_option("#id_rating", label="Mostly true")
    editor.fill("#id_summary", "The company's own figure, reported consistently.")
    editor.fill("#id_resolution", "The rate is stated, but only by the company.")
    editor.click("input[name=_confirm]")
    assert "Publish verdict: done (verdict version 1)" in success_message(editor)

    verdict = Verdict.objects.get(claim=claim)
    assert (verdict.version, verdict.rating.slug, verdict.published_by.username) == (1, "mostly-true", "editor")
    assert Claim.objects.get(pk=claim.pk).status == "published"
    evidence = Review.objects.get(claim=claim, reviewer__username="reviewer1").evidence.get()
    assert document.text[evidence.start : evidence.end] == "pays $7.25 an hour"
