"""Leitner scheduling for "Review my mistakes": spaced practice of questions answered wrongly.

Each practice item sits in one of five boxes; the box sets how long until it is due again:

===  =================  ==========================================
box  due again after    reached by
===  =================  ==========================================
1    0 days (now)       any wrong answer, from any box
2    1 day              a right answer in box 1
3    3 days             a right answer in box 2
4    7 days             a right answer in box 3
5    16 days            a right answer in box 4 or 5 (5 stays 5)
===  =================  ==========================================

A question enters practice when a quiz answer is wrong: ``schedule(None, False, now)`` puts it
in box 1, due at once. An item that is not yet in a box (``None``) counts as box 1, so a right
answer moves it to box 2. Practice never counts towards completion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

FIRST_BOX = 1
LAST_BOX = 5
#: Days until an item in each box is due again.
INTERVAL_DAYS: dict[int, int] = {1: 0, 2: 1, 3: 3, 4: 7, 5: 16}


def interval(box: int) -> timedelta:
    """How long an item just placed in ``box`` waits (boxes outside 1..5 are clamped)."""
    return timedelta(days=INTERVAL_DAYS[_clamp(box)])


def schedule(box: int | None, correct: bool, now: datetime) -> tuple[int, datetime]:
    """The item's next ``(box, due_at)`` after an answer given at ``now``.

    Wrong: box 1, due ``now``. Right: the next box (box 5 stays 5), due ``now`` plus that box's
    interval.
    """
    if not correct:
        return FIRST_BOX, now + interval(FIRST_BOX)
    current = FIRST_BOX if box is None else _clamp(box)
    nxt = min(current + 1, LAST_BOX)
    return nxt, now + interval(nxt)


@dataclass(frozen=True)
class PracticeItem:
    """One question in a student's practice set."""

    question_id: str
    box: int
    due_at: datetime

    def answered(self, correct: bool, now: datetime) -> PracticeItem:
        """This item after an answer at ``now``."""
        box, due_at = schedule(self.box, correct, now)
        return PracticeItem(self.question_id, box, due_at)


class Scheduled(Protocol):
    """Anything with a box and a due date: :class:`PracticeItem`, or a database row."""

    @property
    def box(self) -> int: ...

    @property
    def due_at(self) -> datetime: ...


ItemT = TypeVar("ItemT", bound=Scheduled)


def due(items: Iterable[ItemT], now: datetime, limit: int | None = None) -> list[ItemT]:
    """Items due at ``now`` (``due_at <= now``), most overdue first, then lowest box.

    Ties keep the input order. ``limit`` caps how many are returned (``None``: all).
    """
    ready = sorted(
        (item for item in items if item.due_at <= now),
        key=lambda item: (item.due_at, item.box),
    )
    return ready if limit is None else ready[: max(limit, 0)]


def _clamp(box: int) -> int:
    return min(max(box, FIRST_BOX), LAST_BOX)
