"""A student's progress in a course, computed from the course snapshot and their rows.

Pure: no Flask, no database. The caller passes the course version (a
:class:`~learnapp.catalog.snapshots.CourseSnapshot`), one student's rows in that course
(:class:`StudentRows`, loaded by ``progress.services.load_rows``) and whether the student is
staff of the course, so every page, the gradebook, certificates and the data download compute
the same figures the same way, and the rules are property-tested on generated courses.

Progress is never stored. It follows the course's *current* items and ``completion`` rules:
rows for retired items are ignored, and count again if the item comes back.

Locks follow the course's prerequisites for students enrolled in the course (a visitor who has
not enrolled browses freely, and completing a lesson enrols). Staff (instructors of the course
and admins) are never locked.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from learnapp.catalog.snapshots import (
    CourseSnapshot,
    LessonSnapshot,
    ModuleSnapshot,
    QuizSnapshot,
)
from learnapp.quizzes import rules
from learnapp.translation import _, percent


class Graded(NamedTuple):
    """A submitted attempt with a score."""

    number: int
    percent: Decimal
    submitted_at: datetime | None = None


class ManualScore(NamedTuple):
    """A score an instructor set by hand; it replaces the attempts' score."""

    percent: Decimal
    set_at: datetime | None = None


@dataclass(frozen=True)
class StudentRows:
    """One student's rows in one course."""

    #: None: never enrolled; True: enrolled now; False: unenrolled.
    enrolled: bool | None = None
    #: Lesson id -> when the student completed it.
    completed: Mapping[int, datetime | None] = field(default_factory=dict)
    #: Quiz id -> the graded attempts.
    attempts: Mapping[int, Sequence[Graded]] = field(default_factory=dict)
    #: Quiz ids with a submitted attempt (graded or waiting for manual grading).
    submitted: frozenset[int] = frozenset()
    #: Quiz ids with a submitted attempt awaiting grading by a person (no percent yet: it is
    #: not in ``attempts`` until its last essay is graded).
    awaiting: frozenset[int] = frozenset()
    #: Quiz id -> the score an instructor set by hand.
    overrides: Mapping[int, ManualScore] = field(default_factory=dict)


NO_ROWS = StudentRows()


@dataclass
class Item:
    """A lesson or quiz of the current course version, with this student's state."""

    kind: str  # "lesson" or "quiz"
    row: LessonSnapshot | QuizSnapshot
    module: ModuleSnapshot
    is_required: bool
    is_done: bool
    #: Quizzes: the pass mark from ``completion.quizzes``; None for practice quizzes.
    passing: int | None = None
    #: Quizzes: the score that counts (per the quiz's grading method, or set by an
    #: instructor), if any.
    best: Decimal | None = None
    #: Quizzes: ``best`` is a score an instructor set by hand.
    is_overridden: bool = False
    #: What is still needed to open it ("complete “Introduction”"), own and module's.
    blockers: list[str] = field(default_factory=list)
    #: The blockers apply to this student now.
    locked: bool = False

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def slug(self) -> str:
        return self.row.slug

    @property
    def title(self) -> str:
        return self.row.title

    @property
    def lock_message(self) -> str | None:
        return unlock_message(self.blockers)


@dataclass
class ModuleProgress:
    module: ModuleSnapshot
    items: list[Item]
    blockers: list[str]
    locked: bool
    done: int
    total: int

    @property
    def percent(self) -> int:
        return _percent(self.done, self.total)

    @property
    def lock_message(self) -> str | None:
        return unlock_message(self.blockers)


@dataclass
class CourseProgress:
    course: CourseSnapshot
    modules: list[ModuleProgress]
    #: Actively enrolled (not unenrolled).
    is_enrolled: bool
    #: Enrolled at some time (so there may be history to show).
    was_enrolled: bool
    #: Instructor of the course or admin: nothing is locked.
    is_staff: bool
    done: int
    total: int
    #: Required items not done yet, in course order.
    missing: list[Item]
    #: The next unfinished, unlocked lesson or required quiz ("Continue"); None when done.
    next_item: Item | None

    @property
    def percent(self) -> int:
        return _percent(self.done, self.total)

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def has_started(self) -> bool:
        return any(item.is_done for module in self.modules for item in module.items)

    def lesson(self, lesson_id: int) -> Item | None:
        return self._find("lesson", lesson_id)

    def quiz(self, quiz_id: int) -> Item | None:
        return self._find("quiz", quiz_id)

    def _find(self, kind: str, row_id: int) -> Item | None:
        return self._items.get((kind, row_id))

    @cached_property
    def _items(self) -> dict[tuple[str, int], Item]:
        return {(item.kind, item.id): item for module in self.modules for item in module.items}

    def outline_state(self) -> tuple[Hashable, ...]:
        """What of this progress the course outline shows: enrolment, each module's share and
        blockers, each item's done, locked and pass mark (the key of a shared rendering)."""
        return (
            self.is_enrolled,
            tuple(
                (
                    module.done,
                    module.total,
                    module.locked,
                    tuple(module.blockers),
                    tuple((item.is_done, item.locked, item.passing) for item in module.items),
                )
                for module in self.modules
            ),
        )


def _percent(done: int, total: int) -> int:
    return 100 if total == 0 else done * 100 // total


def unlock_message(blockers: Sequence[str]) -> str | None:
    """``To unlock this, complete “A” and pass “B” with at least 70%.``"""
    if not blockers:
        return None
    if len(blockers) == 1:
        return _("To unlock this, %(needed)s.", needed=blockers[0])
    return _(
        "To unlock this, %(needed)s and %(last)s.",
        needed=", ".join(blockers[:-1]),
        last=blockers[-1],
    )


def best_score(quiz: QuizSnapshot, rows: StudentRows) -> Decimal | None:
    """The score that counts: the instructor's, else the attempts' per the grading method."""
    manual = rows.overrides.get(quiz.id)
    if manual is not None:
        return manual.percent
    graded = [(attempt.number, attempt.percent) for attempt in rows.attempts.get(quiz.id, ())]
    return rules.combine(graded, quiz.grading)


def compute(
    course: CourseSnapshot,
    rows: StudentRows,
    *,
    is_staff: bool,
    assume_enrolled: bool = False,
) -> CourseProgress:
    """The student's progress in ``course``.

    ``is_staff``: instructor of the course or admin (never locked); ``assume_enrolled``: apply
    the locks as for an enrolled student (completing a lesson enrols).
    """
    passing = course.completion.quizzes
    all_lessons = course.completion.all_lessons
    required_lessons = set(course.completion.lessons)
    is_enrolled = bool(rows.enrolled)
    locks_apply = (is_enrolled or assume_enrolled) and not is_staff
    by_slug = {module.slug: module for module in course.modules}
    best = {quiz.id: best_score(quiz, rows) for quiz in course.quizzes}

    def quiz_passed(quiz: QuizSnapshot) -> bool:
        mark = passing.get(quiz.slug)
        if mark is None:  # a practice quiz counts as done once submitted (or scored by hand)
            return quiz.id in rows.submitted or quiz.id in rows.overrides
        score = best[quiz.id]
        return score is not None and score >= mark

    def blockers_of(prerequisites: Iterable[str]) -> list[str]:
        needed = []
        for slug in prerequisites:
            if (lesson := course.lesson(slug)) is not None:
                if lesson.id not in rows.completed:
                    needed.append(_("complete “%(title)s”", title=lesson.title))
            elif (quiz := course.quiz(slug)) is not None:
                if not quiz_passed(quiz):
                    mark = passing.get(quiz.slug)
                    needed.append(
                        _(
                            "pass “%(title)s” with at least %(score)s",
                            title=quiz.title,
                            score=percent(mark),
                        )
                        if mark is not None
                        else _("submit “%(title)s”", title=quiz.title)
                    )
            elif (module := by_slug.get(slug)) is not None and any(
                lesson.id not in rows.completed for lesson in module.lessons
            ):
                needed.append(_("complete the lessons of “%(title)s”", title=module.title))
            # Unknown or retired ids are ignored: the course no longer asks for them.
        return needed

    module_states: list[ModuleProgress] = []
    missing: list[Item] = []
    done = total = 0
    for module in course.modules:
        module_blockers = blockers_of(module.prerequisites)
        items: list[Item] = []
        for lesson in module.lessons:
            blockers = blockers_of(lesson.prerequisites) + module_blockers
            items.append(
                Item(
                    kind="lesson",
                    row=lesson,
                    module=module,
                    is_required=all_lessons or lesson.slug in required_lessons,
                    is_done=lesson.id in rows.completed,
                    blockers=blockers,
                    locked=locks_apply and bool(blockers),
                )
            )
        for quiz in module.quizzes:
            items.append(
                Item(
                    kind="quiz",
                    row=quiz,
                    module=module,
                    is_required=quiz.slug in passing,
                    is_done=quiz_passed(quiz),
                    passing=passing.get(quiz.slug),
                    best=best[quiz.id],
                    is_overridden=quiz.id in rows.overrides,
                    blockers=list(module_blockers),
                    locked=locks_apply and bool(module_blockers),
                )
            )
        required = [item for item in items if item.is_required]
        counted = required or [item for item in items if item.kind == "lesson"]
        module_states.append(
            ModuleProgress(
                module=module,
                items=items,
                blockers=module_blockers,
                locked=locks_apply and bool(module_blockers),
                done=sum(1 for item in counted if item.is_done),
                total=len(counted),
            )
        )
        total += len(required)
        done += sum(1 for item in required if item.is_done)
        missing += [item for item in required if not item.is_done]

    next_item = next(
        (
            item
            for state in module_states
            for item in state.items
            if (item.kind == "lesson" or item.is_required)
            and not item.is_done
            and (is_staff or not item.blockers)
        ),
        None,
    )
    return CourseProgress(
        course=course,
        modules=module_states,
        is_enrolled=is_enrolled,
        was_enrolled=rows.enrolled is not None,
        is_staff=is_staff,
        done=done,
        total=total,
        missing=missing,
        next_item=next_item,
    )
