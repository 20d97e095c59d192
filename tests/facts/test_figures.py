"""The figure parser on every money figure in the five seed articles, and period conversion."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from claims.facts.figures import (
    ConversionError,
    convert,
    converted_figures,
    parse_figures,
    propose_wage,
    propose_wage_in_context,
    words_to_number,
)

SEEDS = Path(settings.BASE_DIR) / "seeds"
D = Decimal

# Every money figure a reader finds in each article, in order: (text, amount, period, qualifier, relative).
ARTICLE_FIGURES = {
    "000_d63dc8fecd211805.txt": [
        ("$7.25 an hour", D("7.25"), "hour", "exactly", False),
        ("$20 per month", D("20"), "month", "up_to", False),
        ("that much every day", D("20"), "day", "exactly", True),
    ],
    "001_9711a5f9de5c5751.txt": [
        ("$7.25 per hour", D("7.25"), "hour", "exactly", False),
    ],
    "002_2d3a9356631e09ec.txt": [
        ("$7.25 an hour", D("7.25"), "hour", "exactly", False),
        ("$20 per month", D("20"), "month", "up_to", False),
        ("54 cents per hour", D("0.54"), "hour", "at_most", False),
    ],
    "003_196a963831745984.txt": [
        ("$7.25 an hour", D("7.25"), "hour", "exactly", False),
        ("$20 dollars a month", D("20"), "month", "at_most", False),
        ("$27.09 per month", D("27.09"), "month", "at_most", False),
        ("that much every day", D("27.09"), "day", "exactly", True),
        ("$20 a month", D("20"), "month", "exactly", False),
        ("that much every day", D("20"), "day", "exactly", True),
        ("$15/hr", D("15"), "hour", "exactly", False),
        ("$20/day", D("20"), "day", "exactly", False),
        ("that much a day", D("20"), "day", "exactly", True),
        ("$5000/yr", D("5000"), "year", "exactly", False),
        ("$1/day", D("1"), "day", "exactly", False),
        ("$20/day", D("20"), "day", "exactly", False),
        ("hundreds of millions of dollars", D("100000000"), "lump_sum", "at_least", False),
        ("20 cents an hour", D("0.20"), "hour", "exactly", False),
        ("fifteen bucks an hour", D("15"), "hour", "exactly", False),
    ],
    "004_aedbd3f8ecac076e.txt": [
        ("$55.9 billion", D("55900000000"), "lump_sum", "exactly", False),
        ("$7.25 per hour", D("7.25"), "hour", "exactly", False),
        ("$20", D("20"), "month", "at_most", False),
        ("54 cents an hour", D("0.54"), "hour", "at_most", False),
    ],
}


@pytest.mark.parametrize("filename", sorted(ARTICLE_FIGURES))
def test_parser_finds_every_figure_in_the_article(filename):
    text = (SEEDS / filename).read_text(encoding="utf-8")

    found = [(f.matched, f.amount, f.period, f.qualifier, f.relative) for f in parse_figures(text)]

    assert found == ARTICLE_FIGURES[filename]


@pytest.mark.parametrize(
    ("quote", "amount", "period", "qualifier"),
    [
        ("$7.25 an hour", "7.25", "hour", "exactly"),
        ("$7.25 per hour", "7.25", "hour", "exactly"),
        ("the Oklahoma minimum wage of $7.25 an hour", "7.25", "hour", "exactly"),
        ("typically make 54 cents an hour, at most", "0.54", "hour", "at_most"),
        ("usually make 54 cents per hour at best", "0.54", "hour", "at_most"),
        ("incarcerated people can make up to $20 per month", "20", "month", "up_to"),
        ("the maximum monthly wage for the incarcerated at $20 dollars a month", "20", "month", "at_most"),
        ("there is a maximum pay of $27.09 per month", "27.09", "month", "at_most"),
        ("the maximum monthly salary prisoners can receive is $20.", "20", "month", "at_most"),
        ("the party of a $15/hr minimum wage", "15", "hour", "exactly"),
        ("fighting wildfires for $1/day", "1", "day", "exactly"),
        ("that's $5000/yr", "5000", "year", "exactly"),
        ("for the sake of optics, fifteen bucks an hour", "15", "hour", "exactly"),
        ("he paid twenty dollars", "20", "lump_sum", "exactly"),
        ("at least $5 per day", "5", "day", "at_least"),
        ("about $300 a week", "300", "week", "about"),
        ("roughly 20 cents an hour", "0.20", "hour", "about"),
        ("$1,200 a year or more", "1200", "year", "at_least"),
        ("€40 daily", "40", "day", "exactly"),
    ],
)
def test_parser_proposes_amount_period_and_qualifier(quote, amount, period, qualifier):
    figure = propose_wage(quote)

    assert (figure.amount, figure.period, figure.qualifier) == (Decimal(amount), period, qualifier)


def test_a_fortune_is_a_lump_sum_not_a_wage():
    figure = propose_wage("Michael Bloomberg is worth $55.9 billion")

    assert figure.amount == Decimal("55900000000")
    assert figure.period == "lump_sum"
    assert not figure.is_wage


def test_loose_qualifier_words_count_only_right_before_the_figure():
    figure = propose_wage("some confusion in the article about whether workers get paid $20 a month")

    assert figure.qualifier == "exactly"


def test_relative_figure_resolves_against_the_referenced_figure():
    reference = propose_wage("up to $20 per month")

    figure = propose_wage("Some of them are making that much every day.", reference=reference)

    assert (figure.amount, figure.period, figure.relative) == (Decimal("20"), "day", True)
    assert "$20 per month" in figure.note


def test_relative_figure_without_reference_has_unknown_amount_and_says_so():
    figure = propose_wage("Some of them are making that much every day.")

    assert figure.amount is None
    assert figure.period == "day"
    assert "not given" in figure.note
    assert "amount" not in figure.as_form_initial()


def test_text_without_money_yields_no_figure():
    assert propose_wage("a minimum-security women's prison with a capacity of more than 900") is None
    assert parse_figures("underbidding them by 90%, a millionth of what he spends") == []


def test_number_words():
    assert words_to_number("twenty-five") == 25
    assert words_to_number("one hundred and twenty") == 120
    with pytest.raises(ValueError):
        words_to_number("many")


def test_hourly_rate_converted_to_month_states_its_assumptions(settings):
    settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_MONTH = 8, 22

    converted = convert(Decimal("7.25"), "hour", "month")

    assert converted.amount == Decimal("1276")
    assert converted.assumptions == "assuming 8 working hours a day and 22 working days a month"
    assert str(converted) == "1276.00 per month"


def test_conversion_follows_the_settings(settings):
    settings.WAGE_DAYS_PER_MONTH = 20

    assert convert(20, "day", "month").amount == Decimal("400")
    assert convert(400, "month", "day").amount == Decimal("20")


def test_week_and_year_conversions(settings):
    settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_WEEK, settings.WAGE_DAYS_PER_MONTH = 8, 5, 22

    assert convert(10, "hour", "week").amount == Decimal("400")
    assert convert(1, "day", "year").amount == Decimal("264")
    assert "12 months a year" in convert(1, "day", "year").assumptions


def test_same_period_is_not_converted():
    converted = convert("20", "month", "month")

    assert converted.amount == Decimal("20")
    assert converted.assumptions == "no conversion"


def test_lump_sum_cannot_be_converted():
    with pytest.raises(ConversionError, match="lump sum"):
        convert(55, "lump_sum", "month")
    assert converted_figures(Decimal(55), "lump_sum") == []


def test_unknown_period_is_a_clear_error():
    with pytest.raises(ConversionError, match="Unknown period 'fortnight'"):
        convert(1, "fortnight", "day")


def test_converted_figures_cover_every_other_rate_period():
    periods = [c.period for c in converted_figures(Decimal("7.25"), "hour")]

    assert periods == ["day", "week", "month", "year"]


def test_relative_figure_in_an_article_refers_to_the_last_figure_before_it():
    text = (SEEDS / "000_d63dc8fecd211805.txt").read_text(encoding="utf-8")
    quote = "Some of them are making that much every day."
    start = text.index(quote)

    figure = propose_wage_in_context(quote, text[:start])

    assert (figure.amount, figure.period, figure.relative) == (Decimal("20"), "day", True)
    assert "$20 per month" in figure.note
