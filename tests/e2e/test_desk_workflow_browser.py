"""The desk's whole workflow in a real Chromium at 1366x768, counting what people do: an editor
creates a claim with one appearance, submits it and assigns two reviewers; each reviewer writes a
review with one evidence passage; the editor publishes. At most 25 clicks, logins excluded."""

from claims.models import Claim
from reviews.models import Review, Verdict
from tests.e2e.test_workflow_browser import PASSWORD, browser, pytestmark, staff  # noqa: F401
from tests.factories import DocumentFactory, EntityFactory

MAX_CLICKS = 25


class Counter:
    """Every click, tick and pick in a list counts as one click; typing into a field is counted apart."""

    def __init__(self):
        self.clicks = 0
        self.typed = 0
        self.loads = 0

    def click(self, page, selector: str) -> None:
        self.clicks += 1
        page.click(selector)

    def pick(self, page, selector: str, **option) -> None:
        self.clicks += 1
        page.select_option(selector, **option)

    def check(self, page, label: str) -> None:
        self.clicks += 1
        page.get_by_label(label).check()

    def type(self, page, selector: str, text: str) -> None:
        self.typed += 1
        page.fill(selector, text)

    def autocomplete(self, page, field_id: str, search: str, choice: str) -> None:
        """Django's autocomplete box: open it, type, pick the match."""
        self.click(page, f"#{field_id} + .select2 .select2-selection")
        self.type(page, ".select2-container--open .select2-search__field", search)
        self.click(page, f".select2-results__option:has-text('{choice}')")


def log_in(browser, base_url: str, username: str, counter: Counter):  # noqa: F811
    """Not counted: logging in."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("load", lambda _: setattr(counter, "loads", counter.loads + 1))
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    counter.loads -= 2  # the login page and the redirect after it
    return page


def success(page) -> str:
    return page.locator("ul.messagelist li.success").first.inner_text()


def test_create_to_published_with_two_reviewers_in_at_most_25_clicks(browser, live_server):  # noqa: F811
    staff("editor", "Editors")
    staff("reviewer1", "Reviewers")
    staff("reviewer2", "Reviewers")
    EntityFactory(name="ProCom", slug="procom")
    document = DocumentFactory(
        title="Call center pays inmates", text="The call center pays $7.25 an hour to the state."
    )
    count = Counter()

    editor = log_in(browser, live_server.url, "editor", count)
    count.click(editor, "a.addlink[href$='/claims/claim/add/']")
    count.type(editor, "#id_text", "ProCom pays the state $7.25 an hour for each incarcerated worker.")
    count.pick(editor, "#id_kind", value="wage")
    count.autocomplete(editor, "id_claimant", "ProCom", "ProCom")
    count.autocomplete(editor, "id_appearances-0-document", "Call center", "Call center pays inmates")
    count.type(editor, "#id_appearances-0-exact", "pays $7.25 an hour")
    count.click(editor, "input[name=_continue]")
    claim = Claim.objects.get(slug__startswith="procom-pays")
    count.click(editor, "button.workflow-submit")
    assert "Submit for review: done" in success(editor)
    count.click(editor, "a.workflow-assign")
    count.check(editor, "reviewer1")
    count.check(editor, "reviewer2")
    count.click(editor, "input[name=_confirm]")
    assert "Assign reviewers: done" in success(editor)

    for username in ("reviewer1", "reviewer2"):
        reviewer = log_in(browser, live_server.url, username, count)  # lands on the start page: my queue
        count.click(reviewer, "table.desk-queue a.button:has-text('Write your review')")
        count.pick(reviewer, "#id_rating", label="True")
        count.type(reviewer, "#id_rationale", f"{username}: the document states the hourly rate.")
        count.pick(reviewer, "#id_evidence-0-stance", value="supports")  # the claim's document is preselected
        count.type(reviewer, "#id_evidence-0-quote", "The call center pays $7.25 an hour")
        count.click(reviewer, "input[name=_save]")
        assert "Your review is submitted" in success(reviewer)
        reviewer.context.close()

    # The editor hears it is ready: the header's notifications, then the claim.
    count.click(editor, "a.desk-notifications")
    count.click(editor, "#result_list a:has-text('is ready to publish')")
    count.click(editor, "a.workflow-publish")
    count.type(
        editor, "#id_summary", "The company's own figure, reported consistently."
    )  # the agreed rating is offered
    count.click(editor, "input[name=_confirm]")
    assert "Publish verdict: done (verdict version 1)" in success(editor)

    claim.refresh_from_db()
    assert claim.status == "published"
    assert Verdict.objects.get(claim=claim).rating.slug == "true"
    assert Review.objects.filter(claim=claim, status="submitted").count() == 2
    evidence = Review.objects.get(claim=claim, reviewer__username="reviewer1").evidence.get()
    assert evidence.document == document and evidence.exact == "The call center pays $7.25 an hour"
    print(
        f"\ncreate -> published with two reviewers: {count.clicks} clicks, {count.typed} typed fields, "
        f"{count.loads} page loads (logins excluded)"
    )
    assert count.clicks <= MAX_CLICKS
