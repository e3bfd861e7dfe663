"""Chart geometry for server-side SVG: pure, no Flask.

Each function returns a :class:`Chart` (coordinates in the SVG's own units, texts as plain
strings); ``analysis/_charts.html`` draws it with presentation attributes and CSS classes only,
so the strict CSP (no inline styles or scripts) holds and no charting library is shipped. The
SVG has ``role="img"`` with a title and a description, and every chart sits next to a table of
the same figures: the text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from learnapp.analysis.stats import EASY_ABOVE, HARD_BELOW, Bin, QuestionStats
from learnapp.translation import _

WIDTH = 640
LABEL_WIDTH = 250
VALUE_WIDTH = 70
ROW = 30
BAR = 18
TOP = 12
AXIS = 34
LABEL_CHARS = 32


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    #: CSS class besides ``chart-bar``: ``chart-bar-flagged``, ``chart-bar-correct``...
    kind: str
    label: str
    label_x: float
    label_y: float
    value: str
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Tick:
    """A grid line with its axis label."""

    x1: float
    y1: float
    x2: float
    y2: float
    text: str
    text_x: float
    text_y: float
    anchor: str


@dataclass(frozen=True)
class Marker:
    """A dashed reference line (e.g. the "very hard" threshold) with a short label."""

    x: float
    y1: float
    y2: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...] = ()
    #: "horizontal" (labels left of the bars) or "vertical" (labels under them).
    orientation: str = "horizontal"


def short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def percent_text(value: float | None) -> str:
    return _("n/a") if value is None else f"{value:.0f}%"


def _horizontal(
    title: str,
    description: str,
    rows: Sequence[tuple[str, float | None, str, str]],
    markers: Sequence[tuple[float, str]] = (),
) -> Chart:
    """Bars from 0 to 100 (%), one row per ``(label, value, value text, kind)``."""
    plot_x, plot_w = LABEL_WIDTH, WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW * max(len(rows), 1) + AXIS
    axis_y = height - AXIS + 4
    bars = []
    for index, (label, value, text, kind) in enumerate(rows):
        top = TOP + index * ROW
        width = plot_w * max(0.0, min(100.0, value or 0.0)) / 100
        bars.append(
            Bar(
                x=plot_x,
                y=top + (ROW - BAR) / 2,
                width=round(width, 2),
                height=BAR,
                kind=kind,
                label=short(label),
                label_x=plot_x - 8,
                label_y=top + ROW / 2 + 4,
                value=text,
                value_x=round(plot_x + width + 6, 2),
                value_y=top + ROW / 2 + 4,
            )
        )
    ticks = tuple(
        Tick(
            x1=plot_x + plot_w * p / 100,
            y1=TOP,
            x2=plot_x + plot_w * p / 100,
            y2=axis_y,
            text=f"{p}%",
            text_x=plot_x + plot_w * p / 100,
            text_y=axis_y + 16,
            anchor="middle",
        )
        for p in (0, 25, 50, 75, 100)
    )
    return Chart(
        title=title,
        description=description,
        width=WIDTH,
        height=height,
        bars=tuple(bars),
        ticks=ticks,
        markers=tuple(
            Marker(x=plot_x + plot_w * at / 100, y1=TOP - 4, y2=axis_y, text=text)
            for at, text in markers
        ),
    )


def facility_chart(questions: Sequence[QuestionStats]) -> Chart:
    """Facility index per question, flagged questions in their own colour."""
    rows = [
        (
            _("Q%(number)s.", number=q.question.number) + " " + q.question.label,
            q.facility,
            percent_text(q.facility),
            "chart-bar-flagged" if q.flags else "",
        )
        for q in questions
    ]
    described = "; ".join(
        _(
            "question %(number)s: %(facility)s",
            number=q.question.number,
            facility=percent_text(q.facility),
        )
        for q in questions
    )
    return _horizontal(
        _("Facility index per question"),
        _(
            "Mean score as a percentage of the maximum, per question (%(figures)s)."
            " Dashed lines mark %(hard)s and %(easy)s; questions outside them are flagged.",
            figures=described or _("no questions"),
            hard=f"{HARD_BELOW}%",
            easy=f"{EASY_ABOVE}%",
        ),
        rows,
        markers=[(HARD_BELOW, f"{HARD_BELOW}%"), (EASY_ABOVE, f"{EASY_ABOVE}%")],
    )


def choice_chart(stats: QuestionStats) -> Chart:
    """How often each choice of a question was picked, correct choices in their own colour."""
    rows = [
        (
            ("✓ " if c.choice.is_correct else "") + c.choice.label,
            c.percent,
            f"{c.count} ({c.percent:.0f}%)",
            "chart-bar-correct" if c.choice.is_correct else "",
        )
        for c in stats.choices
    ]
    if stats.attempts:
        no_answer = 100 * stats.no_answer / stats.attempts
        rows.append(
            (_("No answer"), no_answer, f"{stats.no_answer} ({no_answer:.0f}%)", "chart-bar-muted")
        )
    described = "; ".join(
        (
            _("%(choice)s (correct): %(count)d", choice=c.choice.label, count=c.count)
            if c.choice.is_correct
            else f"{c.choice.label}: {c.count}"
        )
        for c in stats.choices
    )
    return _horizontal(
        _("Choices picked in question %(number)s", number=stats.question.number),
        _(
            "Of %(attempts)d attempts: %(figures)s; no answer: %(none)d.",
            attempts=stats.attempts,
            figures=described,
            none=stats.no_answer,
        ),
        rows,
    )


def histogram_chart(bins: Sequence[Bin], attempts: int) -> Chart:
    """Vertical bars: how many attempts scored in each band of percentages."""
    left, right, bottom = 44, 12, 40
    height = 260
    plot_w, plot_h = WIDTH - left - right, height - TOP - bottom
    top_count = max([b.count for b in bins] + [1])
    step = max(1, math.ceil(top_count / 4))
    scale_max = step * math.ceil(top_count / step)
    slot = plot_w / max(len(bins), 1)
    bars = []
    for index, item in enumerate(bins):
        h = plot_h * item.count / scale_max
        x = left + index * slot
        y = TOP + plot_h - h
        bars.append(
            Bar(
                x=round(x + slot * 0.1, 2),
                y=round(y, 2),
                width=round(slot * 0.8, 2),
                height=round(h, 2),
                kind="",
                label=item.label,
                label_x=round(x + slot / 2, 2),
                label_y=TOP + plot_h + 18,
                value=str(item.count),
                value_x=round(x + slot / 2, 2),
                value_y=round(y - 4, 2),
            )
        )
    ticks = tuple(
        Tick(
            x1=left,
            y1=round(TOP + plot_h - plot_h * value / scale_max, 2),
            x2=WIDTH - right,
            y2=round(TOP + plot_h - plot_h * value / scale_max, 2),
            text=str(value),
            text_x=left - 6,
            text_y=round(TOP + plot_h - plot_h * value / scale_max + 4, 2),
            anchor="end",
        )
        for value in range(0, scale_max + 1, step)
    )
    described = "; ".join(f"{b.label}: {b.count}" for b in bins)
    return Chart(
        title=_("Score distribution"),
        description=_(
            "Number of attempts per score band, %(attempts)d attempts in all: %(figures)s.",
            attempts=attempts,
            figures=described,
        ),
        width=WIDTH,
        height=height,
        bars=tuple(bars),
        ticks=ticks,
        orientation="vertical",
    )
