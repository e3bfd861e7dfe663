"""Chart geometry: bars proportional to the figures, labels and text alternatives present."""

from __future__ import annotations

import pytest

from learnapp.analysis import charts, stats
from learnapp.analysis.stats import Bin, ChoiceCount, ChoiceInfo, QuestionInfo, QuestionStats


def question(number, facility, flags=(), choices=(), attempts=10, no_answer=0):
    info = QuestionInfo(number, f"q{number}", "single", number, f"Question text {number}")
    return QuestionStats(
        info,
        attempts,
        attempts - no_answer,
        facility,
        None,
        None,
        None,
        None,
        choices,
        no_answer,
        1,
        flags,
    )


def test_histogram_bars_are_proportional_to_counts():
    bins = [Bin(0, 50, 2), Bin(50, 100, 4)]
    chart = charts.histogram_chart(bins, 6)
    low, high = chart.bars
    assert high.height == pytest.approx(2 * low.height)
    assert high.y + high.height == pytest.approx(low.y + low.height)  # same baseline
    assert [b.label for b in chart.bars] == ["0\u201350%", "50\u2013100%"]
    assert [b.value for b in chart.bars] == ["2", "4"]
    assert "0\u201350%: 2; 50\u2013100%: 4" in chart.description
    assert chart.orientation == "vertical"


def test_empty_histogram_has_flat_bars_and_an_axis():
    chart = charts.histogram_chart(stats.histogram([]), 0)
    assert all(b.height == 0 for b in chart.bars)
    assert next(t.text for t in chart.ticks) == "0"


def test_facility_bars_scale_to_100_percent_and_mark_flagged_questions():
    chart = charts.facility_chart(
        [question(1, 100.0), question(2, 50.0, flags=("Very hard",)), question(3, None)]
    )
    full, half, none = chart.bars
    assert half.width == pytest.approx(full.width / 2)
    assert none.width == 0
    assert none.value == "n/a"
    assert half.kind == "chart-bar-flagged"
    assert full.kind == ""
    assert [m.text for m in chart.markers] == ["10%", "95%"]
    assert "question 2: 50%" in chart.description


def test_choice_chart_marks_the_correct_choice_and_counts_no_answers():
    choices = (
        ChoiceCount(ChoiceInfo("a", "Right", True), 6, 60.0),
        ChoiceCount(ChoiceInfo("b", "Wrong", False), 3, 30.0),
    )
    chart = charts.choice_chart(question(1, 60.0, choices=choices, no_answer=1))
    assert [b.label for b in chart.bars] == ["✓ Right", "Wrong", "No answer"]
    assert [b.value for b in chart.bars] == ["6 (60%)", "3 (30%)", "1 (10%)"]
    assert chart.bars[0].kind == "chart-bar-correct"
    assert "Right (correct): 6" in chart.description


def test_long_labels_are_shortened():
    chart = charts.facility_chart([question(1, 10.0)])
    assert chart.bars[0].label == "Q1. Question text 1"
    assert charts.short("x" * 50).endswith("…")
    assert len(charts.short("x" * 50)) == charts.LABEL_CHARS
