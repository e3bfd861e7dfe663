"""Enrollment, lesson completion, and progress computed from rows and the course's rules.

Progress is never stored. It is computed from enrollments, completions and submitted attempts
against the course's *current* outline and ``completion`` rules, so when a course file adds or
retires items the numbers follow, and no row is lost: retired items are simply ignored.

A page loads everything it needs in a constant number of queries: the outline (three queries,
for any number of courses) and the student's rows (one ``UNION ALL`` query), whatever the
number of lessons.

Locks follow the course's prerequisites for students enrolled in the course (a visitor who has
not enrolled browses freely, and completing a lesson enrols). Instructors of the course and
admins are never locked.

Services flush and raise; routes commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Numeric, case, cast, func, literal_column, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from learnapp.auth.models import User
from learnapp.catalog.models import Course, Lesson, Module, Question, Quiz
from learnapp.catalog.services import can_see, is_course_instructor
from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.errors import LearnAppError
from learnapp.extensions import db
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.quizzes import rules
from learnapp.quizzes.models import SUBMITTED, PracticeItem, QuizAttempt, ScoreOverride


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


def complete_lesson(
    user: User, course: Course, lesson: Lesson, modules: Sequence[Module] | None = None
) -> bool:
    """Record that ``user`` completed ``lesson`` (enrolling them); False if already done.

    :raises ItemLocked: the lesson's prerequisites are not met (students only).
    """
    state = course_progress(user, course, modules, assume_enrolled=True)
    item = state.lesson(lesson.id)
    if item is not None and item.locked:
        raise ItemLocked(item.lock_message or "This lesson is locked.")
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
        raise ItemLocked(item.lock_message or "This quiz is locked.")


# --- computed progress -------------------------------------------------------------------------


@dataclass
class Item:
    """A lesson or quiz of the current outline, with this student's state."""

    kind: str  # "lesson" or "quiz"
    row: Lesson | Quiz
    module: Module
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
    module: Module
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
    course: Course
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
        for module in self.modules:
            for item in module.items:
                if item.kind == kind and item.id == row_id:
                    return item
        return None


def _percent(done: int, total: int) -> int:
    return 100 if total == 0 else done * 100 // total


def unlock_message(blockers: Sequence[str]) -> str | None:
    """``To unlock this, complete “A” and pass “B” with at least 70%.``"""
    if not blockers:
        return None
    if len(blockers) == 1:
        needed = blockers[0]
    else:
        needed = ", ".join(blockers[:-1]) + " and " + blockers[-1]
    return f"To unlock this, {needed}."


@dataclass
class _Rows:
    """One student's rows for one course."""

    enrollment: bool | None = None  # None: never enrolled; True: active; False: unenrolled
    completed: set[int] = field(default_factory=set)
    attempts: dict[int, list[tuple[int, Decimal]]] = field(default_factory=lambda: {})
    submitted: set[int] = field(default_factory=set)
    #: Quiz id -> the percent an instructor set by hand (replaces the attempts' score).
    overrides: dict[int, Decimal] = field(default_factory=lambda: {})


def _load_rows(user: User | None, course_ids: Iterable[int]) -> dict[int, _Rows]:
    """Enrollments, completions, submitted attempts and score overrides of ``user`` in one
    query."""
    ids = list(course_ids)
    found: dict[int, _Rows] = defaultdict(_Rows)
    if user is None or not user.is_authenticated or not ids:
        return found
    no_percent = cast(null(), Numeric(5, 2))
    attempts = (
        select(
            literal_column("'quiz'").label("kind"),
            Quiz.course_id.label("course_id"),
            QuizAttempt.quiz_id.label("item_id"),
            QuizAttempt.number.label("number"),
            QuizAttempt.percent.label("percent"),
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.status == SUBMITTED,
            Quiz.course_id.in_(ids),
        )
    )
    completions = (
        select(
            literal_column("'lesson'"),
            Lesson.course_id,
            LessonCompletion.lesson_id,
            cast(literal_column("0"), Integer),
            no_percent,
        )
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(LessonCompletion.user_id == user.id, Lesson.course_id.in_(ids))
    )
    enrollments = select(
        literal_column("'enrollment'"),
        Enrollment.course_id,
        Enrollment.id,
        case((Enrollment.unenrolled_at.is_(None), 1), else_=0),
        no_percent,
    ).where(Enrollment.user_id == user.id, Enrollment.course_id.in_(ids))
    overrides = (
        select(
            literal_column("'override'"),
            Quiz.course_id,
            ScoreOverride.quiz_id,
            cast(literal_column("0"), Integer),
            ScoreOverride.percent,
        )
        .join(Quiz, Quiz.id == ScoreOverride.quiz_id)
        .where(ScoreOverride.user_id == user.id, Quiz.course_id.in_(ids))
    )
    for kind, course_id, item_id, number, percent in db.session.execute(
        union_all(attempts, completions, enrollments, overrides)
    ):
        rows = found[course_id]
        if kind == "override":
            rows.overrides[item_id] = Decimal(percent)
        elif kind == "enrollment":
            rows.enrollment = bool(number)
        elif kind == "lesson":
            rows.completed.add(item_id)
        else:
            rows.submitted.add(item_id)
            if percent is not None:
                rows.attempts.setdefault(item_id, []).append((number, Decimal(percent)))
    return found


def outlines(course_ids: Iterable[int]) -> dict[int, list[Module]]:
    """Current modules with their current lessons and quizzes for many courses (three queries)."""
    ids = list(course_ids)
    found: dict[int, list[Module]] = defaultdict(list)
    if not ids:
        return found
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id.in_(ids), Module.is_retired.is_(False))
        .order_by(Module.course_id, Module.position)
        .options(
            selectinload(Module.lessons.and_(Lesson.is_retired.is_(False))).load_only(
                Lesson.slug,
                Lesson.title,
                Lesson.minutes,
                Lesson.position,
                Lesson.module_id,
                Lesson.prerequisites,
            ),
            selectinload(Module.quizzes.and_(Quiz.is_retired.is_(False))),
        )
    ).all()
    for module in modules:
        found[module.course_id].append(module)
    return found


def course_progress(
    user: User | None,
    course: Course,
    modules: Sequence[Module] | None = None,
    *,
    assume_enrolled: bool = False,
) -> CourseProgress:
    """Progress of ``user`` in ``course``; pass the page's ``modules`` to save the queries."""
    if modules is None:
        modules = outlines([course.id])[course.id]
    rows = _load_rows(user, [course.id])[course.id]
    return _compute(user, course, modules, rows, assume_enrolled=assume_enrolled)


def courses_progress(user: User | None, courses: Sequence[Course]) -> dict[int, CourseProgress]:
    """Progress in many courses (catalogue, dashboard) in four queries."""
    ids = [course.id for course in courses]
    modules = outlines(ids)
    rows = _load_rows(user, ids)
    return {
        course.id: _compute(user, course, modules[course.id], rows[course.id]) for course in courses
    }


def _compute(
    user: User | None,
    course: Course,
    modules: Sequence[Module],
    rows: _Rows,
    *,
    assume_enrolled: bool = False,
) -> CourseProgress:
    rules_ = course.completion or {}
    passing: dict[str, int] = dict(rules_.get("quizzes") or {})
    all_lessons = rules_.get("all_lessons", True)
    required_lessons = set(rules_.get("lessons") or [])
    is_enrolled = bool(rows.enrollment)
    is_staff = user is not None and is_course_instructor(user, course)
    locks_apply = (is_enrolled or assume_enrolled) and not is_staff

    quizzes = {quiz.slug: quiz for module in modules for quiz in module.quizzes}
    lessons = {lesson.slug: lesson for module in modules for lesson in module.lessons}
    by_slug = {module.slug: module for module in modules}
    best = {
        quiz.id: rows.overrides[quiz.id]
        if quiz.id in rows.overrides
        else rules.combine(rows.attempts.get(quiz.id, []), quiz.settings.get("grading", "highest"))
        for quiz in quizzes.values()
    }

    def quiz_passed(quiz: Quiz) -> bool:
        mark = passing.get(quiz.slug)
        if mark is None:  # a practice quiz counts as done once submitted (or scored by hand)
            return quiz.id in rows.submitted or quiz.id in rows.overrides
        score = best[quiz.id]
        return score is not None and score >= mark

    def blockers_of(prerequisites: Iterable[str]) -> list[str]:
        needed = []
        for slug in prerequisites:
            if (lesson := lessons.get(slug)) is not None:
                if lesson.id not in rows.completed:
                    needed.append(f"complete “{lesson.title}”")
            elif (quiz := quizzes.get(slug)) is not None:
                if not quiz_passed(quiz):
                    mark = passing.get(quiz.slug)
                    needed.append(
                        f"pass “{quiz.title}” with at least {mark}%"
                        if mark is not None
                        else f"submit “{quiz.title}”"
                    )
            elif (module := by_slug.get(slug)) is not None and any(
                lesson.id not in rows.completed for lesson in module.lessons
            ):
                needed.append(f"complete the lessons of “{module.title}”")
            # Unknown or retired ids are ignored: the course no longer asks for them.
        return needed

    module_states: list[ModuleProgress] = []
    missing: list[Item] = []
    done = total = 0
    for module in modules:
        module_blockers = blockers_of(module.prerequisites or [])
        items: list[Item] = []
        for lesson in module.lessons:
            blockers = blockers_of(lesson.prerequisites or []) + module_blockers
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
        was_enrolled=rows.enrollment is not None,
        is_staff=is_staff,
        done=done,
        total=total,
        missing=missing,
        next_item=next_item,
    )


def progress_from_rows(
    course: Course,
    modules: Sequence[Module],
    *,
    enrolled: bool | None,
    completed: set[int],
    attempts: dict[int, list[tuple[int, Decimal]]],
    submitted: set[int],
    overrides: dict[int, Decimal],
) -> CourseProgress:
    """A student's progress from rows the caller loaded in bulk (the instructors' gradebook).

    ``enrolled``: None if never enrolled, else whether the enrollment is active; ``completed``:
    lesson ids; ``attempts``: quiz id -> (number, percent) of graded attempts; ``submitted``:
    quiz ids with a submitted attempt; ``overrides``: quiz id -> percent set by an instructor.
    Computed exactly as the student's own pages compute it (locks as for a student).
    """
    rows = _Rows(
        enrollment=enrolled,
        completed=completed,
        attempts=attempts,
        submitted=submitted,
        overrides=overrides,
    )
    return _compute(None, course, modules, rows)


# --- dashboard ---------------------------------------------------------------------------------

RECENT_RESULTS = 5


@dataclass
class Dashboard:
    courses: list[CourseProgress]
    #: The last submitted attempts: (attempt, quiz, course).
    recent: list[tuple[QuizAttempt, Quiz, Course]]
    practice_due: int
    certificates: list[Certificate]


def active_enrollment_ids(user: User) -> set[int]:
    """Ids of the courses ``user`` is enrolled in now."""
    return set(
        db.session.scalars(
            select(Enrollment.course_id).where(
                Enrollment.user_id == user.id, Enrollment.unenrolled_at.is_(None)
            )
        )
    )


def enrolled_courses(user: User) -> list[Course]:
    """Courses ``user`` is enrolled in and may see, most recently enrolled first."""
    courses = db.session.scalars(
        select(Course)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id, Enrollment.unenrolled_at.is_(None))
        .order_by(Enrollment.enrolled_at.desc(), Course.title)
    ).all()
    return [course for course in courses if can_see(user, course)]


def recent_results(
    user: User, limit: int = RECENT_RESULTS
) -> list[tuple[QuizAttempt, Quiz, Course]]:
    rows = db.session.execute(
        select(QuizAttempt, Quiz, Course)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.status == SUBMITTED)
        .order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc())
        .limit(limit)
    ).all()
    return [(attempt, quiz, course) for attempt, quiz, course in rows]


def practice_due_count(user: User, now: datetime | None = None) -> int:
    return (
        db.session.scalar(
            select(func.count(PracticeItem.id))
            .join(Question, Question.id == PracticeItem.question_id)
            .where(
                PracticeItem.user_id == user.id,
                PracticeItem.due_at <= (now or utcnow()),
                Question.is_retired.is_(False),
            )
        )
        or 0
    )


def dashboard(user: User) -> Dashboard:
    """Everything the dashboard shows, in a constant number of queries."""
    courses = enrolled_courses(user)
    states = courses_progress(user, courses)
    return Dashboard(
        courses=[states[course.id] for course in courses],
        recent=recent_results(user),
        practice_due=practice_due_count(user),
        certificates=list(
            db.session.scalars(
                select(Certificate)
                .where(Certificate.user_id == user.id)
                .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
            )
        ),
    )
