from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Appearance, Claim, SourceDocument
from tests.factories import AppearanceFactory, ClaimFactory, DocumentFactory, EntityFactory, UserFactory

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The values a browser would submit for the admin's change form, as rendered."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._textarea = self._select = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data.removeprefix("\n") if not self.data[self._textarea][-1] else data


def form_data(response, **changes) -> dict:
    parser = _FormFields()
    parser.feed(response.content.decode())
    data = {name: values if len(values) != 1 else values[0] for name, values in parser.data.items()}
    data.update(changes)
    return data


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor-test", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return user


@pytest.fixture
def admin_user_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_editor_can_open_every_claims_admin_page(client, editor):
    appearance = AppearanceFactory()
    pages = [
        reverse("admin:claims_sourcedocument_changelist"),
        reverse("admin:claims_sourcedocument_change", args=[appearance.document.pk]),
        reverse("admin:claims_claim_changelist"),
        reverse("admin:claims_claim_change", args=[appearance.claim.pk]),
        reverse("admin:claims_claim_add"),
        reverse("admin:claims_entity_changelist"),
        reverse("admin:claims_entity_change", args=[appearance.claim.claimant.pk]),
        reverse("admin:claims_entity_add"),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_document_page_highlights_the_appearances_and_links_their_claims(client, editor):
    appearance = AppearanceFactory()
    response = client.get(reverse("admin:claims_sourcedocument_change", args=[appearance.document.pk]))
    html = response.content.decode()
    assert "<mark" in html and "$7.25 an hour</mark>" in html
    assert reverse("admin:claims_claim_change", args=[appearance.claim.pk]) in html


def test_document_metadata_is_saved_through_the_service_and_the_text_is_kept(admin_user_client):
    document = DocumentFactory()
    url = reverse("admin:claims_sourcedocument_change", args=[document.pk])
    data = form_data(admin_user_client.get(url), title="New title", outlet="The Hill", published_on="2019-12-24")
    response = admin_user_client.post(url, data)
    assert response.status_code == 302
    saved = SourceDocument.objects.get(pk=document.pk)
    assert (saved.title, saved.outlet, str(saved.published_on)) == ("New title", "The Hill", "2019-12-24")
    assert saved.text == document.text


def test_an_editor_can_fill_in_document_metadata(client, editor):
    document = DocumentFactory()
    url = reverse("admin:claims_sourcedocument_change", args=[document.pk])
    response = client.post(url, form_data(client.get(url), title="Edited by the desk", outlet="VICE News"))
    assert response.status_code == 302
    saved = SourceDocument.objects.get(pk=document.pk)
    assert (saved.title, saved.outlet, saved.text) == ("Edited by the desk", "VICE News", document.text)


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name",
    ["admin:claims_claim_changelist", "admin:claims_sourcedocument_changelist", "admin:claims_entity_changelist"],
)
def test_changelists_use_a_fixed_number_of_queries(client, editor, django_assert_num_queries, name):
    url = reverse(name)
    AppearanceFactory()
    with_one = _count_queries(client, url)
    for _ in range(6):
        claim = ClaimFactory(claimant=EntityFactory())
        claim.entities.add(EntityFactory())
        AppearanceFactory(claim=claim)
        AppearanceFactory(claim=claim, document=DocumentFactory(), quote="ended the contract")
    with django_assert_num_queries(with_one):
        client.get(url)


def test_claim_changelist_shows_the_appearance_count_and_filters_by_document(client, editor):
    appearance = AppearanceFactory()
    AppearanceFactory(claim=appearance.claim, document=DocumentFactory())
    other = ClaimFactory()
    url = reverse("admin:claims_claim_changelist")
    response = client.get(url, {"document": appearance.document.pk})
    assert list(response.context["cl"].result_list) == [appearance.claim]
    assert response.context["cl"].result_list[0].appearance_count == 2
    response = client.get(url, {"q": "$7.25"})
    assert other not in response.context["cl"].result_list


def test_claimant_and_document_filters_list_links_while_short_and_search_once_long(client, editor, settings):
    from claims.admin import ClaimantFilter, DocumentFilter

    hill = AppearanceFactory(document=DocumentFactory(title="The Hill story"), claim=ClaimFactory())
    AppearanceFactory(document=DocumentFactory(title="VICE story"))
    url = reverse("admin:claims_claim_changelist")

    html = client.get(url).content.decode()
    assert f'?claimant={hill.claim.claimant_id}"' in html and 'type="search" name="claimant"' not in html

    ClaimantFilter.max_links = DocumentFilter.max_links = 1
    try:
        html = client.get(url).content.decode()
        assert 'type="search" name="claimant"' in html and 'type="search" name="document"' in html
        found = client.get(url, {"document": "hill"}).context["cl"].result_list
        assert list(found) == [hill.claim]
        found = client.get(url, {"claimant": hill.claim.claimant.name}).context["cl"].result_list
        assert list(found) == [hill.claim]
    finally:
        ClaimantFilter.max_links = DocumentFilter.max_links = 30


def test_claim_added_in_the_admin_with_a_pasted_quote_is_anchored(client, editor):
    document, claimant = DocumentFactory(), EntityFactory()
    url = reverse("admin:claims_claim_add")
    data = form_data(
        client.get(url),
        text="The call center pays $7.25 an hour.",
        kind="wage",
        claimant=str(claimant.pk),
        **{"appearances-0-document": str(document.pk), "appearances-0-exact": "pays  $7.25 an hour"},
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    claim = Claim.objects.get()
    assert claim.slug == "the-call-center-pays-725-an-hour"
    assert claim.created_by == editor
    appearance = claim.appearances.get()
    assert document.text[appearance.start : appearance.end] == appearance.exact == "pays $7.25 an hour"


def test_a_quote_not_in_the_document_is_a_form_error_and_nothing_is_saved(client, editor):
    document, claimant = DocumentFactory(), EntityFactory()
    url = reverse("admin:claims_claim_add")
    data = form_data(
        client.get(url),
        text="A claim.",
        kind="other",
        claimant=str(claimant.pk),
        **{"appearances-0-document": str(document.pk), "appearances-0-exact": "pays $9.00 an hour"},
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "does not occur in the document" in response.content.decode()
    assert not Claim.objects.exists()


def test_a_stale_claim_edit_is_refused_with_a_clear_error_and_nothing_is_overwritten(client, editor):
    claim = ClaimFactory(text="Original wording.")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(client.get(url), text="My edit.")
    assert data["expected_version"] == "1"
    Claim.objects.filter(pk=claim.pk).update(text="Their edit.", version=2)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Someone else saved this claim after you opened it" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Their edit.", 2)


def test_a_claim_edit_goes_through_the_service_and_bumps_the_version(client, editor):
    claim = ClaimFactory(text="Original wording.")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    response = client.post(url, form_data(client.get(url), text="Reworded."))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Reworded.", 2)


def test_editing_the_text_of_a_published_claim_shows_the_rule_and_changes_nothing(client, editor):
    claim = ClaimFactory(text="As published.", status=Claim.Status.PUBLISHED)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    response = client.post(url, form_data(client.get(url), text="Quietly reworded."), follow=True)
    assert "correct it through a new verdict version" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("As published.", 1)


def test_an_appearance_can_be_removed_in_the_admin(client, editor):
    appearance = AppearanceFactory()
    url = reverse("admin:claims_claim_change", args=[appearance.claim.pk])
    response = client.post(url, form_data(client.get(url), **{"appearances-0-DELETE": "on"}))
    assert response.status_code == 302
    assert not Appearance.objects.exists()


def test_removing_the_source_of_a_published_claim_is_refused_with_the_rule(client, editor):
    appearance = AppearanceFactory(claim=ClaimFactory(status=Claim.Status.PUBLISHED))
    url = reverse("admin:claims_claim_change", args=[appearance.claim.pk])
    response = client.post(url, form_data(client.get(url), **{"appearances-0-DELETE": "on"}), follow=True)
    assert "its appearances were published with the verdict" in response.content.decode()
    assert Appearance.objects.filter(pk=appearance.pk).exists()


def test_a_save_that_fails_half_way_is_rolled_back_with_a_message(client, editor, monkeypatch):
    from django.core.exceptions import ValidationError

    from claims import services

    def concurrent_duplicate(**kwargs):
        raise ValidationError({"exact": "This claim is already anchored there."})

    claim, document = ClaimFactory(text="Original wording."), DocumentFactory()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = form_data(
        client.get(url),
        text="My edit.",
        **{"appearances-0-document": str(document.pk), "appearances-0-exact": "$7.25 an hour"},
    )
    monkeypatch.setattr(services, "appearance_add", concurrent_duplicate)
    response = client.post(url, data, follow=True)
    assert "Nothing was saved: This claim is already anchored there." in response.content.decode()
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Original wording.", 1)  # the claim_update was rolled back too


def test_claim_changelist_counts_claims_without_grouping_them_by_appearance(client, editor):
    # The pagination's count reads the claims alone: a GROUP BY over claims and appearances costs
    # half a second at 100,000 claims (bench/RESULTS.md).
    for _ in range(3):
        AppearanceFactory()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:claims_claim_changelist"))
    assert response.status_code == 200
    counts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT COUNT(")]
    assert counts
    assert not any("GROUP BY" in sql.upper() or "claims_appearance" in sql for sql in counts)


def test_claim_change_page_uses_a_fixed_number_of_queries(client, editor, django_assert_num_queries):
    appearance = AppearanceFactory()
    claim = appearance.claim
    claim.entities.add(EntityFactory())  # the entities widget asks for its chosen ones only when there are any
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client.get(url)  # fills the per-process caches (content types, permissions) first
    with_one = _count_queries(client, url)
    for _ in range(5):
        AppearanceFactory(claim=claim, document=DocumentFactory())
        claim.entities.add(EntityFactory())
    with django_assert_num_queries(with_one):
        assert client.get(url).status_code == 200


def test_claim_change_page_loads_the_claim_once(client, editor):
    """The workflow's buttons and the form share one load of the claim (and its appearances) on a GET."""
    claim = AppearanceFactory().claim
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    loads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "claims_claim"."id"') and f'"claims_claim"."id" = {claim.pk}' in q["sql"]
    ]
    assert len(loads) == 1, loads
