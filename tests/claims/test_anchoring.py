import pytest

from claims import anchoring

TEXT = (
    "The campaign said it “didn’t know” about the vendor.\u00a0It ended the contract.\n"
    "Inmates were paid $7.25 an hour, the company said. Later, inmates were paid $7.25 an hour again."
)


def test_find_quote_exact_match_gives_code_point_offsets():
    selector = anchoring.find_quote(TEXT, "ended the contract")
    assert TEXT[selector.start : selector.end] == "ended the contract"
    assert selector.exact == "ended the contract"
    assert selector.prefix == TEXT[max(0, selector.start - 32) : selector.start]
    assert selector.suffix == TEXT[selector.end : selector.end + 32]


def test_find_quote_ignores_whitespace_differences_including_nbsp():
    selector = anchoring.find_quote(TEXT, "about the vendor. It   ended")
    assert selector.exact == "about the vendor.\u00a0It ended"


def test_find_quote_matches_straight_quotes_against_curly_ones():
    selector = anchoring.find_quote(TEXT, 'said it "didn\'t know"')
    assert selector.exact == "said it “didn’t know”"


def test_find_quote_refuses_an_ambiguous_quote():
    with pytest.raises(anchoring.AnchorError, match="occurs 2 times"):
        anchoring.find_quote(TEXT, "$7.25 an hour")


def test_find_quote_picks_the_requested_occurrence():
    first = anchoring.find_quote(TEXT, "$7.25 an hour", occurrence=1)
    second = anchoring.find_quote(TEXT, "$7.25 an hour", occurrence=2)
    assert first.start < second.start
    assert TEXT[second.start : second.end] == "$7.25 an hour"


def test_find_quote_refuses_an_occurrence_that_does_not_exist():
    with pytest.raises(anchoring.AnchorError, match="not 3"):
        anchoring.find_quote(TEXT, "$7.25 an hour", occurrence=3)


def test_find_quote_uses_the_prefix_to_choose_between_repeats():
    selector = anchoring.find_quote(TEXT, "$7.25 an hour", prefix="Later, inmates were paid ")
    assert selector.start == TEXT.rindex("$7.25 an hour")


def test_find_quote_reports_a_missing_quote():
    with pytest.raises(anchoring.AnchorError, match="does not occur"):
        anchoring.find_quote(TEXT, "paid $9 an hour")


def test_check_selector_refuses_a_quote_that_is_not_the_slice():
    with pytest.raises(anchoring.AnchorError, match="does not match"):
        anchoring.check_selector(TEXT, exact="ended the contract", start=0, end=18)


def test_resolve_reanchors_a_moved_quote_in_new_text():
    old = anchoring.find_quote(TEXT, "ended the contract")
    new_text = "Update: " + TEXT
    resolved = anchoring.resolve(
        new_text, exact=old.exact, prefix=old.prefix, suffix=old.suffix, start=old.start, end=old.end
    )
    assert resolved is not None
    assert resolved.start == old.start + len("Update: ")
    assert new_text[resolved.start : resolved.end] == old.exact


def test_resolve_returns_none_for_an_orphaned_anchor():
    old = anchoring.find_quote(TEXT, "ended the contract")
    resolved = anchoring.resolve(
        "An entirely rewritten article.", exact=old.exact, prefix=old.prefix, suffix=old.suffix, start=0, end=10
    )
    assert resolved is None


def test_locate_by_offsets_checks_a_quote_given_with_them():
    start = TEXT.index("ended the contract")
    assert anchoring.locate(TEXT, start=start, end=start + 5).exact == "ended"
    assert anchoring.locate(TEXT, quote="ended", start=start, end=start + 5).start == start
    with pytest.raises(anchoring.AnchorError, match="does not match"):
        anchoring.locate(TEXT, quote="other", start=start, end=start + 5)
    with pytest.raises(anchoring.AnchorError, match="both start and end"):
        anchoring.locate(TEXT, quote="ended", start=start)


def test_locate_without_offsets_finds_the_quote():
    assert anchoring.locate(TEXT, quote="ended the contract") == anchoring.find_quote(TEXT, "ended the contract")
