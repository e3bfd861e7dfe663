"""Hypothesis strategies: generated course snapshots and one student's history in them.

Courses have 1-4 modules of 0-4 lessons and 0-2 quizzes, prerequisites drawn from every id of
the course plus ids it no longer has, completion rules of every shape and every grading method.
Histories hold completions, graded and ungraded submissions, manual scores (also for ids the
course no longer has) and every enrollment state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType

from hypothesis import strategies as st

from learnapp.catalog.snapshots import (
    CompletionRules,
    CourseSnapshot,
    LessonSnapshot,
    ModuleSnapshot,
    QuizSnapshot,
)
from learnapp.progress.compute import Graded, ManualScore, StudentRows
from learnapp.quizzes.rules import GRADING_METHODS

#: Ids a course file may still name after the item went away (ignored by progress).
GONE = ("gone-lesson", "gone-quiz")
#: Row ids of retired items a student may still have rows for.
RETIRED_IDS = (900, 901)

percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@st.composite
def courses(draw: st.DrawFn) -> CourseSnapshot:
    shape = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=4))
    lesson_slugs = [f"l{m}-{n}" for m, (lessons, _) in enumerate(shape) for n in range(lessons)]
    quiz_slugs = [f"q{m}-{n}" for m, (_, quizzes) in enumerate(shape) for n in range(quizzes)]
    module_slugs = [f"m{m}" for m in range(len(shape))]
    every = lesson_slugs + quiz_slugs + module_slugs + list(GONE)
    prerequisites = st.lists(st.sampled_from(every), max_size=3, unique=True).map(tuple)
    next_id = iter(range(1, 10_000))
    modules = []
    for m, (lesson_count, quiz_count) in enumerate(shape):
        module_id = next(next_id)
        lessons = tuple(
            LessonSnapshot(
                id=next(next_id),
                slug=f"l{m}-{n}",
                title=f"Lesson {m}.{n}",
                minutes=5,
                module_id=module_id,
                prerequisites=draw(prerequisites),
                objectives=(),
                toc=(),
            )
            for n in range(lesson_count)
        )
        quizzes = tuple(
            QuizSnapshot(
                id=next(next_id),
                slug=f"q{m}-{n}",
                title=f"Quiz {m}.{n}",
                module_id=module_id,
                question_count=3,
                max_points=draw(st.integers(0, 10)),
                grading=draw(st.sampled_from(GRADING_METHODS)),
            )
            for n in range(quiz_count)
        )
        modules.append(
            ModuleSnapshot(
                id=module_id,
                slug=f"m{m}",
                title=f"Module {m}",
                summary="",
                prerequisites=draw(prerequisites),
                lessons=lessons,
                quizzes=quizzes,
            )
        )
    passing = draw(
        st.dictionaries(st.sampled_from([*quiz_slugs, "gone-quiz"]), st.integers(0, 100))
    )
    completion = CompletionRules(
        lessons=tuple(draw(st.lists(st.sampled_from([*lesson_slugs, "gone-lesson"]), unique=True))),
        all_lessons=draw(st.booleans()),
        quizzes=MappingProxyType(passing),
    )
    return make_course(tuple(modules), completion)


def make_course(
    modules: tuple[ModuleSnapshot, ...], completion: CompletionRules | None = None
) -> CourseSnapshot:
    return CourseSnapshot(
        id=1,
        slug="generated",
        title="Generated course",
        summary="",
        version_label="1",
        level="beginner",
        estimated_hours=Decimal(1),
        is_published=True,
        certificate_enabled=True,
        authors=(),
        reviewed_by="",
        last_reviewed=None,
        language=None,
        instructor_emails=frozenset(),
        completion=completion or CompletionRules(),
        landing_html="",
        content_hash="generated",
        lesson_count=sum(len(module.lessons) for module in modules),
        total_minutes=0,
        synced_at=datetime(2026, 1, 1, tzinfo=UTC),
        modules=modules,
    )


@st.composite
def histories(draw: st.DrawFn, course: CourseSnapshot) -> StudentRows:
    lesson_ids = [lesson.id for lesson in course.lessons] + list(RETIRED_IDS)
    quiz_ids = [quiz.id for quiz in course.quizzes] + list(RETIRED_IDS)
    completed = draw(st.lists(st.sampled_from(lesson_ids), unique=True))
    graded = draw(
        st.dictionaries(
            st.sampled_from(quiz_ids),
            st.lists(percents, min_size=1, max_size=4).map(
                lambda scores: tuple(Graded(n, p) for n, p in enumerate(scores, start=1))
            ),
        )
    )
    ungraded = draw(st.lists(st.sampled_from(quiz_ids), unique=True))
    manual = draw(st.dictionaries(st.sampled_from(quiz_ids), percents.map(ManualScore)))
    return StudentRows(
        enrolled=draw(st.sampled_from([None, True, False])),
        completed=dict.fromkeys(completed),
        attempts=graded,
        submitted=frozenset(graded) | frozenset(ungraded),
        overrides=manual,
    )


@st.composite
def courses_and_histories(draw: st.DrawFn) -> tuple[CourseSnapshot, StudentRows]:
    course = draw(courses())
    return course, draw(histories(course))
