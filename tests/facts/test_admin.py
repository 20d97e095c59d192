"""The facts admin: inlines saving through the services, the wage parser, triage, graph and timeline pages."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from claims.facts.services import contract_set, knowledge_set, wage_set
from claims.models import Conflict, WageFigure
from claims.services import system_user
from tests.claims.test_admin import form_data
from tests.factories import AppearanceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = UserFactory(username="facts-editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return user


@pytest.fixture
def conflict(people, make_claim):
    cap, daily = make_claim("wage", slug="doc-cap"), make_claim("wage", slug="scallan-daily")
    AppearanceFactory(claim=cap, quote="up to $20 per month")
    wage_set(claim=cap, amount="20", period="month", qualifier="up_to", measure="inmate pay", by=system_user())
    wage_set(claim=daily, amount="20", period="day", measure="inmate pay", by=system_user())
    return Conflict.objects.get()


def change_url(obj) -> str:
    return reverse(f"admin:claims_{obj._meta.model_name}_change", args=[obj.pk])


def test_a_wage_entered_on_the_claim_page_is_saved_through_the_service(client, editor, people, make_claim):
    claim = make_claim("wage")
    AppearanceFactory(claim=claim)
    url = change_url(claim)
    data = form_data(
        client.get(url),
        **{"wage-0-amount": "7.25", "wage-0-currency": "USD", "wage-0-period": "hour", "wage-0-qualifier": "exactly"},
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    wage = WageFigure.objects.get(claim=claim)
    assert (wage.amount, wage.period) == (Decimal("7.25"), "hour")
    assert wage.history.first().history_user == editor


def test_a_negative_wage_on_the_claim_page_is_a_field_error_and_nothing_is_saved(client, editor, make_claim):
    claim = make_claim("wage")
    url = change_url(claim)
    data = form_data(
        client.get(url),
        **{"wage-0-amount": "-3", "wage-0-currency": "USD", "wage-0-period": "hour", "wage-0-qualifier": "exactly"},
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "An amount cannot be negative." in response.content.decode()
    assert not WageFigure.objects.exists()


def test_the_wage_inline_shows_converted_figures_with_assumptions(client, editor, make_claim, settings):
    settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_MONTH = 8, 22
    claim = make_claim("wage")
    wage_set(claim=claim, amount="7.25", period="hour", by=system_user())

    page = client.get(change_url(claim)).content.decode()

    assert "1276.00 USD per month" in page
    assert "assuming 8 working hours a day and 22 working days a month" in page


def test_propose_prefills_the_figure_from_the_first_appearance_and_saves_on_confirm(client, editor, make_claim):
    claim = make_claim("wage")
    AppearanceFactory(claim=claim, quote="up to $20 per month")
    url = reverse("admin:claims_wagefigure_propose", args=[claim.pk])

    page = client.get(url)

    form = page.context["form"]
    assert (form.initial["amount"], form.initial["period"], form.initial["qualifier"]) == (
        Decimal("20"),
        "month",
        "up_to",
    )
    assert not WageFigure.objects.exists()  # nothing until the editor confirms

    response = client.post(url, {"amount": "20", "currency": "USD", "period": "month", "qualifier": "up_to"})

    assert response.status_code == 302
    assert WageFigure.objects.get(claim=claim).qualifier == "up_to"


def test_propose_shows_the_rule_when_the_confirmed_figure_is_bad(client, editor, make_claim):
    claim = make_claim("wage")
    url = reverse("admin:claims_wagefigure_propose", args=[claim.pk])

    response = client.post(url, {"amount": "-1", "currency": "USD", "period": "month", "qualifier": "up_to"})

    assert response.status_code == 200
    assert "cannot be negative" in response.content.decode()
    assert not WageFigure.objects.exists()


def test_confirmed_conflicts_show_on_both_claims_pages(client, editor, conflict):
    Conflict.objects.filter(pk=conflict.pk).update(status="confirmed")

    for claim, other in ((conflict.claim_a, conflict.claim_b), (conflict.claim_b, conflict.claim_a)):
        page = client.get(change_url(claim)).content.decode()
        assert "Confirmed conflicts" in page
        assert other.slug in page
        assert conflict.explanation.split(":")[0] in page


def test_triage_actions_confirm_and_dismiss_with_a_reason(client, editor, conflict):
    url = reverse("admin:claims_conflict_changelist")

    client.post(url, {"action": "dismiss", "_selected_action": [conflict.pk], "note": ""})
    assert Conflict.objects.get().status == "open"  # a dismissal without a reason is refused

    client.post(url, {"action": "dismiss", "_selected_action": [conflict.pk], "note": "Different programmes."})
    dismissed = Conflict.objects.get()
    assert (dismissed.status, dismissed.triage_note, dismissed.triaged_by) == (
        "dismissed",
        "Different programmes.",
        editor,
    )

    client.post(url, {"action": "confirm", "_selected_action": [conflict.pk], "note": "Checked."})
    assert Conflict.objects.get().status == "confirmed"


def test_triage_from_the_conflict_page_goes_through_the_service(client, editor, conflict):
    url = change_url(conflict)

    response = client.post(url, {"status": "dismissed", "triage_note": ""}, follow=True)

    assert "Say why the conflict is dismissed" in response.content.decode()
    assert Conflict.objects.get().status == "open"

    client.post(url, {"status": "confirmed", "triage_note": "Per day vs per month."})
    assert Conflict.objects.get().triaged_by == editor


@pytest.mark.parametrize("n", [1, 3])
def test_conflict_changelist_query_count_is_fixed(client, editor, people, make_claim, django_assert_num_queries, n):
    for i in range(n):
        cap, daily = make_claim("wage"), make_claim("wage")
        wage_set(claim=cap, amount="20", period="month", qualifier="up_to", measure=f"pay {i}", by=system_user())
        wage_set(claim=daily, amount="20", period="day", measure=f"pay {i}", by=system_user())
    url = reverse("admin:claims_conflict_changelist")
    client.get(url)  # warm the permission caches

    # session, user, permissions, counts, the page with both claims joined, the field filter's choices,
    # the header's unread notifications: the same nine whether there is one conflict or many
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200


def test_entity_page_draws_the_relationship_graph(client, editor, people, make_claim):
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["vendor"],
        role="vendor",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["vendor"],
        engaged=people["procom"],
        role="subcontractor",
        by=system_user(),
    )

    page = client.get(change_url(people["vendor"])).content.decode()

    assert "<svg" in page and "entity-graph" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "Undisclosed vendor" in page and "ProCom" in page


def test_claim_page_draws_the_graph_and_escapes_names(client, editor, people, make_claim):
    people["vendor"].name = "<b>Vendor & Co</b>"
    people["vendor"].save()
    claim = make_claim("contract")
    contract_set(claim=claim, engager=people["campaign"], engaged=people["vendor"], role="vendor", by=system_user())

    page = client.get(change_url(claim)).content.decode()

    assert "&lt;b&gt;Vendor &amp; Co&lt;/b&gt;" in page
    assert "<b>Vendor & Co</b>" not in page


def test_timeline_and_graph_pages(client, editor, people, make_claim):
    knowledge_set(
        claim=make_claim("knowledge"),
        actor=people["campaign"],
        subject_text="prison labor was used",
        polarity="learned",
        when_event="after The Intercept's inquiry",
        by=system_user(),
    )
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["vendor"],
        role="vendor",
        by=system_user(),
    )

    timeline = client.get(reverse("admin:claims_conflict_timeline")).content.decode()
    graph = client.get(reverse("admin:claims_conflict_graph")).content.decode()

    assert "after The Intercept&#x27;s inquiry" in timeline
    assert "<svg" in graph


def test_wage_figure_list_compares_figures_per_month(client, editor, make_claim):
    wage_set(claim=make_claim("wage"), amount="7.25", period="hour", by=system_user())
    wage_set(claim=make_claim("wage"), amount="55900000000", period="lump_sum", by=system_user())

    page = client.get(reverse("admin:claims_wagefigure_changelist")).content.decode()

    assert "1276.00 USD" in page
    assert "lump sum" in page


def test_reviewers_cannot_triage(client, conflict):
    reviewer = UserFactory(username="facts-reviewer", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)

    client.post(reverse("admin:claims_conflict_changelist"), {"action": "confirm", "_selected_action": [conflict.pk]})

    assert Conflict.objects.get().status == "open"


def test_propose_resolves_a_relative_figure_against_the_article(client, editor, make_claim):
    from tests.factories import DocumentFactory

    document = DocumentFactory(
        text="The website says up to $20 per month. Some of them are making that much every day."
    )
    claim = make_claim("wage")
    AppearanceFactory(claim=claim, document=document, quote="making that much every day")

    form = client.get(reverse("admin:claims_wagefigure_propose", args=[claim.pk])).context["form"]

    assert (form.initial["amount"], form.initial["period"]) == (Decimal("20"), "day")


def test_reviewers_see_conflicts_and_relationships_only_of_claims_assigned_to_them(
    client, conflict, people, make_claim
):
    reviewer = UserFactory(username="facts-reviewer-2", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    contract_set(
        claim=make_claim("contract"),
        engager=people["campaign"],
        engaged=people["vendor"],
        role="vendor",
        by=system_user(),
    )

    changelist = client.get(reverse("admin:claims_conflict_changelist")).content.decode()
    graph = client.get(reverse("admin:claims_conflict_graph")).content.decode()

    assert conflict.claim_a.slug not in changelist
    assert "Undisclosed vendor" not in graph


def test_the_claim_page_offers_only_the_structure_its_kind_calls_for(client, editor, people, make_claim):
    wage_claim = make_claim("wage")
    page = client.get(change_url(wage_claim)).content.decode()
    assert 'id="wage-group"' in page
    assert 'id="contract-group"' not in page

    other = make_claim("other")
    contract_set(claim=other, engager=people["campaign"], engaged=people["vendor"], role="vendor", by=system_user())
    page = client.get(change_url(other)).content.decode()
    assert 'id="contract-group"' in page  # a structure it already has stays visible
    assert 'id="wage-group"' not in page


def test_the_timeline_reads_as_a_timeline(client, editor, people, make_claim):
    from datetime import date

    from tests.factories import AppearanceFactory

    undated = make_claim("knowledge")
    knowledge_set(
        claim=undated, actor=people["campaign"], subject_text="who ran the calls", polarity="knew", by=system_user()
    )
    dated = make_claim("knowledge")
    knowledge_set(
        claim=dated,
        actor=people["campaign"],
        subject_text="prison labor was used",
        polarity="learned",
        known_on=date(2019, 12, 24),
        by=system_user(),
    )
    first = AppearanceFactory(claim=dated, quote="$7.25 an hour")
    AppearanceFactory(claim=dated, document=first.document, quote="up to $20 per month")

    page = client.get(reverse("admin:claims_conflict_timeline")).content.decode()

    assert '<ol id="timeline" class="timeline">' in page and "<table" not in page.split('id="timeline"')[1]
    assert "Who knew what" in page and ">knowledge<" not in page
    assert page.index("24 Dec 2019") < page.index('class="timeline-basis">undated')
    assert page.count(f'href="{reverse("admin:claims_sourcedocument_change", args=[first.document.pk])}"') == 1
