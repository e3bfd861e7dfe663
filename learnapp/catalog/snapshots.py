"""Immutable snapshots of courses as students see them: one per course version.

A course changes only when ``flask courses sync`` loads new files, and then its
``content_hash`` changes. Everything the student pages need about its structure (modules,
lessons, quizzes, their order, prerequisites and completion rules) is therefore the same for
every request and every student until the hash changes: it is built once per process into these
frozen dataclasses and tuples and shared (``catalog.snapshot_cache``), instead of being
reloaded as ORM objects per request.

Only what a sync writes is here. What changes without a new hash (a course retired because
its folder went away, a course file's problems, admin-assigned instructors) is read per
request, and so is the lesson HTML: a process never holds every lesson of a large catalogue.

Pure: no Flask, no database (``progress.compute`` works on these).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class CompletionRules:
    """The course file's ``completion:``: which lessons and quizzes complete the course."""

    #: Lesson ids required when ``all_lessons`` is false.
    lessons: tuple[str, ...] = ()
    all_lessons: bool = True
    #: Quiz id -> passing percent of the quizzes that count.
    quizzes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> CompletionRules:
        stored = stored or {}
        return cls(
            lessons=tuple(stored.get("lessons") or ()),
            all_lessons=bool(stored.get("all_lessons", True)),
            quizzes=MappingProxyType(dict(stored.get("quizzes") or {})),
        )


@dataclass(frozen=True, slots=True)
class LessonSnapshot:
    id: int
    slug: str
    title: str
    minutes: int
    module_id: int
    prerequisites: tuple[str, ...]
    objectives: tuple[str, ...]
    #: ``(level, anchor, text)`` of the lesson's h2/h3 headings.
    toc: tuple[tuple[int, str, str], ...]


@dataclass(frozen=True, slots=True)
class QuizSnapshot:
    id: int
    slug: str
    title: str
    module_id: int
    question_count: int
    max_points: int
    #: How attempts combine into the score that counts (``highest``, ``latest``, ``first``).
    grading: str


@dataclass(frozen=True, slots=True)
class ModuleSnapshot:
    id: int
    slug: str
    title: str
    summary: str
    prerequisites: tuple[str, ...]
    lessons: tuple[LessonSnapshot, ...]
    quizzes: tuple[QuizSnapshot, ...]


@dataclass(frozen=True, slots=True)
class CourseSnapshot:
    """One published version of a course: its current (not retired) items, in order."""

    id: int
    slug: str
    title: str
    summary: str
    version_label: str
    level: str
    estimated_hours: Decimal
    is_published: bool
    certificate_enabled: bool
    authors: tuple[str, ...]
    reviewed_by: str
    last_reviewed: date | None
    #: The course file's ``language:`` (BCP 47): the ``lang`` of its content on pages.
    language: str | None
    #: Lower-cased e-mails of the instructors the course file names.
    instructor_emails: frozenset[str]
    completion: CompletionRules
    landing_html: str
    content_hash: str
    lesson_count: int
    total_minutes: int
    synced_at: datetime
    modules: tuple[ModuleSnapshot, ...]
    _lessons: Mapping[str, LessonSnapshot] = field(init=False, repr=False, compare=False)
    _quizzes: Mapping[str, QuizSnapshot] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Indexes by id from the course file, in course order (frozen: set once, here).
        lessons = {lesson.slug: lesson for module in self.modules for lesson in module.lessons}
        quizzes = {quiz.slug: quiz for module in self.modules for quiz in module.quizzes}
        object.__setattr__(self, "_lessons", MappingProxyType(lessons))
        object.__setattr__(self, "_quizzes", MappingProxyType(quizzes))

    @property
    def lessons(self) -> tuple[LessonSnapshot, ...]:
        """Every current lesson in course order."""
        return tuple(self._lessons.values())

    @property
    def quizzes(self) -> tuple[QuizSnapshot, ...]:
        return tuple(self._quizzes.values())

    def lesson(self, lesson_slug: str) -> LessonSnapshot | None:
        return self._lessons.get(lesson_slug)

    def quiz(self, quiz_slug: str) -> QuizSnapshot | None:
        return self._quizzes.get(quiz_slug)

    def module(self, module_id: int) -> ModuleSnapshot | None:
        return next((module for module in self.modules if module.id == module_id), None)

    @property
    def first_lesson(self) -> LessonSnapshot | None:
        return next(iter(self._lessons.values()), None)

    def neighbours(
        self, lesson: LessonSnapshot
    ) -> tuple[LessonSnapshot | None, LessonSnapshot | None]:
        """The lessons before and after ``lesson`` across module boundaries."""
        ordered = list(self._lessons.values())
        index = next((i for i, item in enumerate(ordered) if item.id == lesson.id), None)
        if index is None:
            return None, None
        before = ordered[index - 1] if index > 0 else None
        after = ordered[index + 1] if index + 1 < len(ordered) else None
        return before, after
