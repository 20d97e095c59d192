"""The re-anchoring core (claims/reanchor.py) and its evaluation command."""

from io import StringIO

import pytest
from django.core.management import call_command

from claims.anchoring import find_quote
from claims.reanchor import Anchor, AnchorState, Reanchorer

OLD = (
    "Headline about prison calls\n\n"
    "The vendor said inmates were paid $7.25 an hour for the calls they made.\n\n"
    'The campaign said "we never knew about this" in a statement on Tuesday.\n\n'
    "A second paragraph that nobody quotes, about call centers in Oklahoma.\n"
)
QUOTE = "paid $7.25 an hour"


def anchor(text: str, quote: str, occurrence: int | None = None) -> Anchor:
    return Anchor(**find_quote(text, quote, occurrence=occurrence).fields())


def locate(new: str, quote: str = QUOTE):
    return Reanchorer(OLD, new).locate(anchor(OLD, quote))


def test_the_same_text_leaves_every_anchor_intact():
    outcome = locate(OLD)
    assert outcome.state == AnchorState.INTACT
    assert (outcome.selector.start, outcome.selector.end) == (OLD.index(QUOTE), OLD.index(QUOTE) + len(QUOTE))


def test_an_inserted_paragraph_moves_the_anchor_to_its_new_offsets():
    new = "Update: this story was updated.\n\n" + OLD
    outcome = locate(new)
    assert outcome.state == AnchorState.MOVED
    assert new[outcome.selector.start : outcome.selector.end] == QUOTE


def test_whitespace_and_quote_styles_do_not_count_as_a_change():
    new = OLD.replace("paid $7.25", "paid  $7.25").replace('"we never knew about this"', "“we never knew about this”")
    assert locate(new).state == AnchorState.MOVED
    assert locate(new, "we never knew about this").state == AnchorState.MOVED


def test_a_paragraph_moved_elsewhere_keeps_its_anchors():
    paragraphs = OLD.rstrip("\n").split("\n\n")
    new = "\n\n".join([paragraphs[0], paragraphs[3], paragraphs[2], paragraphs[1]]) + "\n"
    outcome = locate(new)
    assert outcome.state == AnchorState.MOVED
    assert new[outcome.selector.start : outcome.selector.end] == QUOTE


def test_an_edited_quote_is_changed_and_found_where_it_was():
    new = OLD.replace("$7.25 an hour", "$2.50 an hour")
    outcome = locate(new)
    assert outcome.state == AnchorState.CHANGED
    assert new[outcome.selector.start : outcome.selector.end] == "paid $2.50 an hour"
    assert "$2.50" in outcome.reason


def test_a_negation_inserted_just_before_the_quote_is_a_change():
    new = OLD.replace('said "we never', 'said not "we never')
    outcome = locate(new, "we never knew about this")
    assert outcome.state == AnchorState.CHANGED
    assert "not" in outcome.reason
    assert new[outcome.selector.start : outcome.selector.end] == "we never knew about this"


def test_a_deleted_passage_orphans_its_anchor():
    new = OLD.replace("The vendor said inmates were paid $7.25 an hour for the calls they made.\n\n", "")
    outcome = locate(new)
    assert outcome.state == AnchorState.ORPHANED
    assert outcome.selector is None


def test_a_deleted_twin_is_not_kept_by_the_identical_sentence_that_remains():
    old = "Intro line one.\n\nWe pay them well, the firm said.\n\nMiddle.\n\nOutro: We pay them well, the firm said.\n"
    new = old.replace("Intro line one.\n\nWe pay them well, the firm said.\n\n", "Intro line one.\n\n")
    first, second = anchor(old, "We pay them well", 1), anchor(old, "We pay them well", 2)
    outcomes = Reanchorer(old, new).locate_all([first, second])
    assert [o.state for o in outcomes] == [AnchorState.ORPHANED, AnchorState.MOVED]


def test_evaluate_reanchoring_meets_its_goals_and_repeats_exactly():
    from django.conf import settings

    from claims.management.commands.evaluate_reanchoring import evaluate

    out = StringIO()
    call_command("evaluate_reanchoring", "--rounds", "1", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    result = evaluate(
        fixture=settings.BASE_DIR / "fixtures" / "claims.json", seeds=settings.BASE_DIR / "seeds", rounds=1
    )
    assert last == result.summary()
    assert result.unchanged > 50 and result.edited > 20
    assert result.kept == result.unchanged  # every unchanged anchor kept
    assert result.flagged >= 0.95 * result.edited
    assert result.edited_intact == 0


@pytest.mark.parametrize("rounds", ["0", "-1"])
def test_evaluate_reanchoring_refuses_no_rounds(rounds):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("evaluate_reanchoring", "--rounds", rounds, stdout=StringIO())
