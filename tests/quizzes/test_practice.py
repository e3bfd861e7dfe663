"""Leitner scheduling for "Review my mistakes"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learnapp.quizzes import practice
from learnapp.quizzes.practice import PracticeItem

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("box", "correct", "new_box", "days"),
    [
        (None, False, 1, 0),
        (None, True, 2, 1),
        (1, False, 1, 0),
        (1, True, 2, 1),
        (2, True, 3, 3),
        (3, True, 4, 7),
        (4, True, 5, 16),
        (5, True, 5, 16),
        (5, False, 1, 0),
        (3, False, 1, 0),
        (0, True, 2, 1),  # out of range boxes are clamped to 1..5
        (9, True, 5, 16),
    ],
)
def test_schedule(box: int | None, correct: bool, new_box: int, days: int) -> None:
    assert practice.schedule(box, correct, NOW) == (new_box, NOW + timedelta(days=days))


def test_intervals_grow_with_the_box() -> None:
    days = [practice.INTERVAL_DAYS[box] for box in range(1, 6)]
    assert days == [0, 1, 3, 7, 16]


def test_item_climbs_the_boxes_and_falls_back_on_a_mistake() -> None:
    item = PracticeItem("q", *practice.schedule(None, False, NOW))
    assert (item.box, item.due_at) == (1, NOW)
    when = NOW
    for expected in (2, 3, 4, 5, 5):
        item = item.answered(True, when)
        assert item.box == expected
        when = item.due_at
    item = item.answered(False, when)
    assert (item.box, item.due_at) == (1, when)


def test_due_picks_due_items_by_due_date_then_box() -> None:
    items = [
        PracticeItem("later", 1, NOW + timedelta(seconds=1)),
        PracticeItem("box3", 3, NOW - timedelta(days=1)),
        PracticeItem("box1", 1, NOW - timedelta(days=1)),
        PracticeItem("now", 2, NOW),
        PracticeItem("oldest", 4, NOW - timedelta(days=5)),
    ]
    assert [i.question_id for i in practice.due(items, NOW)] == ["oldest", "box1", "box3", "now"]


def test_due_respects_the_limit() -> None:
    items = [PracticeItem(f"q{i}", 1, NOW - timedelta(hours=i)) for i in range(10)]
    assert [i.question_id for i in practice.due(items, NOW, 3)] == ["q9", "q8", "q7"]
    assert practice.due(items, NOW, 0) == []


def test_due_with_nothing_due_is_empty() -> None:
    assert practice.due([PracticeItem("q", 2, NOW + timedelta(days=1))], NOW) == []


def test_due_accepts_any_object_with_box_and_due_at() -> None:
    class Row:
        def __init__(self, box: int, due_at: datetime) -> None:
            self.box, self.due_at = box, due_at

    rows = [Row(2, NOW), Row(1, NOW)]
    assert practice.due(rows, NOW) == [rows[1], rows[0]]
