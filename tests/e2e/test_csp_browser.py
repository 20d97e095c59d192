"""The Content-Security-Policy in a real headless Chromium at 1366x768: Swagger UI lists every
operation of the schema under it, and no admin or public page on the demo data breaks it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from claims.models import Claim, Entity, SourceDocument
from tests.e2e.test_workflow_browser import CHROMIUM, browser, log_in, staff  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed"),
]

# Set CSP_SCREENSHOTS=/some/dir to keep a screenshot of every page visited, for a look.
SCREENSHOTS = os.environ.get("CSP_SCREENSHOTS")
# Every violation the page sees, from the page's own event (what a report-uri would receive).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A page that records CSP violations from the event and from Chromium's console."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.set_viewport_size({"width": 1366, "height": 768})
        page.add_init_script(WATCH)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def visit(self, url: str) -> list[str]:
        """Open url, wait for it to settle; the violations it caused (none expected)."""
        response = self.page.goto(url)
        assert response.status == 200, url
        assert "default-src 'self'" in response.headers["content-security-policy"], url
        assert "camera=()" in response.headers["permissions-policy"], url
        self.page.wait_for_load_state("networkidle")
        if SCREENSHOTS:
            name = url.split("//", 1)[1].split("/", 1)[1].strip("/").replace("/", "_").replace("?", "_") or "home"
            self.page.screenshot(path=f"{SCREENSHOTS}/{name}.png")
        found = self.page.evaluate("window.__cspViolations") + self.console
        self.console = []
        return [f"{url}: {v}" for v in found]


@pytest.fixture
def demo_data():
    """The demo desk: the seed articles, the curated claims and facts, the workflow (20 claims)."""
    accounts = [staff("editor", "Editors"), staff("reviewer1", "Reviewers"), staff("reviewer2", "Reviewers")]
    call_command("import_documents", "seeds/", verbosity=0)
    call_command("load_curated", "fixtures/claims.json", verbosity=0)
    call_command("load_demo_workflow", "fixtures/workflow.json", verbosity=0)
    return accounts


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method.upper(), path) for path, operations in schema["paths"].items() for method in operations}


def test_swagger_ui_lists_every_operation_under_the_policy(browser, live_server):  # noqa: F811
    watched = Watched(browser.new_context().new_page())
    violations = watched.visit(f"{live_server.url}/api/docs/")
    watched.page.wait_for_selector(".opblock")
    listed = {
        (
            block.locator(".opblock-summary-method").inner_text().strip(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in watched.page.locator(".opblock").all()
    }
    assert listed == schema_operations()
    assert len(listed) >= 24
    assert violations == []


def test_admin_and_public_pages_break_no_policy(browser, live_server, demo_data, settings):  # noqa: F811
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    published = Claim.objects.filter(status=Claim.Status.PUBLISHED).order_by("pk").first()
    draft = Claim.objects.filter(status=Claim.Status.DRAFT).order_by("pk").first()
    document = SourceDocument.objects.order_by("pk").first()
    entity = Entity.objects.filter(claims_made__isnull=False).order_by("pk").first()
    admin_pages = [
        reverse("admin:index"),
        reverse("admin:claims_claim_changelist"),
        reverse("admin:claims_claim_change", args=[published.pk]),
        reverse("admin:claims_claim_change", args=[draft.pk]),
        reverse("admin:claims_sourcedocument_changelist"),
        reverse("admin:claims_sourcedocument_change", args=[document.pk]),
        reverse("admin:claims_sourcedocument_add"),
        reverse("admin:claims_entity_change", args=[entity.pk]),
        reverse("admin:claims_conflict_changelist"),
        reverse("admin:claims_conflict_graph"),
        reverse("admin:claims_conflict_timeline"),
        reverse("admin:reviews_agreement"),
        reverse("admin:reviews_externalreview_upload"),
        reverse("admin:reviews_recheck_changelist"),
        reverse("admin:reviews_review_changelist"),
        reverse("admin:reviews_assignment_changelist"),
        reverse("admin:reviews_notification_changelist"),
        reverse("admin:reviews_notification_settings"),
        reverse("admin:reviews_note_changelist"),
        reverse("admin:webhooks_endpoint_changelist"),
    ]
    public_pages = ["/", "/claims/?rating=false", f"/claims/{published.slug}/"]

    reader = Watched(browser.new_context().new_page())
    violations = [v for path in ["/admin/login/", *public_pages] for v in reader.visit(f"{live_server.url}{path}")]
    editor = Watched(log_in(browser, live_server.url, "editor"))
    violations += [v for path in admin_pages for v in editor.visit(f"{live_server.url}{path}")]
    # A reviewer's review form (its evidence rows are driven by a script file).
    in_review = Claim.objects.filter(status=Claim.Status.IN_REVIEW, assignments__reviewer__username="reviewer1").first()
    reviewer = Watched(log_in(browser, live_server.url, "reviewer1"))
    review_form = f"{reverse('admin:reviews_review_add')}?claim={in_review.pk}"
    violations += [
        v for path in [reverse("admin:index"), review_form] for v in reviewer.visit(f"{live_server.url}{path}")
    ]
    assert violations == []

    # The pages still look as designed with their styles in files: the workflow buttons and the badge.
    editor.visit(f"{live_server.url}{reverse('admin:claims_claim_change', args=[draft.pk])}")
    button = editor.page.locator("button.workflow-action").first
    assert button.evaluate("b => getComputedStyle(b).textTransform") == "uppercase"
    reader.visit(f"{live_server.url}/claims/{published.slug}/")
    badge = reader.page.locator(".rating .badge")
    assert badge.evaluate("b => getComputedStyle(b).backgroundColor") != "rgba(0, 0, 0, 0)"
