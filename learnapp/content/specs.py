"""Frozen, Flask-free descriptions of a loaded course, ready for the sync layer to upsert."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from learnapp.content.blueprint import ShareRule
from learnapp.content.render import TocEntry

if TYPE_CHECKING:
    from learnapp.quizzes.questions.base import QuestionSpec


@dataclass(frozen=True)
class LessonSpec:
    id: str
    title: str
    minutes: int
    html: str
    toc: tuple[TocEntry, ...]
    #: Plain text of the lesson, for full-text search.
    text: str
    #: sha256 of the lesson file (normalised newlines): changes only when the file changes.
    content_hash: str
    #: sha256 of everything the HTML depends on (file, resolved link targets, renderer
    #: version): the key under which rendered HTML may be reused.
    render_key: str
    #: Path of the lesson file relative to the course folder (POSIX separators).
    path: str
    module_id: str
    prerequisites: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    #: ``assessed: false`` says no question needs to test the lesson (a glossary, references).
    assessed: bool = True
    #: File line of the lesson's ``id`` key, for quality warnings.
    line: int = 1


@dataclass(frozen=True)
class QuizSettings:
    """Quiz front matter with the sketch's defaults; ``None`` means unlimited/untimed/unset."""

    attempts: int | None = None
    time_limit: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    per_page: int = 0
    shuffle_questions: bool = False
    shuffle_choices: bool = False
    #: Draw N questions at random, or N per tag (``{"history": 3}``).
    draw: int | dict[str, int] | None = None
    grading: str = "highest"
    review: str = "after_submit"

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "time_limit": self.time_limit,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "per_page": self.per_page,
            "shuffle_questions": self.shuffle_questions,
            "shuffle_choices": self.shuffle_choices,
            "draw": dict(self.draw) if isinstance(self.draw, dict) else self.draw,
            "grading": self.grading,
            "review": self.review,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any] | None) -> QuizSettings:
        """The settings stored by :meth:`to_dict` (a missing key takes its default here, the
        one place defaults are stated)."""
        stored = stored or {}
        defaults = cls()
        draw = stored.get("draw")
        return cls(
            attempts=stored.get("attempts"),
            time_limit=stored.get("time_limit"),
            opens_at=_instant(stored.get("opens_at")),
            closes_at=_instant(stored.get("closes_at")),
            per_page=int(stored.get("per_page") or 0),
            shuffle_questions=bool(stored.get("shuffle_questions", defaults.shuffle_questions)),
            shuffle_choices=bool(stored.get("shuffle_choices", defaults.shuffle_choices)),
            draw=dict(draw) if isinstance(draw, Mapping) else draw,
            grading=stored.get("grading") or defaults.grading,
            review=stored.get("review") or defaults.review,
        )


def _instant(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class QuizSpec:
    id: str
    title: str
    settings: QuizSettings
    #: Markdown outside the question fences, rendered as the quiz introduction.
    intro_html: str
    questions: tuple[QuestionSpec, ...]
    #: sha256 of the quiz file (normalised newlines).
    content_hash: str
    path: str
    module_id: str
    #: ``blueprint``: the share of the points each tag must have in every attempt.
    blueprint: tuple[ShareRule, ...] = ()
    #: File line of the quiz's ``id`` key, for quality warnings.
    line: int = 1

    @property
    def max_points(self) -> int:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class ModuleSpec:
    id: str
    title: str
    summary: str
    intro_html: str
    lessons: tuple[LessonSpec, ...]
    quizzes: tuple[QuizSpec, ...]
    #: Folder name relative to the course folder.
    path: str
    prerequisites: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompletionRules:
    """What completes a course: these lessons, and these quizzes passed at a percentage."""

    lessons: tuple[str, ...]
    quizzes: dict[str, int] = field(default_factory=dict)
    #: True when course.md said ``lessons: all`` (or nothing).
    all_lessons: bool = True


@dataclass(frozen=True)
class CourseSpec:
    id: str
    title: str
    summary: str
    version: str
    status: str  # "published" | "draft"
    level: str  # "beginner" | "intermediate" | "advanced"
    estimated_hours: Decimal
    instructors: tuple[str, ...]
    authors: tuple[str, ...]
    certificate: bool
    completion: CompletionRules
    landing_html: str
    modules: tuple[ModuleSpec, ...]
    #: sha256 over every file in the course folder: changes whenever anything changes.
    content_hash: str
    #: The course folder as given to ``load_course``.
    path: str
    #: File line of each entry of ``instructors`` in course.md (for check_instructors).
    instructors_lines: tuple[int, ...] = ()
    #: File line of the ``instructors`` key (or 1 when absent).
    instructors_line: int = 1
    #: Who checked the content (a name with credentials, or a plain "not reviewed by …").
    reviewed_by: str = ""
    #: When the content was last reviewed.
    last_reviewed: date | None = None
    #: The language the content is written in (BCP 47, ``en``); None when the file is silent.
    language: str | None = None

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def course_file(self) -> str:
        import os

        return os.path.join(self.path, "course.md")

    def lessons(self) -> Iterator[LessonSpec]:
        for module in self.modules:
            yield from module.lessons

    def quizzes(self) -> Iterator[QuizSpec]:
        for module in self.modules:
            yield from module.quizzes

    def lesson(self, lesson_id: str) -> LessonSpec | None:
        return next((lesson for lesson in self.lessons() if lesson.id == lesson_id), None)

    def quiz(self, quiz_id: str) -> QuizSpec | None:
        return next((quiz for quiz in self.quizzes() if quiz.id == quiz_id), None)
