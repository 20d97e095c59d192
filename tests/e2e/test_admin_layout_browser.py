"""Every admin page fits a 1366 px laptop screen, as an editor and as a reviewer, on the demo data
(the five seed articles, the curated claims and the demo workflow): no sideways scrolling of the
page, and no list or table whose right-hand columns are cut off inside a scrolling box."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.e2e.admin_pages import admin_pages
from tests.e2e.test_workflow_browser import CHROMIUM, PASSWORD, browser, pytestmark, staff  # noqa: F401

WIDTH = 1366

# Boxes that scroll or clip sideways and hold more than they show. Form controls and select2's
# one-line display of a chosen value (ellipsized by design) are not columns of a list.
CLIPPED = """() => [...document.querySelectorAll('body *')].filter(e => {
  if (['TEXTAREA', 'SELECT', 'INPUT'].includes(e.tagName) || e.closest('svg, .select2-container')) return false;
  const style = getComputedStyle(e);
  return e.clientWidth > 1 && ['auto', 'hidden', 'scroll', 'clip'].includes(style.overflowX)
    && e.scrollWidth > e.clientWidth + 1;
}).map(e => `${e.tagName.toLowerCase()}.${e.className} shows ${e.clientWidth} of ${e.scrollWidth} px`)"""


@pytest.fixture
def demo(db):
    staff("editor", "Editors")
    staff("reviewer1", "Reviewers")
    staff("reviewer2", "Reviewers")
    call_command("import_documents", "seeds/", verbosity=0)
    call_command("load_curated", "fixtures/claims.json", verbosity=0)
    call_command("load_demo_workflow", "fixtures/workflow.json", verbosity=0)


@pytest.mark.parametrize("username", ["editor", "reviewer1"])
def test_every_admin_page_fits_1366_pixels(browser, live_server, demo, username):  # noqa: F811
    user = get_user_model().objects.get(username=username)
    pages = admin_pages(user)
    context = browser.new_context(viewport={"width": WIDTH, "height": 768})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    problems = []
    for url in pages:
        response = page.goto(f"{live_server.url}{url}")
        if response.status >= 400:
            problems.append(f"{url}: HTTP {response.status}")
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            problems.append(f"{url}: {width} px wide")
        problems += [f"{url}: {clip}" for clip in page.evaluate(CLIPPED)]
    context.close()
    print(f"{username}: {len(pages)} admin pages at {WIDTH} px, {len(problems)} problems")
    assert len(pages) > 30
    assert not problems, "\n".join(problems)
