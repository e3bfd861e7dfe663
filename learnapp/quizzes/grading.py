"""Grading by a person: the answers a machine cannot grade (essays), and their attempts.

A submitted attempt with such answers is *awaiting grading* (``QuizAttempt.ungraded_answers``
above 0): the other answers are scored at once, ``score`` holds the points so far and
``percent`` stays None, so progress, completion and certificates wait. Grading an answer is a
conditional UPDATE (``needs_grading`` still true), so two instructors grading the same answer
at once grade it once: the second is told and may regrade, with a reason. Each first grade
decrements the attempt's count in one UPDATE; the database serialises them, so exactly one
grade takes it to 0, and that one finalises the score and runs the completion step, once.

A regrade changes the points and comment later; its reason goes to the audit log. Services
here never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from learnapp.audit import services as audit
from learnapp.auth.models import User
from learnapp.catalog.models import Course, Quiz
from learnapp.content.render import plain_text_to_html
from learnapp.database import utcnow
from learnapp.errors import Conflict
from learnapp.extensions import db
from learnapp.quizzes import rules
from learnapp.quizzes.models import SUBMITTED, Answer, QuizAttempt
from learnapp.quizzes.questions import QUESTION_TYPES, Grade, QuestionSpec

#: Longest grader comment kept.
MAX_COMMENT = 5000


class GradingRefused(Conflict):
    """A grade that cannot be saved as asked (a message the grader can act on)."""


@dataclass(frozen=True)
class QueueEntry:
    attempt: QuizAttempt
    quiz: Quiz
    student: User


def awaiting_counts(course_ids: Iterable[int]) -> dict[int, int]:
    """Attempts awaiting grading per course id (courses with none are left out)."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Quiz.course_id, func.count(QuizAttempt.id))
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            Quiz.course_id.in_(ids),
            QuizAttempt.status == SUBMITTED,
            QuizAttempt.ungraded_answers > 0,
        )
        .group_by(Quiz.course_id)
    ).all()
    return {course_id: count for course_id, count in rows}


def queue(course: Course, quiz: Quiz | None = None) -> list[QueueEntry]:
    """Attempts awaiting grading in ``course`` (or one of its quizzes), oldest submission first,
    as Moodle and Canvas list them."""
    query = (
        select(QuizAttempt, Quiz, User)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(
            Quiz.course_id == course.id,
            QuizAttempt.status == SUBMITTED,
            QuizAttempt.ungraded_answers > 0,
        )
        .order_by(QuizAttempt.submitted_at, QuizAttempt.id)
    )
    if quiz is not None:
        query = query.where(Quiz.id == quiz.id)
    return [QueueEntry(a, q, u) for a, q, u in db.session.execute(query).all()]


def person_graded(
    attempt: QuizAttempt, specs: Mapping[tuple[int, str], QuestionSpec]
) -> list[Answer]:
    """The attempt's answers of types a person grades, in question order."""
    return [
        answer
        for answer in attempt.answers
        if QUESTION_TYPES[specs[(answer.question_id, answer.question_hash)].type].is_manual
    ]


def grade_answer(
    answer: Answer,
    spec: QuestionSpec,
    *,
    grader: User,
    levels: Mapping[str, object],
    points: object,
    comment: str,
    reason: str = "",
    now: datetime | None = None,
) -> bool:
    """Save a person's grade of ``answer`` (first grade, or a regrade with ``reason``).

    Returns True when this grade made the attempt's score final (the completion step has then
    run, in the caller's transaction).

    :raises GradingRefused: the grade is invalid, the attempt is not submitted, a regrade has
        no reason, or another grader saved a first grade of this answer meanwhile.
    """
    now = now or utcnow()
    kind = QUESTION_TYPES.get(spec.type)
    attempt = answer.attempt
    if kind is None or not kind.is_manual:
        raise GradingRefused(_("This question is graded automatically."))
    if attempt.status != SUBMITTED:
        raise GradingRefused(_("Only a submitted attempt can be graded."))
    try:
        result = kind.grade_by_person(spec, levels, points)
    except ValueError as exc:
        raise GradingRefused(str(exc)) from None
    comment = comment.strip()[:MAX_COMMENT]
    feedback = [plain_text_to_html(comment)] if comment else []
    values = {
        "points": result.points,
        "feedback": feedback,
        "grade_detail": dict(result.detail),
        "graded_by_id": grader.id,
        "graded_at": now,
        "needs_grading": False,
    }
    if answer.needs_grading:
        return _first_grade(answer, attempt, values, result, grader)
    if answer.graded_at is None:
        raise GradingRefused(_("This answer needs no grading (it was left blank)."))
    return _regrade(answer, attempt, values, result, grader, reason.strip())


def _first_grade(
    answer: Answer, attempt: QuizAttempt, values: dict[str, object], result: Grade, grader: User
) -> bool:
    claimed = db.session.execute(
        update(Answer)
        .where(Answer.id == answer.id, Answer.needs_grading.is_(True))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(answer)
        raise GradingRefused(
            _(
                "Another grader graded this answer a moment ago: their grade is shown. To"
                " change it, regrade with a reason."
            )
        )
    # Rows locked in a fixed order (answer, then attempt): the decrements queue on the attempt
    # row, and the one that reaches 0 reads 0 below, after every other grade committed.
    db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.ungraded_answers > 0)
        .values(
            ungraded_answers=QuizAttempt.ungraded_answers - 1,
            score=QuizAttempt.score + result.points,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(answer)
    db.session.refresh(attempt)
    audit.record(
        "answer.graded",
        actor=grader,
        target_type="answer",
        target_id=answer.id,
        attempt=attempt.id,
        user_id=attempt.user_id,
        points=str(result.points),
    )
    if attempt.ungraded_answers != 0:
        return False
    attempt.percent = rules.percent(attempt.score or Decimal(0), attempt.max_score)
    db.session.flush()
    _complete(attempt, first=True)
    return True


def _regrade(
    answer: Answer,
    attempt: QuizAttempt,
    values: dict[str, object],
    result: Grade,
    grader: User,
    reason: str,
) -> bool:
    if not reason:
        raise GradingRefused(_("Give a reason for changing the grade (kept in the audit log)."))
    old = answer.points or Decimal(0)
    db.session.execute(
        update(Answer)
        .where(Answer.id == answer.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id)
        .values(score=QuizAttempt.score + (result.points - old))
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(answer)
    db.session.refresh(attempt)
    audit.record(
        "answer.regraded",
        actor=grader,
        target_type="answer",
        target_id=answer.id,
        attempt=attempt.id,
        user_id=attempt.user_id,
        old_points=str(old),
        points=str(result.points),
        reason=reason,
    )
    if attempt.ungraded_answers:
        return False
    attempt.percent = rules.percent(attempt.score or Decimal(0), attempt.max_score)
    db.session.flush()
    # A regrade that completes the course issues the certificate (once: the completion step is
    # idempotent); a lower grade does not revoke one already issued, as in the gradebook.
    _complete(attempt, first=False)
    return False


def recompute(answer: Answer, spec: QuestionSpec) -> None:
    """Re-score a person's stored grade against ``spec`` (a quiz regrade after an edit)."""
    kind = QUESTION_TYPES[spec.type]
    detail = answer.grade_detail or {}
    try:
        result = kind.grade_by_person(spec, detail.get("levels") or {}, detail.get("points"))
    except ValueError:
        # The rubric changed shape since: the answer goes back to the grading queue.
        answer.points = None
        answer.needs_grading = True
        answer.graded_at = None
        answer.grade_detail = None
        answer.max_points = Decimal(spec.points)
        return
    answer.points = result.points
    answer.max_points = result.max_points
    answer.needs_grading = False


def _complete(attempt: QuizAttempt, *, first: bool) -> None:
    """The attempt's score became final (``first``) or changed after: run the attempt
    lifecycle's one completion step. Practice is scheduled only the first time (a regrade
    would reset the student's practice boxes); the certificate check runs each time."""
    # Imported here: the lifecycle imports this module to regrade stored grades.
    from learnapp.quizzes import lifecycle

    user = db.session.get(User, attempt.user_id)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    course = db.session.get(Course, quiz.course_id) if quiz is not None else None
    if user is None or course is None:
        return
    lifecycle.complete(user, course, graded=attempt if first else None)
