"""Enrollment, lesson completion, and each student's rows and progress.

Progress is never stored: ``progress.compute`` computes it from the course snapshot and the
student's rows (enrollments, completions, submitted attempts, manual scores), which
:func:`load_rows` reads for one or many students and courses in one query. Every page, the
gradebook, certificates and the data download go through these two.

Services flush and raise; routes commit.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    CompoundSelect,
    Integer,
    Numeric,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError

from learnapp.auth.models import Role, User
from learnapp.catalog.models import Course, CourseInstructor, Lesson, Question, Quiz
from learnapp.catalog.services import CourseView, is_course_instructor, is_staff
from learnapp.catalog.snapshot_cache import of as snapshot_of
from learnapp.catalog.snapshot_cache import snapshots
from learnapp.catalog.snapshots import CourseSnapshot
from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.errors import LearnAppError
from learnapp.extensions import db
from learnapp.progress.compute import (
    NO_ROWS,
    CourseProgress,
    Graded,
    Item,
    ManualScore,
    ModuleProgress,
    StudentRows,
    compute,
    unlock_message,
)
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.quizzes.models import SUBMITTED, PracticeItem, QuizAttempt, ScoreOverride

__all__ = [
    "CourseProgress",
    "Item",
    "ModuleProgress",
    "StudentRows",
    "course_progress",
    "courses_progress",
    "load_rows",
    "unlock_message",
]


class ItemLocked(LearnAppError):
    """A lesson or quiz whose prerequisites are not met yet."""

    status = 403


# --- changing rows ---------------------------------------------------------------------------


def get_enrollment(user: User, course: Course) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def enroll(user: User, course: Course) -> Enrollment:
    """Enrol ``user`` in ``course``; enrolling again reopens the same row (history kept)."""
    enrollment = get_enrollment(user, course)
    if enrollment is None:
        try:
            with db.session.begin_nested():
                enrollment = Enrollment(user_id=user.id, course_id=course.id)
                db.session.add(enrollment)
                db.session.flush()
            return enrollment
        except IntegrityError:
            # Another request enrolled the same student first: use its row.
            enrollment = get_enrollment(user, course)
            if enrollment is None:  # the row that won was deleted meanwhile (user removed)
                raise
    if enrollment.unenrolled_at is not None:
        enrollment.unenrolled_at = None
        db.session.flush()
    return enrollment


def unenroll(user: User, course: Course) -> bool:
    """Leave ``course``, keeping completions and attempts; False if not enrolled."""
    enrollment = get_enrollment(user, course)
    if enrollment is None or enrollment.unenrolled_at is not None:
        return False
    enrollment.unenrolled_at = utcnow()
    db.session.flush()
    return True


def complete_lesson(user: User, course: Course, lesson: Lesson) -> bool:
    """Record that ``user`` completed ``lesson`` (enrolling them); False if already done.

    :raises ItemLocked: the lesson's prerequisites are not met (students only).
    """
    state = course_progress(user, course, assume_enrolled=True)
    item = state.lesson(lesson.id)
    if item is not None and item.locked:
        raise ItemLocked(item.lock_message or _("This lesson is locked."))
    enroll(user, course)
    try:
        with db.session.begin_nested():
            db.session.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id))
            db.session.flush()
    except IntegrityError:
        return False  # completed before (or by a parallel request): keep the first time
    return True


def ensure_quiz_unlocked(user: User, course: Course, quiz: Quiz) -> None:
    """:raises ItemLocked: ``quiz`` waits for prerequisites ``user`` has not met."""
    item = course_progress(user, course).quiz(quiz.id)
    if item is not None and item.locked:
        raise ItemLocked(item.lock_message or _("This quiz is locked."))


# --- rows and progress ------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolledCourse:
    """A course a student is enrolled in now, as the row loader saw it."""

    course_id: int
    enrolled_at: datetime
    #: The course's content hash; None while the course is retired.
    version: str | None


@dataclass
class LoadedRows:
    """What :func:`load_rows` found: each student's rows per course."""

    by_student: dict[tuple[int, int], StudentRows]
    #: User id -> active enrollments, most recent first.
    enrolled: dict[int, list[EnrolledCourse]]

    def of(self, user_id: int, course_id: int) -> StudentRows:
        return self.by_student.get((user_id, course_id), NO_ROWS)


Condition = Callable[[Any, Any], list[Any]]


def _rows_union(where: Condition) -> CompoundSelect:
    """The four kinds of rows as one ``UNION ALL``, each filtered by ``where(user column,
    course column)``."""
    no_percent = cast(null(), Numeric(5, 2))
    no_version = cast(null(), String(64))
    attempts = (
        select(
            literal_column("'quiz'").label("kind"),
            QuizAttempt.user_id.label("user_id"),
            Quiz.course_id.label("course_id"),
            QuizAttempt.quiz_id.label("item_id"),
            QuizAttempt.number.label("number"),
            QuizAttempt.percent.label("percent"),
            QuizAttempt.submitted_at.label("at"),
            no_version.label("version"),
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.status == SUBMITTED, *where(QuizAttempt.user_id, Quiz.course_id))
    )
    completions = (
        select(
            literal_column("'lesson'"),
            LessonCompletion.user_id,
            Lesson.course_id,
            LessonCompletion.lesson_id,
            cast(literal_column("0"), Integer),
            no_percent,
            LessonCompletion.completed_at,
            no_version,
        )
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(*where(LessonCompletion.user_id, Lesson.course_id))
    )
    overrides = (
        select(
            literal_column("'override'"),
            ScoreOverride.user_id,
            Quiz.course_id,
            ScoreOverride.quiz_id,
            cast(literal_column("0"), Integer),
            ScoreOverride.percent,
            ScoreOverride.set_at,
            no_version,
        )
        .join(Quiz, Quiz.id == ScoreOverride.quiz_id)
        .where(*where(ScoreOverride.user_id, Quiz.course_id))
    )
    # The course's version rides along with the enrollment, so the dashboard checks its
    # snapshots without a query of its own.
    enrollments = (
        select(
            literal_column("'enrollment'"),
            Enrollment.user_id,
            Enrollment.course_id,
            Enrollment.id,
            case((Enrollment.unenrolled_at.is_(None), 1), else_=0),
            no_percent,
            Enrollment.enrolled_at,
            case((Course.is_retired.is_(False), Course.content_hash), else_=None),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(*where(Enrollment.user_id, Enrollment.course_id))
    )
    return union_all(attempts, completions, overrides, enrollments)


@functools.cache
def _rows_statement(one_student: bool, courses: str) -> CompoundSelect:
    """The rows query for one shape, built once per process: the statement is the same
    object every time, so SQLAlchemy reuses its cache key and compiled SQL (building it per
    request was a third of the lesson page's time). ``courses``: "all", "one" or "many"."""

    def where(user_column: Any, course_column: Any) -> list[Any]:
        conditions = [
            user_column == bindparam("user_id")
            if one_student
            else user_column.in_(bindparam("user_ids", expanding=True))
        ]
        if courses == "one":
            conditions.append(course_column == bindparam("course_id"))
        elif courses == "many":
            conditions.append(course_column.in_(bindparam("course_ids", expanding=True)))
        return conditions

    return _rows_union(where)


def load_rows(
    user_ids: Iterable[int] | Select[Any], course_ids: Iterable[int] | None = None
) -> LoadedRows:
    """Enrollments, lesson completions, submitted attempts and manual scores of the students
    ``user_ids`` (ids, or a query of them) in ``course_ids`` (None: every course), in one query.
    """
    students = user_ids if isinstance(user_ids, Select) else list(user_ids)
    courses = None if course_ids is None else list(course_ids)
    if courses == [] or (isinstance(students, list) and not students):
        return LoadedRows({}, {})
    if isinstance(students, Select):

        def where(user_column: Any, course_column: Any) -> list[Any]:
            conditions = [user_column.in_(students)]
            if courses is not None:
                conditions.append(course_column.in_(courses))
            return conditions

        statement, parameters = _rows_union(where), {}
    else:
        shape = "all" if courses is None else "one" if len(courses) == 1 else "many"
        statement = _rows_statement(len(students) == 1, shape)
        parameters = {"user_id": students[0]} if len(students) == 1 else {"user_ids": students}
        if shape == "one":
            parameters["course_id"] = courses[0]  # type: ignore[index]
        elif shape == "many":
            parameters["course_ids"] = courses
    enrolled: dict[tuple[int, int], bool] = {}
    completed: dict[tuple[int, int], dict[int, datetime | None]] = defaultdict(dict)
    graded: dict[tuple[int, int], dict[int, list[Graded]]] = defaultdict(lambda: defaultdict(list))
    submitted: dict[tuple[int, int], set[int]] = defaultdict(set)
    awaiting: dict[tuple[int, int], set[int]] = defaultdict(set)
    manual: dict[tuple[int, int], dict[int, ManualScore]] = defaultdict(dict)
    active: dict[int, list[EnrolledCourse]] = defaultdict(list)
    for kind, user_id, course_id, item_id, number, percent, at, version in db.session.execute(
        statement, parameters
    ):
        key = (user_id, course_id)
        if kind == "override":
            manual[key][item_id] = ManualScore(Decimal(percent), at)
        elif kind == "enrollment":
            enrolled[key] = bool(number)
            if number:
                active[user_id].append(EnrolledCourse(course_id, at, version))
        elif kind == "lesson":
            completed[key][item_id] = at
        else:
            submitted[key].add(item_id)
            # A submitted attempt has no percent only while essays await grading: it counts
            # as submitted, never as a score (progress, passing and certificates wait).
            if percent is None:
                awaiting[key].add(item_id)
            else:
                graded[key][item_id].append(Graded(number, Decimal(percent), at))
    keys = set(enrolled) | set(completed) | set(graded) | set(submitted) | set(manual)
    for courses_of in active.values():
        courses_of.sort(key=lambda enrollment: enrollment.enrolled_at, reverse=True)
    return LoadedRows(
        {
            key: StudentRows(
                enrolled=enrolled.get(key),
                completed=completed.get(key, {}),
                attempts={quiz_id: tuple(found) for quiz_id, found in graded[key].items()}
                if key in graded
                else {},
                submitted=frozenset(submitted.get(key, ())),
                awaiting=frozenset(awaiting.get(key, ())),
                overrides=manual.get(key, {}),
            )
            for key in keys
        },
        dict(active),
    )


def _staff(user: User | None, course: CourseSnapshot) -> bool:
    return user is not None and is_course_instructor(user, course)


def course_progress(
    user: User | None,
    course: Course | CourseSnapshot,
    *,
    assume_enrolled: bool = False,
    is_staff: bool | None = None,
) -> CourseProgress:
    """Progress of ``user`` in ``course`` (a row, or the snapshot a page already has).

    ``is_staff``: pass what the page already knows, else it is looked up.
    """
    snapshot = course if isinstance(course, CourseSnapshot) else snapshot_of(course)
    rows = (
        load_rows([user.id], [snapshot.id]).of(user.id, snapshot.id)
        if user is not None and user.is_authenticated
        else NO_ROWS
    )
    return compute(
        snapshot,
        rows,
        is_staff=_staff(user, snapshot) if is_staff is None else is_staff,
        assume_enrolled=assume_enrolled,
    )


def courses_progress(
    user: User | None, courses: Sequence[Course | CourseSnapshot]
) -> dict[int, CourseProgress]:
    """Progress in many courses (catalogue, data download) in one query for the rows."""
    snapshots_by_id = _snapshots(courses)
    loaded = (
        load_rows([user.id], list(snapshots_by_id))
        if user is not None and user.is_authenticated
        else LoadedRows({}, {})
    )
    return {
        course.id: compute(
            course,
            loaded.of(user.id, course.id) if user is not None else NO_ROWS,
            is_staff=_staff(user, course),
        )
        for course in snapshots_by_id.values()
    }


def followed_progress(user: User, views: Sequence[CourseView]) -> dict[int, CourseProgress]:
    """Progress in the courses among ``views`` that ``user`` is enrolled in now (the
    catalogue's progress bars), in one query whatever the number of courses."""
    loaded = load_rows([user.id])
    followed = {course.course_id for course in loaded.enrolled.get(user.id, [])}
    return {
        view.course.id: compute(
            view.course, loaded.of(user.id, view.course.id), is_staff=view.is_staff
        )
        for view in views
        if view.course.id in followed
    }


def _snapshots(courses: Sequence[Course | CourseSnapshot]) -> dict[int, CourseSnapshot]:
    given = {course.id: course for course in courses if isinstance(course, CourseSnapshot)}
    rows = [course for course in courses if not isinstance(course, CourseSnapshot)]
    return {**given, **snapshots({course.id: course.content_hash for course in rows})}


# --- dashboard ---------------------------------------------------------------------------------

RECENT_RESULTS = 5


@dataclass
class Dashboard:
    courses: list[CourseProgress]
    #: The last submitted attempts: (attempt, quiz title, course title, course language).
    recent: list[tuple[QuizAttempt, str, str, str | None]]
    practice_due: int
    certificates: list[Certificate]


def _assigned_courses(user: User) -> set[int]:
    """Courses an admin assigned ``user`` to (asked only of instructors)."""
    if user.role != Role.INSTRUCTOR:
        return set()
    return set(
        db.session.scalars(
            select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
        )
    )


def enrolled_progress(user: User) -> list[CourseProgress]:
    """Progress in the courses ``user`` is enrolled in and may see, most recently enrolled
    first, from one query (the rows carry each course's version)."""
    loaded = load_rows([user.id])
    enrolled = [course for course in loaded.enrolled.get(user.id, []) if course.version]
    found = snapshots({course.course_id: course.version or "" for course in enrolled})
    assigned = _assigned_courses(user)
    states = []
    for enrollment in enrolled:
        course = found.get(enrollment.course_id)
        if course is None:
            continue
        staff = is_staff(user, course, is_assigned=course.id in assigned)
        if course.is_published or staff:
            states.append(compute(course, loaded.of(user.id, course.id), is_staff=staff))
    # Most recent first; the title orders enrollments made in the same instant.
    order = {course.course_id: course.enrolled_at for course in enrolled}
    states.sort(key=lambda state: state.course.title)
    states.sort(key=lambda state: order[state.course.id], reverse=True)
    return states


# Statements of the dashboard, built once (see catalog.services: bound parameters let
# SQLAlchemy reuse their cache keys and compiled SQL).
_RECENT_RESULTS = (
    select(QuizAttempt, Quiz.title, Course.title, Course.language)
    .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
    .join(Course, Course.id == Quiz.course_id)
    .where(QuizAttempt.user_id == bindparam("user_id"), QuizAttempt.status == SUBMITTED)
    .order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc())
    .limit(bindparam("limit"))
)
_PRACTICE_DUE = (
    select(func.count(PracticeItem.id))
    .join(Question, Question.id == PracticeItem.question_id)
    .where(
        PracticeItem.user_id == bindparam("user_id"),
        PracticeItem.due_at <= bindparam("now"),
        Question.is_retired.is_(False),
    )
)
_CERTIFICATES_OF = (
    select(Certificate)
    .where(Certificate.user_id == bindparam("user_id"))
    .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
)


def recent_results(
    user: User, limit: int = RECENT_RESULTS
) -> list[tuple[QuizAttempt, str, str, str | None]]:
    rows = db.session.execute(_RECENT_RESULTS, {"user_id": user.id, "limit": limit}).all()
    return [(attempt, quiz, course, language) for attempt, quiz, course, language in rows]


def practice_due_count(user: User, now: datetime | None = None) -> int:
    return db.session.scalar(_PRACTICE_DUE, {"user_id": user.id, "now": now or utcnow()}) or 0


def dashboard(user: User) -> Dashboard:
    """Everything the dashboard shows, in four queries."""
    return Dashboard(
        courses=enrolled_progress(user),
        recent=recent_results(user),
        practice_due=practice_due_count(user),
        certificates=list(db.session.scalars(_CERTIFICATES_OF, {"user_id": user.id})),
    )
