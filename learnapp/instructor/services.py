"""Instructor tools: courses taught, course status and sync, gradebook, per-student fixes.

Every lookup is scoped to a course the acting user teaches (admins teach every course), and
every student lookup to the students of that course, so an instructor never reaches another
course's students or results: the routes turn :class:`NotFound` into a 404.

Fixes for one student (each audited with its reason):

- **Extra time / extra attempts** reuse :func:`learnapp.quizzes.services.grant_override` (one
  override per student and quiz, replaced by a new grant). Extra time also lengthens an attempt
  in progress; it never shortens one.
- **Reopen** a submitted attempt: it becomes open again with its saved answers, its score is
  cleared (it no longer counts until submitted again), and it gets a new deadline (the quiz's
  time limit plus extra time from now, capped by the close date, or the minutes the instructor
  gives). Submitting grades it again, once: submitting is a conditional UPDATE of an open
  attempt. Reopening uses no attempt and is refused while the student has another attempt open
  (one open attempt per student and quiz is a unique index).
- **Discard** an attempt (open or submitted): its row is kept with status ``discarded`` for the
  record, but it no longer counts towards the grade, progress or the attempt limit (the student
  gets that attempt back), is hidden from the student and can never be graded again. New
  attempts are numbered after it.
- **Manual score**: a percentage that replaces the score from attempts, whatever the grading
  method, in the gradebook, progress and completion, until removed.

A certificate already issued is not changed by any of these (admins revoke certificates).

Services flush and raise; routes commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, not_, or_, select, union, update
from sqlalchemy.exc import IntegrityError

from learnapp.audit import services as audit
from learnapp.auth.models import Role, User
from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course, CourseInstructor, Lesson, Module, Question, Quiz
from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.errors import Conflict, NotFound
from learnapp.extensions import db
from learnapp.instructor import gradebook as gb
from learnapp.progress import services as progress
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.quizzes import rules
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import (
    DISCARDED,
    OPEN,
    SUBMITTED,
    QuizAttempt,
    QuizOverride,
    ScoreOverride,
)
from learnapp.quizzes.questions import QUESTION_TYPES, Grade


class ActionRefused(Conflict):
    """A fix that cannot be applied to the attempt or student as they are now."""


# --- courses ---------------------------------------------------------------------------------


def taught_courses(user: User) -> list[Course]:
    """Courses ``user`` teaches (named in the course file or assigned), all for admins."""
    courses = db.session.scalars(select(Course).order_by(Course.is_retired, Course.title)).all()
    if user.role == Role.ADMIN:
        return list(courses)
    if user.role != Role.INSTRUCTOR:
        return []
    assigned = set(
        db.session.scalars(
            select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
        )
    )
    email = user.email.lower()
    return [c for c in courses if c.id in assigned or email in c.instructor_emails]


def get_course_for(user: User, course_slug: str) -> Course:
    """The course if ``user`` teaches it. :raises NotFound: otherwise."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None or not catalog.is_course_instructor(user, course):
        raise NotFound("There is no such course among those you teach.")
    return course


@dataclass(frozen=True)
class CourseStatus:
    course: Course
    modules: list[Module]
    module_count: int
    lesson_count: int
    quiz_count: int
    question_count: int
    #: The course file's ``completion.quizzes`` titles and pass marks, in course order.
    required_quizzes: list[tuple[Quiz, int]]


def course_status(course: Course) -> CourseStatus:
    """What is loaded now: the current (not retired) modules, lessons, quizzes and questions."""
    modules = catalog.course_outline(course)
    questions = (
        db.session.scalar(
            select(func.count(Question.id))
            .join(Quiz, Quiz.id == Question.quiz_id)
            .where(
                Question.course_id == course.id,
                Question.is_retired.is_(False),
                Quiz.is_retired.is_(False),
            )
        )
        or 0
    )
    return CourseStatus(
        course=course,
        modules=modules,
        module_count=len(modules),
        lesson_count=sum(len(module.lessons) for module in modules),
        quiz_count=sum(len(module.quizzes) for module in modules),
        question_count=questions,
        required_quizzes=_required_quizzes(course, modules),
    )


def _required_quizzes(course: Course, modules: Sequence[Module]) -> list[tuple[Quiz, int]]:
    passing: dict[str, int] = dict((course.completion or {}).get("quizzes") or {})
    return [
        (quiz, int(passing[quiz.slug]))
        for module in modules
        for quiz in module.quizzes
        if quiz.slug in passing
    ]


@dataclass(frozen=True)
class SyncOutcome:
    report: catalog.SyncReport
    #: What happened to this course: created, updated, unchanged, failed or retired.
    result: str
    problems: list[str]


def sync_now(course: Course, *, actor: User) -> SyncOutcome:
    """Run the course sync (``flask courses sync``: every folder, idempotent) for ``course``'s
    instructor and report what happened to this course."""
    report = catalog.sync_courses()
    db.session.refresh(course)
    result = "unchanged"
    for label, slugs in (
        ("created", report.created),
        ("updated", report.updated),
        ("retired", report.retired),
    ):
        if course.slug in slugs:
            result = label
    if course.source_dir in report.failed:
        result = "failed"
    audit.record(
        "course.synced",
        actor=actor,
        target=course,
        result=result,
        content_hash=course.content_hash,
        problems=len(course.problems),
    )
    db.session.flush()
    return SyncOutcome(report=report, result=result, problems=list(course.problems))


# --- students ---------------------------------------------------------------------------------


def _student_ids(course: Course) -> Any:
    """Ids of the course's students: enrolled (now or before) or with an attempt at one of its
    quizzes, leaving out the course's own instructors and admins (their test runs)."""
    enrolled = select(Enrollment.user_id).where(Enrollment.course_id == course.id)
    attempted = (
        select(QuizAttempt.user_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.course_id == course.id)
    )
    return union(enrolled, attempted).subquery()


def _not_staff(course: Course) -> Any:
    assigned = select(CourseInstructor.user_id).where(CourseInstructor.course_id == course.id)
    return and_(
        User.role != Role.ADMIN.value,
        not_(
            and_(
                User.role == Role.INSTRUCTOR.value,
                or_(User.email.in_(list(course.instructor_emails)), User.id.in_(assigned)),
            )
        ),
    )


def get_student(course: Course, user_id: int) -> User:
    """A student of ``course``. :raises NotFound: for anyone else."""
    ids = _student_ids(course)
    user = db.session.scalar(
        select(User).where(User.id == user_id, User.id.in_(select(ids.c[0])), _not_staff(course))
    )
    if user is None:
        raise NotFound("There is no such student in this course.")
    return user


@dataclass
class Gradebook:
    course: Course
    quizzes: list[gb.QuizColumn]
    rows: list[gb.GradebookRow]
    #: Students before filtering.
    student_count: int


def build_gradebook(course: Course, *, query: str = "", status: str = "") -> Gradebook:
    """Every student's progress, score per required quiz, completion date and certificate.

    A constant number of queries whatever the number of students: the outline (three), the
    students (one), and one each for completions, graded attempts, manual scores and
    certificates. Figures are computed by ``progress.progress_from_rows``, as on the student's
    own pages.
    """
    modules = progress.outlines([course.id])[course.id]
    required = _required_quizzes(course, modules)
    columns = [gb.QuizColumn(quiz.slug, quiz.title, mark) for quiz, mark in required]
    ids = select(_student_ids(course).c[0])
    students = db.session.execute(
        select(User.id, User.display_name, User.email, Enrollment.unenrolled_at, Enrollment.id)
        .outerjoin(
            Enrollment, and_(Enrollment.user_id == User.id, Enrollment.course_id == course.id)
        )
        .where(User.id.in_(ids), _not_staff(course))
    ).all()

    completions: dict[int, dict[int, datetime]] = defaultdict(dict)
    for user_id, lesson_id, done_at in db.session.execute(
        select(LessonCompletion.user_id, LessonCompletion.lesson_id, LessonCompletion.completed_at)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(Lesson.course_id == course.id, LessonCompletion.user_id.in_(ids))
    ):
        completions[user_id][lesson_id] = done_at
    attempts: dict[int, dict[int, list[tuple[int, Decimal, datetime]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    submitted: dict[int, set[int]] = defaultdict(set)
    for user_id, quiz_id, number, percent, submitted_at in db.session.execute(
        select(
            QuizAttempt.user_id,
            QuizAttempt.quiz_id,
            QuizAttempt.number,
            QuizAttempt.percent,
            QuizAttempt.submitted_at,
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            Quiz.course_id == course.id,
            QuizAttempt.status == SUBMITTED,
            QuizAttempt.user_id.in_(ids),
        )
    ):
        submitted[user_id].add(quiz_id)
        if percent is not None:
            attempts[user_id][quiz_id].append((number, Decimal(percent), submitted_at))
    overrides: dict[int, dict[int, tuple[Decimal, datetime]]] = defaultdict(dict)
    for user_id, quiz_id, percent, set_at in db.session.execute(
        select(
            ScoreOverride.user_id,
            ScoreOverride.quiz_id,
            ScoreOverride.percent,
            ScoreOverride.set_at,
        )
        .join(Quiz, Quiz.id == ScoreOverride.quiz_id)
        .where(Quiz.course_id == course.id)
    ):
        overrides[user_id][quiz_id] = (Decimal(percent), set_at)
    certificates = {
        user_id: gb.CertificateInfo(public_id, revoked_at)
        for user_id, public_id, revoked_at in db.session.execute(
            select(Certificate.user_id, Certificate.public_id, Certificate.revoked_at).where(
                Certificate.course_id == course.id, Certificate.user_id.is_not(None)
            )
        )
    }

    quiz_rows = {quiz.id: quiz for module in modules for quiz in module.quizzes}
    rows = []
    for user_id, name, email, unenrolled_at, enrollment_id in students:
        user_attempts = attempts.get(user_id, {})
        user_overrides = overrides.get(user_id, {})
        done = completions.get(user_id, {})
        state = progress.progress_from_rows(
            course,
            modules,
            enrolled=None if enrollment_id is None else unenrolled_at is None,
            completed=set(done),
            attempts={
                quiz_id: [(number, percent) for number, percent, _at in graded]
                for quiz_id, graded in user_attempts.items()
            },
            submitted=submitted.get(user_id, set()),
            overrides={quiz_id: percent for quiz_id, (percent, _at) in user_overrides.items()},
        )
        cells = {}
        times: list[datetime | None] = []
        for module in state.modules:
            for item in module.items:
                if not item.is_required:
                    continue
                if item.kind == "lesson":
                    times.append(done.get(item.id))
                    continue
                quiz = quiz_rows[item.id]
                cells[quiz.slug] = gb.QuizCell(item.best, item.is_overridden, item.is_done)
                times.append(
                    gb.passed_at(
                        user_attempts.get(quiz.id, []),
                        quiz.settings.get("grading", "highest"),
                        item.passing or 0,
                        user_overrides.get(quiz.id),
                    )
                    if item.is_done
                    else None
                )
        rows.append(
            gb.GradebookRow(
                user_id=user_id,
                name=name,
                email=email,
                enrolled=None if enrollment_id is None else unenrolled_at is None,
                percent=state.percent,
                done=state.done,
                total=state.total,
                completed_at=gb.completed_at(times) if state.is_complete else None,
                cells=cells,
                certificate=certificates.get(user_id),
            )
        )
    matching = [row for row in rows if gb.matches(row, query, status)]
    return Gradebook(course, columns, matching, student_count=len(rows))


# --- one student ------------------------------------------------------------------------------


@dataclass
class QuizRecord:
    quiz: Quiz
    passing: int | None
    #: Every attempt, discarded ones included, in number order.
    attempts: list[QuizAttempt]
    allowance: QuizOverride | None
    manual: ScoreOverride | None
    item: progress.Item | None
    allowed: int | None = None

    @property
    def used(self) -> int:
        return sum(1 for attempt in self.attempts if not attempt.is_discarded)

    @property
    def has_open_attempt(self) -> bool:
        return any(attempt.is_open for attempt in self.attempts)


@dataclass
class StudentDetail:
    course: Course
    student: User
    state: progress.CourseProgress
    quizzes: list[QuizRecord] = field(default_factory=list)
    certificate: Certificate | None = None


def student_detail(course: Course, student: User) -> StudentDetail:
    """The student's progress and, per current quiz, attempts, allowances and manual score."""
    modules = progress.outlines([course.id])[course.id]
    state = progress.course_progress(student, course, modules)
    passing: dict[str, int] = dict((course.completion or {}).get("quizzes") or {})
    current = [quiz for module in modules for quiz in module.quizzes]
    quiz_ids = [quiz.id for quiz in current]
    by_quiz: dict[int, list[QuizAttempt]] = defaultdict(list)
    for attempt in db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == student.id, QuizAttempt.quiz_id.in_(quiz_ids))
        .order_by(QuizAttempt.quiz_id, QuizAttempt.number)
    ):
        by_quiz[attempt.quiz_id].append(attempt)
    allowances = {
        row.quiz_id: row
        for row in db.session.scalars(
            select(QuizOverride).where(
                QuizOverride.user_id == student.id, QuizOverride.quiz_id.in_(quiz_ids)
            )
        )
    }
    manual = {
        row.quiz_id: row
        for row in db.session.scalars(
            select(ScoreOverride).where(
                ScoreOverride.user_id == student.id, ScoreOverride.quiz_id.in_(quiz_ids)
            )
        )
    }
    records = []
    for quiz in current:
        allowance = allowances.get(quiz.id)
        records.append(
            QuizRecord(
                quiz=quiz,
                passing=passing.get(quiz.slug),
                attempts=by_quiz.get(quiz.id, []),
                allowance=allowance,
                manual=manual.get(quiz.id),
                item=state.quiz(quiz.id),
                allowed=rules.attempts_allowed(
                    quiz.settings.get("attempts"), allowance.extra_attempts if allowance else 0
                ),
            )
        )
    certificate = db.session.scalar(
        select(Certificate).where(
            Certificate.course_id == course.id, Certificate.user_id == student.id
        )
    )
    return StudentDetail(course, student, state, records, certificate)


def get_quiz_in(course: Course, quiz_slug: str) -> Quiz:
    quiz = catalog.get_quiz(course, quiz_slug)
    if quiz is None:
        raise NotFound("There is no such quiz in this course.")
    return quiz


def get_attempt_in(course: Course, attempt_id: int) -> tuple[QuizAttempt, Quiz, User]:
    """An attempt at one of the course's quizzes by one of its students. :raises NotFound:"""
    row = db.session.execute(
        select(QuizAttempt, Quiz)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.id == attempt_id, Quiz.course_id == course.id)
    ).first()
    if row is None:
        raise NotFound("There is no such attempt in this course.")
    attempt, quiz = row
    return attempt, quiz, get_student(course, attempt.user_id)


# --- fixes --------------------------------------------------------------------------------------


def grant_allowance(
    student: User,
    quiz: Quiz,
    *,
    extra_minutes: int,
    extra_attempts: int,
    reason: str,
    actor: User,
) -> QuizOverride:
    """Extra time and attempts (replacing an earlier grant); an open attempt gets the time."""
    override = quizzes.grant_override(
        student, quiz, extra_minutes, extra_attempts, reason, actor=actor
    )
    attempt = db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.user_id == student.id,
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.status == OPEN,
        )
    )
    if attempt is not None and attempt.deadline_at is not None:
        longer = rules.deadline(
            attempt.started_at,
            quiz.settings.get("time_limit"),
            extra_minutes,
            quizzes.closes_at(quiz),
        )
        if longer is not None and longer > attempt.deadline_at:
            audit.record(
                "attempt.deadline_extended",
                actor=actor,
                target=attempt,
                user_id=student.id,
                old=attempt.deadline_at.isoformat(),
                new=longer.isoformat(),
                reason=reason,
            )
            attempt.deadline_at = longer
    db.session.flush()
    return override


def set_manual_score(
    student: User, quiz: Quiz, percent: Decimal, *, reason: str, actor: User
) -> ScoreOverride:
    """Set the score that counts for ``student`` on ``quiz`` by hand (0-100)."""
    if not Decimal(0) <= percent <= Decimal(100):
        raise ActionRefused("A score is a percentage from 0 to 100.")
    percent = Decimal(percent).quantize(rules.PERCENT_QUANTUM)
    row = db.session.scalar(
        select(ScoreOverride).where(
            ScoreOverride.user_id == student.id, ScoreOverride.quiz_id == quiz.id
        )
    )
    old = row.percent if row else None
    if row is None:
        try:
            with db.session.begin_nested():
                row = ScoreOverride(user_id=student.id, quiz_id=quiz.id, percent=percent, reason="")
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # set by a parallel request: update that row
            row = db.session.scalar(
                select(ScoreOverride).where(
                    ScoreOverride.user_id == student.id, ScoreOverride.quiz_id == quiz.id
                )
            )
            if row is None:
                raise
    row.percent = percent
    row.reason = reason
    row.set_by_id = actor.id
    row.set_at = utcnow()
    audit.record(
        "quiz.score_set",
        actor=actor,
        target=quiz,
        user_id=student.id,
        old=None if old is None else str(old),
        new=str(percent),
        reason=reason,
    )
    db.session.flush()
    return row


def clear_manual_score(student: User, quiz: Quiz, *, reason: str, actor: User) -> bool:
    """Remove the manual score: the attempts' score counts again. False if there was none."""
    row = db.session.scalar(
        select(ScoreOverride).where(
            ScoreOverride.user_id == student.id, ScoreOverride.quiz_id == quiz.id
        )
    )
    if row is None:
        return False
    old = str(row.percent)
    db.session.execute(delete(ScoreOverride).where(ScoreOverride.id == row.id))
    db.session.expunge(row)
    audit.record(
        "quiz.score_cleared", actor=actor, target=quiz, user_id=student.id, old=old, reason=reason
    )
    db.session.flush()
    return True


def reopen_attempt(
    attempt: QuizAttempt,
    quiz: Quiz,
    *,
    reason: str,
    actor: User,
    minutes: int | None = None,
    now: datetime | None = None,
) -> QuizAttempt:
    """Open a submitted attempt again (see the module docstring for what that means).

    :raises ActionRefused: the attempt is not submitted, the student has another attempt open,
        or the quiz has closed and no ``minutes`` were given.
    """
    now = now or utcnow()
    if not attempt.is_submitted:
        raise ActionRefused("Only a submitted attempt can be reopened.")
    if minutes is not None:
        deadline = now + timedelta(minutes=minutes)
    else:
        override = quizzes.override_for(attempt.user_id, quiz.id)
        deadline = rules.deadline(
            now,
            quiz.settings.get("time_limit"),
            override.extra_minutes if override else 0,
            quizzes.closes_at(quiz),
        )
        if deadline is not None and deadline <= now:
            raise ActionRefused(
                "The quiz has closed: give the number of minutes the student gets to finish."
            )
    old_percent = attempt.percent
    try:
        with db.session.begin_nested():
            claimed = db.session.execute(
                update(QuizAttempt)
                .where(QuizAttempt.id == attempt.id, QuizAttempt.status == SUBMITTED)
                .values(
                    status=OPEN,
                    submitted_at=None,
                    score=None,
                    percent=None,
                    was_closed_by_deadline=False,
                    deadline_at=deadline,
                    # Pages served before the reopening are stale.
                    sequence=QuizAttempt.sequence + 1,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError:
        raise ActionRefused(
            "The student has another attempt open at this quiz; it must be submitted or "
            "discarded first."
        ) from None
    db.session.refresh(attempt)
    if claimed != 1:
        raise ActionRefused("This attempt changed meanwhile; reload the page and try again.")
    audit.record(
        "attempt.reopened",
        actor=actor,
        target=attempt,
        user_id=attempt.user_id,
        quiz=quiz.slug,
        number=attempt.number,
        old_percent=None if old_percent is None else str(old_percent),
        deadline=None if deadline is None else deadline.isoformat(),
        reason=reason,
    )
    db.session.flush()
    return attempt


def discard_attempt(attempt: QuizAttempt, quiz: Quiz, *, reason: str, actor: User) -> QuizAttempt:
    """Discard an open or submitted attempt (see the module docstring).

    :raises ActionRefused: it was discarded already (or changed meanwhile).
    """
    previous = attempt.status
    if attempt.is_discarded:
        raise ActionRefused("This attempt is already discarded.")
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == previous)
        .values(status=DISCARDED, sequence=QuizAttempt.sequence + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if claimed != 1:
        raise ActionRefused("This attempt changed meanwhile; reload the page and try again.")
    audit.record(
        "attempt.discarded",
        actor=actor,
        target=attempt,
        user_id=attempt.user_id,
        quiz=quiz.slug,
        number=attempt.number,
        previous_status=previous,
        percent=None if attempt.percent is None else str(attempt.percent),
        reason=reason,
    )
    db.session.flush()
    return attempt


# --- attempt review for staff -------------------------------------------------------------------


def review_items(attempt: QuizAttempt) -> list[dict[str, Any]]:
    """Every question of the attempt with the student's answer, the key, points and feedback
    (an open attempt: the answers saved so far, ungraded)."""
    graded = not attempt.is_open
    items = []
    specs = quizzes.question_specs((a.question_id, a.question_hash) for a in attempt.answers)
    for answer in attempt.answers:
        spec = specs[(answer.question_id, answer.question_hash)]
        kind = QUESTION_TYPES[spec.type]
        grade = Grade(answer.points or Decimal(0), answer.max_points, list(answer.feedback))
        items.append(
            {
                "answer": answer,
                "review": kind.review(
                    spec,
                    answer.option_order,
                    answer.response,
                    grade,
                    show_responses=True,
                    show_correct=graded,
                    show_feedback=graded,
                ),
            }
        )
    return items


# --- CSV exports ----------------------------------------------------------------------------------

ATTEMPTS_HEADER = [
    "Name",
    "E-mail",
    "Quiz",
    "Quiz title",
    "Attempt",
    "Status",
    "Started at",
    "Deadline",
    "Submitted at",
    "Closed at the deadline",
    "Score",
    "Max score",
    "Percent",
]

#: Rows fetched from the database at a time while streaming.
STREAM_BATCH = 500


def attempt_records(course: Course) -> Iterator[list[object]]:
    """Every attempt of the course's students at its quizzes (discarded ones too), fetched in
    batches so the export never holds them all."""
    ids = select(_student_ids(course).c[0])
    result = db.session.execute(
        select(
            User.display_name,
            User.email,
            Quiz.slug,
            Quiz.title,
            QuizAttempt.number,
            QuizAttempt.status,
            QuizAttempt.started_at,
            QuizAttempt.deadline_at,
            QuizAttempt.submitted_at,
            QuizAttempt.was_closed_by_deadline,
            QuizAttempt.score,
            QuizAttempt.max_score,
            QuizAttempt.percent,
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(Quiz.course_id == course.id, User.id.in_(ids), _not_staff(course))
        .order_by(User.display_name, User.id, Quiz.position, Quiz.id, QuizAttempt.number)
        .execution_options(yield_per=STREAM_BATCH)
    )
    for row in result:
        yield list(row)
