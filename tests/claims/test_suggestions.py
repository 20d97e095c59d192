"""Suggested claims: sentences, features, the ranking, its evaluation and the admin's one-click actions."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from claims import services, suggestions
from claims.models import Appearance, Claim
from claims.services import system_user
from tests.factories import ClaimFactory, UserFactory

TEXT = (
    "Prison wages\n\n"
    "ProCom paid the state $7.25 an hour for each worker, a spokesman said on Thursday. "
    "Is this legal? "
    "I think the whole thing looks bad.\n"
    "“We didn’t know about this,” campaign spokeswoman Julie Wood said."
)


def test_sentences_carry_their_exact_offsets():
    sentences = suggestions.split_sentences(TEXT)
    assert [s.text for s in sentences] == [
        "Prison wages",
        "ProCom paid the state $7.25 an hour for each worker, a spokesman said on Thursday.",
        "Is this legal?",
        "I think the whole thing looks bad.",
        "“We didn’t know about this,” campaign spokeswoman Julie Wood said.",
    ]
    assert all(TEXT[s.start : s.end] == s.text for s in sentences)


def test_features_fire_for_what_they_name():
    fired = suggestions.features("ProCom paid the state $7.25 an hour, a spokesman said on Thursday.")
    assert fired["money_or_percent"] and fired["number"] and fired["attribution"] and fired["date"]
    assert not fired["question"] and not fired["first_person_opinion"]
    assert suggestions.features("Is this legal?")["question"]
    assert suggestions.features("I think the whole thing looks bad.")["first_person_opinion"]
    assert suggestions.features("Turnout rose 45% from 2016.")["money_or_percent"]


def test_figures_and_attribution_rank_above_questions_and_opinion():
    ranked = [s.sentence.text for s in suggestions.rank(TEXT)]
    assert ranked[0].startswith("ProCom paid")
    assert ranked.index("Is this legal?") > 1
    assert ranked.index("I think the whole thing looks bad.") > 1
    top = suggestions.rank(TEXT)[0]
    assert "money_or_percent" in top.fired and 0 < top.score < 1


@pytest.mark.django_db
def test_evaluate_suggestions_meets_its_goals_on_the_curated_set(settings):
    call_command("import_documents", str(settings.BASE_DIR / "seeds"), stdout=StringIO())
    call_command("load_curated", str(settings.BASE_DIR / "fixtures" / "claims.json"), stdout=StringIO())
    out = StringIO()
    call_command("evaluate_suggestions", stdout=out)
    words = out.getvalue().strip().splitlines()[-1].split()
    assert words[0] == "AP" and float(words[1]) >= 0.75
    assert words[3] == "precision" and float(words[4]) >= 0.80


@pytest.fixture
def editor_client(client, db):
    user = UserFactory(username="editor-suggest", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_document_page_shows_suggestions_highlighted_with_score_and_features(editor_client):
    document = services.document_import(
        text=TEXT, source_file="wages.txt", metadata=services.DocumentMetadata(outlet="The Ledger"), by=system_user()
    ).document
    html = editor_client.get(reverse("admin:claims_sourcedocument_change", args=[document.pk])).content.decode()
    start = TEXT.index("ProCom paid")
    assert f'id="suggested-{start}"' in html
    assert "money_or_percent" in html and "New draft claim" in html


@pytest.mark.django_db
def test_one_click_makes_a_draft_claim_anchored_exactly(editor_client):
    document = services.document_import(
        text=TEXT, source_file="wages.txt", metadata=services.DocumentMetadata(outlet="The Ledger"), by=system_user()
    ).document
    start = TEXT.index("ProCom paid")
    end = TEXT.index("Thursday.") + len("Thursday.")
    url = reverse("admin:claims_sourcedocument_suggestion", args=[document.pk])
    response = editor_client.post(url, {"suggestion": f"draft:{start}:{end}"})
    claim = Claim.objects.get()
    assert response["Location"] == reverse("admin:claims_claim_change", args=[claim.pk])
    assert claim.status == "draft" and claim.claimant.name == "The Ledger"
    appearance = claim.appearances.get()
    assert (appearance.start, appearance.end, appearance.exact) == (start, end, TEXT[start:end])


@pytest.mark.django_db
def test_one_click_adds_an_appearance_of_the_matched_claim(editor_client):
    document = services.document_import(text=TEXT, source_file="wages.txt", by=system_user()).document
    claim = ClaimFactory(text="The campaign did not know about this, said Julie Wood.")
    start = TEXT.index("“We")
    end = len(TEXT)
    url = reverse("admin:claims_sourcedocument_suggestion", args=[document.pk])
    editor_client.post(url, {"suggestion": f"appearance:{start}:{end}:{claim.pk}"})
    appearance = Appearance.objects.get()
    assert (appearance.claim, appearance.start, appearance.end) == (claim, start, end)
    assert document.text[start:end] == appearance.exact


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["draft:x:y", "appearance:0:5:999999", "launch:0:5", "draft:5:2"])
def test_a_bad_suggestion_click_saves_nothing(editor_client, value):
    document = services.document_import(text=TEXT, source_file="wages.txt", by=system_user()).document
    url = reverse("admin:claims_sourcedocument_suggestion", args=[document.pk])
    response = editor_client.post(url, {"suggestion": value})
    assert response.status_code == 302
    assert not Claim.objects.exists() and not Appearance.objects.exists()
