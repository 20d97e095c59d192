"""Pay figures in prose: a parser that proposes a WageFigure from a quote, and period conversion.

The parser only proposes; an editor confirms in the admin. It reads "$7.25 an hour",
"54 cents per hour at best", "up to $20 per month", "$15/hr", "fifteen bucks an hour",
"the maximum monthly salary ... is $20", "$55.9 billion" (a lump sum, not a wage) and
relative figures such as "that much every day", which take their amount from the figure
they refer to (given, or the previous figure in the same text) or say the amount is unknown.

Conversion between periods uses the desk's assumptions from settings
(WAGE_HOURS_PER_DAY, WAGE_DAYS_PER_WEEK, WAGE_DAYS_PER_MONTH, and 12 months a year);
every converted figure carries the assumptions it used, in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.conf import settings

from claims.models import Period, Qualifier


class ConversionError(ValueError):
    """A figure that cannot be converted to another period (a lump sum, or an unknown period)."""


@dataclass(frozen=True)
class ProposedFigure:
    """A figure found in text. `amount` is None only for a relative figure with nothing to refer to."""

    amount: Decimal | None
    currency: str
    period: str
    qualifier: str
    matched: str
    start: int
    end: int
    relative: bool = False
    note: str = ""

    @property
    def is_wage(self) -> bool:
        """A rate (per hour/day/...) can be a wage; a lump sum such as a fortune cannot."""
        return self.period != Period.LUMP_SUM

    def as_form_initial(self) -> dict:
        """The WageFigure form fields this proposal fills in."""
        initial = {"currency": self.currency, "period": self.period, "qualifier": self.qualifier}
        if self.amount is not None:
            initial["amount"] = self.amount
        return initial


@dataclass(frozen=True)
class Converted:
    amount: Decimal
    period: str
    assumptions: str

    def __str__(self) -> str:
        return f"{self.amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)} {Period(self.period).label}"


# --- Numbers in words -------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join(sorted([w for w in (*_UNITS, *_TENS, *_SCALES) if w != "a"], key=len, reverse=True))


def words_to_number(words: str) -> Decimal:
    """'twenty-five' -> 25, 'one hundred and twenty' -> 120, 'fifteen' -> 15."""
    total = current = 0
    tokens = [t for t in re.split(r"[\s-]+", words.lower().strip()) if t and t != "and"]
    if not tokens:
        raise ValueError("no number words")
    for token in tokens:
        if token in _UNITS:
            current += _UNITS[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token == "hundred":
            current = max(current, 1) * 100
        elif token in _SCALES:
            total += max(current, 1) * _SCALES[token]
            current = 0
        else:
            raise ValueError(f"{token!r} is not a number word")
    return Decimal(total + current)


# --- The parser ------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MAGNITUDES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000}
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_CURRENCY_WORDS = {"dollar": "USD", "buck": "USD", "cent": "USD", "euro": "EUR", "pound": "GBP"}

_FIGURE = re.compile(
    rf"""
    (?P<sym>[$€£])\s?(?P<num>{_NUM})(?:\s*(?P<mag>billion|million|thousand|bn)\b)?
        (?:\s+(?:dollars?|bucks|euros?|pounds?)\b)?
  | (?<![\w.$€£])(?P<num2>{_NUM})\s*(?P<mag2>billion|million|thousand)?\s*(?P<unit2>dollars?|bucks?|cents?|euros?|pounds?)\b
  | \b(?P<words>(?:(?:{_NUMBER_WORD})[\s-]+(?:and\s+)?)*(?:{_NUMBER_WORD}))\s+(?P<unit3>dollars?|bucks?|cents?)\b
  | \b(?P<vague>hundreds|tens|dozens)\s+of\s+(?P<vague_mag>thousands|millions|billions)\s+of\s+dollars\b
  | \b(?P<rel>that|this)\s+(?:much|amount)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)

_PERIOD_WORDS = {
    "hour": Period.HOUR, "hr": Period.HOUR, "h": Period.HOUR, "hourly": Period.HOUR,
    "day": Period.DAY, "daily": Period.DAY,
    "week": Period.WEEK, "wk": Period.WEEK, "weekly": Period.WEEK,
    "month": Period.MONTH, "mo": Period.MONTH, "monthly": Period.MONTH,
    "year": Period.YEAR, "yr": Period.YEAR, "annum": Period.YEAR, "yearly": Period.YEAR,
    "annual": Period.YEAR, "annually": Period.YEAR,
}  # fmt: skip
_PERIOD_AFTER = re.compile(
    r"""^\s*(?:(?:an?|per|each|every|a\s+single)\s+|/\s*)(?P<p>hour|hr|h|day|week|wk|month|mo|year|yr|annum)\b
      | ^\s*(?P<adj>hourly|daily|weekly|monthly|yearly|annually)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_PERIOD_BEFORE = re.compile(r"\b(hourly|daily|weekly|monthly|yearly|annual)\b", re.IGNORECASE)

_QUALIFIER_AFTER = re.compile(
    r"^\s*,?\s*(?P<most>at\s+most|at\s+best|at\s+the\s+most|or\s+less|tops)\b|^\s*,?\s*(?P<least>or\s+more|at\s+least)\b",
    re.IGNORECASE,
)
# Checked in the clause before the figure; the nearest phrase wins. "minimum wage" is a
# name, not a bound, so "minimum" is deliberately not an at-least phrase. Bounds such as
# "the maximum monthly wage for the incarcerated at $20" reach across a few words; the
# loose words ("about", "under", "more than") count only right before the figure, so
# "confusion about whether workers get paid $20" stays exact.
_QUALIFIER_BEFORE = [
    (Qualifier.UP_TO, r"up\s+to|as\s+much\s+as"),
    (Qualifier.AT_MOST, r"at\s+most|no\s+more\s+than|maximum|max\.?|capped\s+at"),
    (Qualifier.AT_LEAST, r"at\s+least|no\s+less\s+than|upwards\s+of"),
]
_QUALIFIER_ADJACENT = [
    (Qualifier.AT_MOST, r"less\s+than|under"),
    (Qualifier.AT_LEAST, r"more\s+than|over"),
    (Qualifier.ABOUT, r"about|roughly|around|approximately|nearly|almost|an\s+estimated|circa|~"),
]
_QUALIFIER_BEFORE_RE = re.compile(
    "|".join(rf"(?P<{q.value}>\b(?:{pattern})(?=\W))" for q, pattern in _QUALIFIER_BEFORE), re.IGNORECASE
)
_QUALIFIER_ADJACENT_RE = re.compile(
    "|".join(rf"(?P<{q.value}>(?:^|\b)(?:{pattern})\s*$)" for q, pattern in _QUALIFIER_ADJACENT), re.IGNORECASE
)
_WINDOW = 60


def _clause_before(text: str, start: int, floor: int) -> str:
    """The text before a figure, back to the sentence start, the previous figure, or _WINDOW characters."""
    lo = max(floor, start - _WINDOW)
    window = text[lo:start]
    cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "), window.rfind("; "), window.rfind("\n"))
    return window[cut + 1 :] if cut >= 0 else window


def _last(pattern: re.Pattern, text: str) -> re.Match | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _qualifier(before: str, after: str) -> str:
    explicit = _QUALIFIER_AFTER.match(after)
    if explicit:
        return Qualifier.AT_MOST if explicit.group("most") else Qualifier.AT_LEAST
    adjacent = _QUALIFIER_ADJACENT_RE.search(before)
    if adjacent:
        return Qualifier(adjacent.lastgroup)
    found = _last(_QUALIFIER_BEFORE_RE, before)
    if found is None:
        return Qualifier.EXACTLY
    return Qualifier(found.lastgroup)


def _amount(match: re.Match) -> tuple[Decimal, str]:
    if match.group("sym"):
        amount = Decimal(match.group("num").replace(",", ""))
        magnitude = _MAGNITUDES.get((match.group("mag") or "").lower(), 1)
        return amount * magnitude, _SYMBOLS[match.group("sym")]
    if match.group("num2"):
        amount = Decimal(match.group("num2").replace(",", ""))
        amount *= _MAGNITUDES.get((match.group("mag2") or "").lower(), 1)
        unit = match.group("unit2").lower().rstrip("s")
    elif match.group("words"):
        amount = words_to_number(match.group("words"))
        unit = match.group("unit3").lower().rstrip("s")
    else:
        raise ValueError("not an absolute figure")
    if unit == "cent":
        amount = amount / 100
    return amount, _CURRENCY_WORDS[unit]


def parse_figures(text: str, *, reference: ProposedFigure | None = None) -> list[ProposedFigure]:
    """Every money figure in `text`, in order, with period and qualifier.

    A relative figure ("that much every day") takes its amount from `reference`, or else
    from the previous absolute figure in the same text; with neither, its amount is None
    and its note says why.
    """
    figures: list[ProposedFigure] = []
    floor = 0
    for match in _FIGURE.finditer(text):
        after_text = text[match.end() :]
        period_match = _PERIOD_AFTER.match(after_text)
        if match.group("rel"):
            if not period_match:
                continue  # "that much" with no period ("making that little") states no figure
            figures.append(_relative(text, match, period_match, reference or _last_absolute(figures), floor))
            floor = match.end() + period_match.end()
            continue
        before = _clause_before(text, match.start(), floor)
        note = ""
        if match.group("vague"):
            # "hundreds of millions of dollars": a magnitude, not a figure; propose its lower bound.
            scale = {"thousands": 1_000, "millions": 1_000_000, "billions": 1_000_000_000}
            amount = Decimal({"tens": 10, "dozens": 12, "hundreds": 100}[match.group("vague").lower()])
            amount *= scale[match.group("vague_mag").lower()]
            currency, qualifier = "USD", Qualifier.AT_LEAST
            note = "A vague magnitude; the amount is its lower bound."
        else:
            amount, currency = _amount(match)
        end = match.end()
        if period_match:
            period = _PERIOD_WORDS[(period_match.group("p") or period_match.group("adj")).lower()]
            end += period_match.end()
        else:
            adjective = _last(_PERIOD_BEFORE, before)
            period = _PERIOD_WORDS[adjective.group(1).lower()] if adjective else Period.LUMP_SUM
        if not match.group("vague"):
            qualifier = _qualifier(before, text[end:])
        if period == Period.LUMP_SUM and not note:
            note = "No period: a lump sum, not a wage rate."
        figures.append(
            ProposedFigure(
                amount=amount,
                currency=currency,
                period=period,
                qualifier=qualifier,
                matched=text[match.start() : end],
                start=match.start(),
                end=end,
                note=note,
            )
        )
        floor = end
    return figures


def _last_absolute(figures: list[ProposedFigure]) -> ProposedFigure | None:
    for figure in reversed(figures):
        if not figure.relative and figure.amount is not None:
            return figure
    return None


def _relative(
    text: str, match: re.Match, period_match: re.Match, reference: ProposedFigure | None, floor: int
) -> ProposedFigure:
    period = _PERIOD_WORDS[(period_match.group("p") or period_match.group("adj")).lower()]
    end = match.end() + period_match.end()
    qualifier = _qualifier(_clause_before(text, match.start(), floor), text[end:])
    common = {"period": period, "qualifier": qualifier, "matched": text[match.start() : end], "start": match.start()}
    if reference is None or reference.amount is None:
        return ProposedFigure(
            amount=None,
            currency="USD",
            end=end,
            relative=True,
            note="A relative figure: the amount is that of an earlier figure, which was not given. Enter it by hand.",
            **common,
        )
    return ProposedFigure(
        amount=reference.amount,
        currency=reference.currency,
        end=end,
        relative=True,
        note=f"A relative figure: the amount is taken from “{reference.matched}”, the period from this quote.",
        **common,
    )


def propose_wage(quote: str, *, reference: ProposedFigure | None = None) -> ProposedFigure | None:
    """The wage figure a quote states: its first rate (per hour, day...), else its first figure."""
    figures = parse_figures(quote, reference=reference)
    rates = [f for f in figures if f.is_wage]
    return (rates or figures or [None])[0]


def propose_wage_in_context(quote: str, preceding: str) -> ProposedFigure | None:
    """Like propose_wage, resolving a relative figure against the last figure before the quote."""
    earlier = [f for f in parse_figures(preceding) if not f.relative and f.amount is not None]
    return propose_wage(quote, reference=earlier[-1] if earlier else None)


# --- Conversion -------------------------------------------------------------------------


def _days_in(period: str) -> Decimal:
    hours, week, month = settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_WEEK, settings.WAGE_DAYS_PER_MONTH
    days = {
        Period.HOUR: Decimal(1) / Decimal(hours),
        Period.DAY: Decimal(1),
        Period.WEEK: Decimal(week),
        Period.MONTH: Decimal(month),
        Period.YEAR: Decimal(month) * 12,
    }
    if period == Period.LUMP_SUM:
        raise ConversionError("A lump sum is not a rate; it cannot be converted to another period.")
    if period not in days:
        raise ConversionError(f"Unknown period {period!r}; expected one of {', '.join(Period.values)}.")
    return days[period]


def _assumptions(from_period: str, to_period: str) -> list[str]:
    if {from_period, to_period} == {Period.MONTH, Period.YEAR}:
        return ["12 months a year"]  # the days in a month cancel out
    each = {
        Period.HOUR: [f"{settings.WAGE_HOURS_PER_DAY} working hours a day"],
        Period.DAY: [],
        Period.WEEK: [f"{settings.WAGE_DAYS_PER_WEEK} working days a week"],
        Period.MONTH: [f"{settings.WAGE_DAYS_PER_MONTH} working days a month"],
        Period.YEAR: [f"{settings.WAGE_DAYS_PER_MONTH} working days a month", "12 months a year"],
    }
    return list(dict.fromkeys(each[from_period] + each[to_period]))


def convert(amount: Decimal | int | str, from_period: str, to_period: str) -> Converted:
    """`amount` per `from_period`, expressed per `to_period`, with the assumptions used in words."""
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ConversionError(f"{amount!r} is not a number.") from None
    factor = _days_in(to_period) / _days_in(from_period)
    if from_period == to_period:
        return Converted(amount=amount, period=to_period, assumptions="no conversion")
    used = _assumptions(from_period, to_period)
    return Converted(amount=amount * factor, period=to_period, assumptions="assuming " + " and ".join(used))


def converted_figures(amount: Decimal, period: str) -> list[Converted]:
    """The figure in every other period (empty for a lump sum): what the admin shows beside a wage."""
    if period == Period.LUMP_SUM:
        return []
    return [convert(amount, period, other) for other in Period.values if other not in (period, Period.LUMP_SUM)]


# --- Rates for readers: exact cents and comparable amounts ---------------------------------
# The feed gives every wage rate per hour and per month as a decimal string in cents. The
# factor between two periods is a ratio of whole numbers (the settings above), so the figure
# is computed on integer cents and rounded half up: the same digits whichever database or
# language repeats the sum (bench/baseline.py does it in SQL).


def period_factor(from_period: str, to_period: str) -> Fraction:
    """How many `to_period` amounts one `from_period` amount is worth, exactly (e.g. hour → month: 176)."""
    return Fraction(_days_fraction(to_period)) / Fraction(_days_fraction(from_period))


def _days_fraction(period: str) -> Fraction:
    hours, week, month = settings.WAGE_HOURS_PER_DAY, settings.WAGE_DAYS_PER_WEEK, settings.WAGE_DAYS_PER_MONTH
    days = {
        Period.HOUR: Fraction(1, hours),
        Period.DAY: Fraction(1),
        Period.WEEK: Fraction(week),
        Period.MONTH: Fraction(month),
        Period.YEAR: Fraction(month * 12),
    }
    if period not in days:
        raise ConversionError(f"A {period} figure is not a rate; it cannot be converted to another period.")
    return days[period]


def rate_in(amount: Decimal, from_period: str, to_period: str) -> tuple[str, str]:
    """`amount` per `from_period` expressed per `to_period`, rounded half up to the cent, as a
    decimal string, with the assumptions used in words."""
    factor = period_factor(from_period, to_period)
    cents = int(Decimal(amount) * 100)
    converted = (2 * cents * factor.numerator + factor.denominator) // (2 * factor.denominator)
    words = (
        "no conversion"
        if from_period == to_period
        else "assuming " + " and ".join(_assumptions(from_period, to_period))
    )
    return f"{converted // 100}.{converted % 100:02d}", words
