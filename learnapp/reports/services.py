"""Question reports: file one (students), list, close and reopen them (instructors).

Services flush and raise; routes commit. A student may report only a question of an attempt
they own; one open report per student and question is held by the database (a partial unique
index), so parallel posts make one row and the others get :class:`ReportExists`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from learnapp.audit import services as audit
from learnapp.auth.models import User
from learnapp.catalog.models import Course, Question, Quiz
from learnapp.database import utcnow
from learnapp.errors import Conflict, LearnAppError, NotFound
from learnapp.extensions import db
from learnapp.quizzes.models import Answer, QuizAttempt
from learnapp.reports.models import (
    CLOSED,
    COMMENT_MAX,
    NOTE_MAX,
    OPEN,
    REASONS,
    QuestionReport,
)

PAGE_SIZE = 50
STATUSES = ("open", "closed", "all")


class ReportExists(Conflict):
    """The student already has an open report on this question."""


class InvalidReport(LearnAppError):
    status = 400


# --- students -----------------------------------------------------------------------------


def attempt_of(user: User, attempt_id: int) -> QuizAttempt:
    """One of ``user``'s own attempts, open or submitted, to report a question from.

    :raises NotFound: for someone else's attempt, or one an instructor discarded (hidden from
        its student, as on the quiz pages).
    """
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id or attempt.status not in ("open", "submitted"):
        raise NotFound(_("There is no such attempt."))
    return attempt


def answer_in(attempt: QuizAttempt, answer_id: int | None) -> Answer:
    """The answer row (a question as drawn for the attempt) with this id.

    :raises NotFound: for an answer of another attempt.
    """
    answer = next((a for a in attempt.answers if a.id == answer_id), None)
    if answer is None:
        raise NotFound(_("This attempt has no such question."))
    return answer


def file_report(
    user: User,
    attempt: QuizAttempt,
    answer: Answer,
    reason: str,
    comment: str,
    now: datetime | None = None,
) -> QuestionReport:
    """Record ``user``'s report on the question of ``answer`` (their own attempt's).

    :raises InvalidReport: unknown reason, empty or overlong comment.
    :raises ReportExists: the student's earlier report on this question is still open.
    """
    comment = comment.strip()
    if reason not in REASONS:
        raise InvalidReport(_("Choose what is wrong with the question."))
    if not comment:
        raise InvalidReport(_("Please describe the problem in a comment."))
    if len(comment) > COMMENT_MAX:
        raise InvalidReport(_("Please keep the comment under %(max)d characters.", max=COMMENT_MAX))
    if open_report_of(user, answer.question_id) is not None:
        raise ReportExists(
            _("You have already reported this question; an instructor will look at your report.")
        )
    report = QuestionReport(
        question_id=answer.question_id,
        user_id=user.id,
        attempt_id=attempt.id,
        question_hash=answer.question_hash,
        reason=reason,
        comment=comment,
        status=OPEN,
        created_at=now or utcnow(),
        note="",
    )
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:
        # A parallel request filed it first (the partial unique index).
        raise ReportExists(
            _("You have already reported this question; an instructor will look at your report.")
        ) from None
    return report


def open_report_of(user: User, question_id: int) -> QuestionReport | None:
    return db.session.scalar(
        select(QuestionReport).where(
            QuestionReport.user_id == user.id,
            QuestionReport.question_id == question_id,
            QuestionReport.status == OPEN,
        )
    )


# Read on every quiz page: built once, run with bound parameters (no per-request building).
_REPORTS_FOR_ATTEMPT = (
    select(QuestionReport)
    .where(
        QuestionReport.user_id == bindparam("user_id"),
        QuestionReport.question_id.in_(
            select(Answer.question_id).where(Answer.attempt_id == bindparam("attempt_id"))
        ),
    )
    .order_by(QuestionReport.created_at, QuestionReport.id)
)


def reports_for_attempt(user: User, attempt_id: int) -> dict[int, QuestionReport]:
    """``user``'s latest report (an open one first) per question of one of their attempts."""
    reports = db.session.scalars(
        _REPORTS_FOR_ATTEMPT, {"user_id": user.id, "attempt_id": attempt_id}
    ).all()
    latest: dict[int, QuestionReport] = {}
    for report in reports:  # oldest first: later ones win, open ones win over closed ones
        known = latest.get(report.question_id)
        if known is None or report.is_open or not known.is_open:
            latest[report.question_id] = report
    return latest


# --- instructors --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    report: QuestionReport
    question: Question
    quiz: Quiz
    reporter: User | None
    handler: User | None


def _rows(statement) -> list[ReportRow]:  # type: ignore[no-untyped-def]
    handler = aliased(User)
    reporter = aliased(User)
    result = db.session.execute(
        statement.add_columns(reporter, handler)
        .outerjoin(reporter, reporter.id == QuestionReport.user_id)
        .outerjoin(handler, handler.id == QuestionReport.noted_by_id)
    ).all()
    return [ReportRow(r, q, z, u, h) for r, q, z, u, h in result]


def _base(course: Course):  # type: ignore[no-untyped-def]
    return (
        select(QuestionReport, Question, Quiz)
        .join(Question, Question.id == QuestionReport.question_id)
        .join(Quiz, Quiz.id == Question.quiz_id)
        .where(Question.course_id == course.id)
    )


def course_reports(course: Course, status: str, page: int) -> tuple[list[ReportRow], int]:
    """One page of the course's reports (``open``, ``closed`` or ``all``), newest first."""
    statement = _base(course)
    if status in (OPEN, CLOSED):
        statement = statement.where(QuestionReport.status == status)
    total = (
        db.session.scalar(
            select(func.count()).select_from(
                statement.with_only_columns(QuestionReport.id).subquery()
            )
        )
        or 0
    )
    page = max(page, 1)
    rows = _rows(
        statement.order_by(QuestionReport.created_at.desc(), QuestionReport.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return rows, total


def question_reports(question: Question) -> list[ReportRow]:
    """Every report on one question: open ones first, newest first."""
    statement = (
        select(QuestionReport, Question, Quiz)
        .join(Question, Question.id == QuestionReport.question_id)
        .join(Quiz, Quiz.id == Question.quiz_id)
        .where(QuestionReport.question_id == question.id)
        .order_by(
            case((QuestionReport.status == OPEN, 0), else_=1),
            QuestionReport.created_at.desc(),
            QuestionReport.id.desc(),
        )
    )
    return _rows(statement)


def report_counts(question_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """``question id -> (open reports, all reports)``, in one query."""
    ids = list(question_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            QuestionReport.question_id,
            func.sum(case((QuestionReport.status == OPEN, 1), else_=0)),
            func.count(QuestionReport.id),
        )
        .where(QuestionReport.question_id.in_(ids))
        .group_by(QuestionReport.question_id)
    ).all()
    return {qid: (int(open_count or 0), int(total)) for qid, open_count, total in rows}


def question_of(course: Course, question_slug: str) -> Question:
    """:raises NotFound: when the course has no such question."""
    question = db.session.scalar(
        select(Question).where(Question.course_id == course.id, Question.slug == question_slug)
    )
    if question is None:
        raise NotFound(_("This course has no such question."))
    return question


def report_of(course: Course, report_id: int) -> QuestionReport:
    """A report on one of the course's questions.

    :raises NotFound: for a missing report or one about another course's question.
    """
    report = db.session.scalar(
        select(QuestionReport)
        .join(Question, Question.id == QuestionReport.question_id)
        .where(QuestionReport.id == report_id, Question.course_id == course.id)
    )
    if report is None:
        raise NotFound(_("This course has no such report."))
    return report


def _check_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidReport(_("Please keep the note under %(max)d characters.", max=NOTE_MAX))
    return note


def close_report(
    report: QuestionReport, actor: User, note: str, now: datetime | None = None
) -> QuestionReport:
    """Close an open report with an optional note (the student sees it); audit-logged.

    :raises Conflict: the report is already closed.
    """
    note = _check_note(note)
    if not report.is_open:
        raise Conflict(_("This report is already closed."))
    now = now or utcnow()
    report.status = CLOSED
    report.closed_at = now
    report.note, report.noted_by_id, report.noted_at = note, actor.id, now
    audit.record(
        "question_report.closed",
        actor=actor,
        target=report,
        question_id=report.question_id,
        reporter_id=report.user_id,
        note=note,
    )
    db.session.flush()
    return report


def reopen_report(
    report: QuestionReport, actor: User, note: str, now: datetime | None = None
) -> QuestionReport:
    """Reopen a closed report; audit-logged.

    :raises Conflict: it is open already, or the student has filed a newer report on the same
        question that is open (one open report per student and question).
    """
    note = _check_note(note)
    if report.is_open:
        raise Conflict(_("This report is already open."))
    if report.user_id is not None:
        newer = db.session.scalar(
            select(QuestionReport.id).where(
                QuestionReport.user_id == report.user_id,
                QuestionReport.question_id == report.question_id,
                QuestionReport.status == OPEN,
            )
        )
        if newer is not None:
            raise Conflict(
                _("The student has a newer open report on this question; handle that one instead.")
            )
    now = now or utcnow()
    try:
        with db.session.begin_nested():
            report.status = OPEN
            report.closed_at = None
            report.note, report.noted_by_id, report.noted_at = note, actor.id, now
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _("The student has a newer open report on this question; handle that one instead.")
        ) from None
    audit.record(
        "question_report.reopened",
        actor=actor,
        target=report,
        question_id=report.question_id,
        reporter_id=report.user_id,
        note=note,
    )
    db.session.flush()
    return report
