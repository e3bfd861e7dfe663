"""Instructor tools: courses taught, course status and sync, gradebook, per-student fixes.

Every lookup is scoped to a course the acting user teaches (admins teach every course), and
every student lookup to the students of that course, so an instructor never reaches another
course's students or results: the routes turn :class:`NotFound` into a 404.

Fixes for one student (each audited with its reason), carried out by
:mod:`learnapp.quizzes.lifecycle`, which owns everything that happens to an attempt:

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
  method, in the gradebook, progress and completion, until removed. Setting one runs the
  completion step, so a manual pass that completes the course issues the certificate.

A certificate already issued is not changed by any of these (admins revoke certificates).

Services flush and raise; routes commit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, not_, or_, select, union

from learnapp.audit import services as audit
from learnapp.auth.models import Role, User
from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course, CourseInstructor, Module, Question, Quiz
from learnapp.catalog.snapshot_cache import of as snapshot_of
from learnapp.catalog.snapshots import ModuleSnapshot
from learnapp.catalog.sync_lock import locked_sync
from learnapp.certificates.models import Certificate
from learnapp.errors import NotFound
from learnapp.extensions import db
from learnapp.instructor import gradebook as gb
from learnapp.progress import services as progress
from learnapp.progress.compute import compute
from learnapp.progress.models import Enrollment
from learnapp.quizzes import grading, lifecycle, rules
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import (
    QuizAttempt,
    QuizOverride,
    ScoreOverride,
)
from learnapp.quizzes.questions import QUESTION_TYPES
from learnapp.translation import N_

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
        raise NotFound(_("There is no such course among those you teach."))
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
    #: Quiz-quality warnings of the loaded version per code, most frequent first.
    quality_counts: list[tuple[str, int]]


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
        quality_counts=Counter(
            entry["code"] for entry in course.quality_warnings if entry.get("code")
        ).most_common(),
    )


def _required_quizzes(
    course: Course, modules: Sequence[Module] | Sequence[ModuleSnapshot]
) -> list[tuple[Any, int]]:
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
    instructor and report what happened to this course.

    :raises SyncBusy: another sync (on any host) is running; nothing changed.
    """
    report = locked_sync()
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
        raise NotFound(_("There is no such student in this course."))
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

    A constant number of queries whatever the number of students: the students, their rows
    (``progress.load_rows``) and the certificates, plus the course snapshot when this process
    has not built it yet. Figures are computed by ``progress.compute``, as on the student's own
    pages.
    """
    snapshot = snapshot_of(course)
    required = _required_quizzes(course, snapshot.modules)
    columns = [gb.QuizColumn(quiz.slug, quiz.title, mark) for quiz, mark in required]
    ids = select(_student_ids(course).c[0])
    students = db.session.execute(
        select(User.id, User.display_name, User.email, Enrollment.unenrolled_at, Enrollment.id)
        .outerjoin(
            Enrollment, and_(Enrollment.user_id == User.id, Enrollment.course_id == course.id)
        )
        .where(User.id.in_(ids), _not_staff(course))
    ).all()
    loaded = progress.load_rows(ids, [course.id])
    certificates = {
        user_id: gb.CertificateInfo(public_id, revoked_at)
        for user_id, public_id, revoked_at in db.session.execute(
            select(Certificate.user_id, Certificate.public_id, Certificate.revoked_at).where(
                Certificate.course_id == course.id, Certificate.user_id.is_not(None)
            )
        )
    }

    rows = []
    for user_id, name, email, unenrolled_at, enrollment_id in students:
        student_rows = loaded.of(user_id, course.id)
        # Locks as for a student: the course's staff are not in the gradebook.
        state = compute(snapshot, student_rows, is_staff=False)
        cells = {}
        times: list[datetime | None] = []
        for module in state.modules:
            for item in module.items:
                if not item.is_required:
                    continue
                if item.kind == "lesson":
                    times.append(student_rows.completed.get(item.id))
                    continue
                quiz = item.row
                cells[quiz.slug] = gb.QuizCell(
                    item.best,
                    item.is_overridden,
                    item.is_done,
                    is_awaiting=quiz.id in student_rows.awaiting,
                )
                times.append(
                    gb.passed_at(
                        student_rows.attempts.get(quiz.id, ()),
                        quiz.grading,
                        item.passing or 0,
                        student_rows.overrides.get(quiz.id),
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
    modules = catalog.course_outline(course)
    state = progress.course_progress(student, course)
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
                    quiz.typed_settings.attempts, allowance.extra_attempts if allowance else 0
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
        raise NotFound(_("There is no such quiz in this course."))
    return quiz


def get_attempt_in(course: Course, attempt_id: int) -> tuple[QuizAttempt, Quiz, User]:
    """An attempt at one of the course's quizzes by one of its students. :raises NotFound:"""
    row = db.session.execute(
        select(QuizAttempt, Quiz)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.id == attempt_id, Quiz.course_id == course.id)
    ).first()
    if row is None:
        raise NotFound(_("There is no such attempt in this course."))
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
    lifecycle.extend_open_attempt(student, quiz, extra_minutes, reason=reason, actor=actor)
    return override


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
        grade = answer.stored_grade
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

#: The attempts CSV's columns, in English; :func:`attempts_header` gives them in the reader's.
ATTEMPTS_HEADER = (
    N_("Name"),
    N_("E-mail"),
    N_("Quiz"),
    N_("Quiz title"),
    N_("Attempt"),
    N_("Status"),
    N_("Started at"),
    N_("Deadline"),
    N_("Submitted at"),
    N_("Closed at the deadline"),
    N_("Score"),
    N_("Max score"),
    N_("Percent"),
    N_("Answers to grade"),
)


def attempts_header() -> list[str]:
    """The attempts CSV's column names in the reader's language (a spreadsheet shows them).
    Call it while the request is there: the CSV body is written after the view returned."""
    return [_(name) for name in ATTEMPTS_HEADER]


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
            QuizAttempt.ungraded_answers,
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(Quiz.course_id == course.id, User.id.in_(ids), _not_staff(course))
        .order_by(User.display_name, User.id, Quiz.position, Quiz.id, QuizAttempt.number)
        .execution_options(yield_per=STREAM_BATCH)
    )
    for row in result:
        yield list(row)


# --- grading by a person (essays) ---------------------------------------------------------------


def awaiting_per_quiz(course: Course) -> list[tuple[Quiz, int]]:
    """The course's quizzes with attempts awaiting grading, and how many, in course order."""
    counts = Counter(entry.quiz.id for entry in grading.queue(course))
    quizzes_in_course = db.session.scalars(
        select(Quiz)
        .where(Quiz.course_id == course.id, Quiz.id.in_(counts))
        .order_by(Quiz.position, Quiz.id)
    ).all()
    return [(quiz, counts[quiz.id]) for quiz in quizzes_in_course]


def grading_items(attempt: QuizAttempt) -> list[dict[str, Any]]:
    """The attempt's answers a person grades: each with everything the grader needs (the
    student's text and word count, the word limits, model answer, rubric and current grade)."""
    specs = quizzes.question_specs((a.question_id, a.question_hash) for a in attempt.answers)
    items = []
    for answer in grading.person_graded(attempt, specs):
        spec = specs[(answer.question_id, answer.question_hash)]
        kind = QUESTION_TYPES[spec.type]
        review = kind.review(spec, answer.option_order, answer.response, answer.stored_grade)
        grader = db.session.get(User, answer.graded_by_id) if answer.graded_by_id else None
        items.append(
            {
                "answer": answer,
                "number": answer.position + 1,
                "review": review,
                "limits": kind.view(spec, answer.option_order),
                "grader": grader,
            }
        )
    return items


def next_to_grade(course: Course, quiz: Quiz, attempt: QuizAttempt) -> QuizAttempt | None:
    """The next attempt in the quiz's grading queue after ``attempt`` (or the first one)."""
    entries = [entry.attempt for entry in grading.queue(course, quiz)]
    later = [a for a in entries if a.id != attempt.id]
    if attempt in entries:
        index = entries.index(attempt)
        later = entries[index + 1 :] + entries[:index]
    return later[0] if later else None
