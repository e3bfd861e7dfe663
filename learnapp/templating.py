"""Template filters shared by every feature: numbers, percentages and dates in the reader's locale.

Outside a request (tests, the CLI) the locale is English.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from copy import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import flask_babel
from babel import Locale
from babel.numbers import format_decimal, format_percent
from flask import Flask
from flask_babel import format_date, format_time, get_locale

from learnapp.content.errors import Problem


def plain_number(value: Decimal | int | float | None) -> str:
    """``100`` for Decimal("100.00"), ``66.67`` for Decimal("66.67"): for attributes, not text."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def number(value: Decimal | int | float | None) -> str:
    """A score or count in the reader's locale: ``66.67`` (en), ``66,67`` (es); "" for None.

    Trailing zeros go (``100`` for Decimal("100.00")) and no digit is rounded away.
    """
    if value is None:
        return ""
    return _number(Decimal(value), _locale())


def percent(value: Decimal | int | float | None, digits: int | None = None) -> str:
    """A percentage given on a 0-100 scale: ``66.67%`` (en), ``66,67 %`` (es); "" for None.

    ``digits`` rounds to that many decimals (charts); by default no digit is rounded away.
    """
    if value is None:
        return ""
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return _percent(amount, digits, _locale())


# Pages write the same few values (0 %, 50 %, 100 %) over and over, and Babel's formatting
# costs more than the rest of a progress bar: each (value, locale) is formatted once.


@functools.lru_cache(maxsize=4096)
def _number(value: Decimal, locale: Locale) -> str:
    return format_decimal(value.normalize(), locale=locale, decimal_quantization=False)


@functools.lru_cache(maxsize=4096)
def _percent(amount: Decimal, digits: int | None, locale: Locale) -> str:
    if digits is not None:
        # The locale's own pattern ("#,##0%", "#,##0 %"...) with exactly ``digits`` decimals.
        pattern = copy(locale.percent_formats[None])
        pattern.frac_prec = (digits, digits)
        return pattern.apply(round(amount, digits) / 100, locale)
    return format_percent((amount / 100).normalize(), locale=locale, decimal_quantization=False)


def decimal(value: Decimal | float | None, digits: int = 1) -> str:
    """A measurement rounded to ``digits`` decimals in the reader's locale (``0.4``, ``0,4``)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=_locale())


def format_day(value: date | datetime | None, width: str = "long") -> str:
    """A date alone: ``December 7, 2026`` / ``7 de diciembre de 2026`` (``width`` short..full)."""
    if value is None:
        return ""
    return format_date(value, width)


def format_moment(value: datetime | None, with_seconds: bool = False) -> str:
    """A date and time in UTC, the zone the site keeps times in: ``Dec 7, 2026, 18:43 UTC``."""
    if value is None:
        return ""
    day = format_date(value, "medium")
    clock = format_time(value, "medium" if with_seconds else "short")
    return f"{day} {clock} UTC"


def format_clock(value: datetime | None, with_seconds: bool = False) -> str:
    """A time of day in UTC (a quiz deadline on the day it is taken, an autosave)."""
    if value is None:
        return ""
    return f"{format_time(value, 'medium' if with_seconds else 'short')} UTC"


def problem_line(entry: Mapping[str, Any]) -> str:
    """A course-file problem as stored (``Course.problems``) as a ``path:line: message`` line
    in the reader's language."""
    return Problem.from_json(entry).localized(flask_babel.gettext)


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(problem_line, "problem_line")
    app.add_template_filter(plain_number, "plain_number")
    app.add_template_filter(number, "number")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(decimal, "decimal")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_clock, "clock")
