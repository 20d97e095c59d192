"""Adding documents from the browser: uploads, pastes and URLs share import_documents' service."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims import services
from claims.errors import NotPermitted
from claims.models import Claim, SourceDocument
from claims.services import system_user
from tests.claims.test_admin import form_data
from tests.factories import ClaimFactory, EntityFactory, UserFactory
from tests.pagesserver import PAGES, serve_pages

pytestmark = pytest.mark.django_db

LEDGER = "daily-ledger-call-center.html"


@pytest.fixture
def pages(settings):
    settings.FETCH_ALLOW_PRIVATE = True
    with serve_pages() as (base, routes):
        yield base, routes


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor-intake", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return user


# --- the service ---------------------------------------------------------------------


def test_a_url_is_imported_with_the_pages_metadata(pages):
    base, _ = pages
    result = services.document_import_url(url=f"{base}/pages/{LEDGER}", by=system_user())
    document = result.document
    assert result.status == "created"
    assert (document.title, document.outlet, document.author) == (
        "Call center paid inmates pennies for campaign calls, records show",
        "The Daily Ledger",
        "Dana Whitfield",
    )
    assert str(document.published_on) == "2020-01-03"
    assert document.url == f"{base}/pages/{LEDGER}"
    assert "$7.25 an hour for each inmate worker" in document.text


def test_a_changed_page_under_the_same_url_is_a_new_version(pages):
    base, routes = pages
    html = (PAGES / LEDGER).read_bytes()
    routes["/story"] = (200, {"Content-Type": "text/html"}, html)
    first = services.document_import_url(url=f"{base}/story", by=system_user()).document
    assert services.document_import_url(url=f"{base}/story", by=system_user()).status == "unchanged"

    routes["/story"] = (200, {"Content-Type": "text/html"}, html.replace(b"on Thursday", b"on Friday"))
    result = services.document_import_url(url=f"{base}/story", by=system_user())
    assert result.status == "new_version"
    assert result.document.previous_version == first
    assert "on Friday" in result.document.text


def test_a_page_without_article_text_is_refused(pages):
    base, routes = pages
    routes["/empty"] = (
        200,
        {"Content-Type": "text/html"},
        b"<html><head><title>T</title></head><body><script>app()</script></body></html>",
    )
    with pytest.raises(services.DocumentRefused) as excinfo:
        services.document_import_url(url=f"{base}/empty", by=system_user())
    assert excinfo.value.rule == "document_no_article"
    assert not SourceDocument.objects.exists()


def test_an_uploaded_text_file_is_stored_exactly_and_versioned_by_its_name():
    text = "Line one\u00a0with NBSP.\r\nThe vendor paid $7.25 an hour.\n"
    first = services.document_import_upload(name="notes.txt", raw=text.encode(), by=system_user()).document
    assert first.text == text and first.source_file == "notes.txt"
    second = services.document_import_upload(
        name="notes.txt", raw=(text + "More.\n").encode(), by=system_user()
    ).document
    assert second.previous_version == first


def test_an_uploaded_html_page_is_extracted():
    document = services.document_import_upload(
        name=LEDGER, raw=(PAGES / LEDGER).read_bytes(), by=system_user()
    ).document
    assert document.outlet == "The Daily Ledger"
    assert document.text.startswith("The call-center company")


@pytest.mark.parametrize(
    ("name", "raw", "rule"),
    [
        ("a.txt", b"", "document_empty"),
        ("a.txt", b"caf\xe9", "document_not_utf8"),
        ("a.txt", b"PK\x03\x04\x00\x00", "document_binary"),
        ("a.pdf", b"%PDF-1.4", "document_type"),
        ("a.html", b"<html>\x00</html>", "document_binary"),
    ],
)
def test_bad_uploads_get_the_same_checks_as_the_command(name, raw, rule):
    with pytest.raises(services.DocumentRefused) as excinfo:
        services.document_import_upload(name=name, raw=raw, by=system_user())
    assert excinfo.value.rule == rule


def test_pasted_text_over_the_size_limit_is_refused(settings):
    settings.DOCUMENT_MAX_BYTES = 10
    with pytest.raises(services.DocumentRefused, match="larger than the 10-byte limit"):
        services.document_import(text="eleven bytes", source_file="pasted.txt", by=system_user())


def test_importing_needs_the_add_permission():
    with pytest.raises(NotPermitted):
        services.document_import(text="Some text.", source_file="a.txt", by=UserFactory(is_staff=True))


# --- the admin -----------------------------------------------------------------------


def test_editor_adds_a_document_by_pasting_text(client, editor):
    response = client.post(
        reverse("admin:claims_sourcedocument_add"),
        {"text": "The vendor paid $7.25 an hour.\n", "title": "Wire copy", "outlet": "AP"},
    )
    document = SourceDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:claims_sourcedocument_change", args=[document.pk])
    assert (document.text, document.source_file, document.outlet) == (
        "The vendor paid $7.25 an hour.\n",
        "wire-copy.txt",
        "AP",
    )


def test_editor_uploads_an_html_article(client, editor):
    upload = SimpleUploadedFile(LEDGER, (PAGES / LEDGER).read_bytes(), content_type="text/html")
    client.post(reverse("admin:claims_sourcedocument_add"), {"file": upload, "outlet": "Ledger (print)"})
    document = SourceDocument.objects.get()
    assert document.outlet == "Ledger (print)"  # what the editor typed wins over the page's own
    assert document.author == "Dana Whitfield"


def test_editor_adds_a_document_by_url(client, editor, pages):
    base, _ = pages
    client.post(reverse("admin:claims_sourcedocument_add"), {"url": f"{base}/pages/harbor-times-prison-labor.html"})
    assert SourceDocument.objects.get().outlet == "Harbor Times"


def test_a_refused_url_is_shown_on_the_form_and_nothing_is_saved(client, editor):
    response = client.post(reverse("admin:claims_sourcedocument_add"), {"url": "http://127.0.0.1:9/secret"})
    assert response.status_code == 200
    assert "private or local address" in response.content.decode()
    assert not SourceDocument.objects.exists()


@pytest.mark.parametrize("data", [{}, {"text": "x", "url": "https://example.org/"}])
def test_the_form_wants_exactly_one_source(client, editor, data):
    response = client.post(reverse("admin:claims_sourcedocument_add"), {**data, "title": "T"})
    assert "Give exactly one of" in response.content.decode()


def test_reviewers_cannot_add_documents(client):
    user = UserFactory(username="reviewer-intake", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(user)
    assert client.get(reverse("admin:claims_sourcedocument_add")).status_code == 403


def test_documents_are_searched_by_their_text(client, editor):
    services.document_import(text="Inmates were paid 54 cents an hour.", source_file="a.txt", by=system_user())
    services.document_import(text="The weather was fine.", source_file="b.txt", by=system_user())
    response = client.get(reverse("admin:claims_sourcedocument_changelist"), {"q": "inmates"})
    assert list(response.context["cl"].result_list.values_list("source_file", flat=True)) == ["a.txt"]


def test_the_pages_are_realistic_articles():
    # The fixtures carry the clutter of real pages (navigation, ads, footers) the extractor must drop.
    for page in Path(PAGES).glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<footer" in html and "<h1" in html


def test_a_claim_that_likely_repeats_another_needs_a_confirmation(client, editor):
    existing = ClaimFactory(text="The call center pays the Department of Corrections $7.25 an hour per worker.")
    url = reverse("admin:claims_claim_add")
    data = form_data(client.get(url), text=existing.text, kind="wage", claimant=str(EntityFactory().pk))
    response = client.post(url, data)
    assert response.status_code == 200
    assert "likely repeats a claim already tracked" in response.content.decode()
    assert existing.slug in response.content.decode()
    assert Claim.objects.count() == 1

    client.post(url, {**data, "not_a_duplicate": "on"})
    assert Claim.objects.count() == 2
