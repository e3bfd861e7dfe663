"""Everything that happens to an attempt, and the one step that follows completion.

An attempt is started, saved, checked (``review: immediately``), submitted, closed when its
deadline (plus grace) has passed, reopened or discarded by staff, given a manual score on its
quiz, and regraded after a key fix. Each of those lives here and nowhere else.

Closing an overdue attempt has four triggers and one implementation (:func:`_submit`, the same
as a submit): ``flask quizzes close-overdue`` and the periodic job (:func:`close_overdue`), the
student opening one of its pages (:func:`close_if_overdue`, which the page runs in its own short
write transaction), their next save (:func:`save_answers`) and a submit after the deadline.

**The completion step** (:func:`complete`) runs inside the transaction that graded an attempt
or recorded a lesson completion, so its effects commit with the fact that caused them or not at
all: it schedules spaced practice for the graded attempt, then issues the certificate if the
course is now complete. Apart from the manual award by staff, nothing else issues certificates,
so no path that completes a course (the closing job included, with the job queue down) can
forget it.

Services flush and raise; routes and commands commit. What must happen once is held by the
database on SQLite and PostgreSQL alike: grading is a conditional UPDATE of an open attempt
(``WHERE status = 'open'``), a save claims the page's sequence number the same way, attempt
numbers and "one open attempt per student and quiz" are unique indexes, and one certificate per
student and course is a unique constraint.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from learnapp.audit import services as audit
from learnapp.auth.models import User
from learnapp.catalog.models import Course, Quiz
from learnapp.certificates import services as certificates
from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.errors import Conflict, LearnAppError
from learnapp.extensions import db
from learnapp.mail import notices
from learnapp.progress.services import CourseProgress
from learnapp.quizzes import grading, practice, rules
from learnapp.quizzes.models import (
    DISCARDED,
    OPEN,
    SUBMITTED,
    Answer,
    PracticeItem,
    QuizAttempt,
    ScoreOverride,
)
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec
from learnapp.quizzes.questions import grade as grade_answer
from learnapp.quizzes.services import (
    allowed_attempts,
    attempts_used,
    current_questions,
    open_attempt,
    override_for,
    question_specs,
    review_scope,
)


class QuizClosed(LearnAppError):
    status = 403


class AttemptLimitReached(LearnAppError):
    status = 409


class AttemptClosed(Conflict):
    """The attempt was already submitted (or closed at its deadline)."""


class StalePage(Conflict):
    """A page older than the latest save was posted (back button, replay, second tab)."""


class ActionRefused(Conflict):
    """A staff fix that cannot be applied to the attempt or student as they are now."""


# --- the completion step ---------------------------------------------------------------------


def complete(
    user: User,
    course: Course,
    *,
    graded: QuizAttempt | None = None,
    state: CourseProgress | None = None,
    now: datetime | None = None,
) -> Certificate | None:
    """What follows a graded attempt or a completed lesson, in the caller's transaction.

    ``graded``: the attempt whose score just became final, whose missed questions go into
    spaced practice (only those whose key the student may see now: practice shows it; and only
    those a machine grades: an essay has no key to practise against). For an attempt with
    essays that is when the last essay is graded (``quizzes.grading``), not at the submit.
    Then the certificate, if the
    course is now complete (``state``: the student's progress, when the caller has it). Returns
    the certificate issued now, or None. A second run issues no second certificate (one per
    student and course is a unique constraint), so it is safe to run again.
    """
    now = now or utcnow()
    if graded is not None:
        quiz = db.session.get(Quiz, graded.quiz_id)
        if quiz is not None and review_scope(graded, quiz, now).show_correct:
            specs = question_specs(map(_key, graded.answers))
            _schedule_practice(
                graded.user_id,
                [a for a in graded.answers if not QUESTION_TYPES[specs[_key(a)].type].is_manual],
                now,
            )
    return certificates.issue_if_complete(user, course, state)


def _complete_after_grading(attempt: QuizAttempt, now: datetime) -> Certificate | None:
    user = db.session.get(User, attempt.user_id)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    course = db.session.get(Course, quiz.course_id) if quiz is not None else None
    if user is None or course is None:
        return None
    return complete(user, course, graded=attempt, now=now)


def _schedule_practice(user_id: int, answers: list[Answer], now: datetime) -> None:
    """Questions answered wrongly go into the student's spaced practice set (box 1, due now),
    in three statements whatever their number: a 500-student exam submits in one wave."""
    missed = list(
        dict.fromkeys(
            a.question_id
            for a in answers
            if not (a.points is not None and a.points >= a.max_points)
        )
    )
    if not missed:
        return
    box, due = practice.schedule(None, False, now)
    known = db.session.scalars(
        select(PracticeItem).where(
            PracticeItem.user_id == user_id, PracticeItem.question_id.in_(missed)
        )
    ).all()
    for item in known:
        item.box, item.due_at = box, due
    scheduled = {item.question_id for item in known}
    new = [
        {"user_id": user_id, "question_id": question_id, "box": box, "due_at": due}
        for question_id in missed
        if question_id not in scheduled
    ]
    if not new:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(PracticeItem), new)
    except IntegrityError:  # a parallel request scheduled some: add the others one by one
        for values in new:
            try:
                with db.session.begin_nested():
                    db.session.execute(insert(PracticeItem), [values])
            except IntegrityError:
                pass


# --- starting --------------------------------------------------------------------------------


def start_attempt(user: User, quiz: Quiz, now: datetime | None = None) -> QuizAttempt:
    """Return the student's open attempt, or start the next one (closing an overdue one first).

    :raises QuizClosed: outside the quiz's open and close dates.
    :raises AttemptLimitReached: no attempts left.
    """
    now = now or utcnow()
    settings = quiz.typed_settings
    if (current := open_attempt(user.id, quiz.id)) is not None:
        if close_if_overdue(current, now):
            db.session.flush()
        else:
            return current
    if not rules.is_open(now, settings.opens_at, settings.closes_at):
        raise QuizClosed(_("This quiz is not open now."))
    allowed = allowed_attempts(user.id, quiz)
    if allowed is not None and attempts_used(user.id, quiz.id) >= allowed:
        raise AttemptLimitReached(_("You have used every attempt at this quiz."))
    # Numbers go on past discarded attempts; two parallel starts still compute the same
    # number, so the unique (user, quiz, number) lets only one of them through.
    last_number = (
        db.session.scalar(
            select(func.max(QuizAttempt.number)).where(
                QuizAttempt.user_id == user.id, QuizAttempt.quiz_id == quiz.id
            )
        )
        or 0
    )
    override = override_for(user.id, quiz.id)
    attempt = QuizAttempt(
        user_id=user.id,
        quiz_id=quiz.id,
        number=last_number + 1,
        status=OPEN,
        started_at=now,
        deadline_at=rules.deadline(
            now,
            settings.time_limit,
            override.extra_minutes if override else 0,
            settings.closes_at,
        ),
        token_nonce=secrets.token_hex(16),
    )
    questions = current_questions(quiz)
    specs = [QuestionSpec.from_dict(q.spec) for q in questions]
    by_slug = {q.slug: q for q in questions}
    plan = rules.plan_attempt(specs, settings, random.SystemRandom())
    planned = {p.question_id for p in plan}
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            for position, item in enumerate(plan):
                question = by_slug[item.question_id]
                db.session.add(
                    Answer(
                        attempt_id=attempt.id,
                        question_id=question.id,
                        position=position,
                        question_hash=question.content_hash,
                        option_order=list(item.choice_order),
                        max_points=Decimal(question.points),
                    )
                )
            attempt.max_score = sum(
                (Decimal(q.points) for q in questions if q.slug in planned), Decimal(0)
            )
    except IntegrityError:
        # Another request started (or used up) the same attempt number first.
        existing = open_attempt(user.id, quiz.id)
        if existing is not None:
            return existing
        raise AttemptLimitReached(_("You have used every attempt at this quiz.")) from None
    return attempt


# --- answering -------------------------------------------------------------------------------


def save_answers(
    attempt: QuizAttempt,
    responses: dict[int, Any],
    sequence: int,
    now: datetime | None = None,
) -> int:
    """Store ``responses`` (answer id -> JSON value) if ``sequence`` is the latest page.

    Returns the new sequence number. The claim of the sequence number returns the new number
    (``RETURNING``), so a save is one UPDATE of the attempt plus one batch of answer UPDATEs.

    :raises AttemptClosed: the attempt is submitted, or its deadline (plus grace) has passed,
        in which case it is closed now with what was saved before (and completed).
    :raises StalePage: a newer save happened since this page was served.
    """
    now = now or utcnow()
    if close_if_overdue(attempt, now):
        raise AttemptClosed(
            _("Time is up: the attempt was submitted with the answers saved before.")
        )
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.id == attempt.id,
            QuizAttempt.status == OPEN,
            QuizAttempt.sequence == sequence,
        )
        .values(sequence=QuizAttempt.sequence + 1)
        .returning(QuizAttempt.sequence)
        .execution_options(synchronize_session=False)
    ).scalar()
    if claimed is None:
        db.session.refresh(attempt)
        if not attempt.is_open:
            raise AttemptClosed(_("This attempt was already submitted."))
        raise StalePage(
            _(
                "This page is out of date: your answers were saved from a newer page. "
                "Nothing was overwritten; please continue on the current page."
            )
        )
    answers = {a.id: a for a in attempt.answers}
    for answer_id, value in responses.items():
        answer = answers.get(answer_id)
        if answer is None or answer.is_locked:
            continue
        answer.response = value
        answer.saved_at = now
    db.session.flush()
    # The row holds ``claimed`` now: record it as loaded, without reading the row back.
    set_committed_value(attempt, "sequence", claimed)
    return claimed


def check_answer(attempt: QuizAttempt, answer: Answer, now: datetime | None = None) -> None:
    """Lock and grade one answer (quizzes with ``review: immediately``)."""
    quiz = db.session.get(Quiz, attempt.quiz_id)
    if quiz is None or quiz.typed_settings.review != "immediately" or answer.is_locked:
        return
    if not attempt.is_open or close_if_overdue(attempt, now or utcnow()):
        raise AttemptClosed(_("This attempt is closed."))
    _grade(answer, question_specs([(answer.question_id, answer.question_hash)])[_key(answer)])
    answer.is_locked = True


def _key(answer: Answer) -> tuple[int, str]:
    return (answer.question_id, answer.question_hash)


def _grade(answer: Answer, spec: QuestionSpec) -> None:
    """Grade ``answer`` automatically, or mark it for a person to grade (``needs_grading``).

    An answer a person already graded keeps that grade, recomputed against ``spec`` (a regrade
    after a course edit), with the grader's comment.
    """
    kind = QUESTION_TYPES.get(spec.type)
    if kind is not None and kind.is_manual and answer.graded_at is not None:
        grading.recompute(answer, spec)
        return
    result = grade_answer(spec, answer.response)
    answer.points = None if result.pending else result.points
    answer.needs_grading = result.pending
    answer.max_points = result.max_points
    answer.feedback = list(result.feedback)


def _grade_all(answers: Iterable[Answer], specs: dict[tuple[int, str], QuestionSpec]) -> None:
    for answer in answers:
        _grade(answer, specs[_key(answer)])


def _score(attempt: QuizAttempt) -> None:
    """The attempt's score from its graded answers: final (with a percent) once no answer
    awaits a person; otherwise the points so far, the number awaiting, and no percent, so
    progress, completion and certificates wait for the grader."""
    attempt.score = sum((a.points or Decimal(0) for a in attempt.answers), Decimal(0))
    attempt.ungraded_answers = sum(1 for a in attempt.answers if a.needs_grading)
    attempt.percent = (
        None if attempt.ungraded_answers else rules.percent(attempt.score, attempt.max_score)
    )


# --- submitting and closing ------------------------------------------------------------------


def submit_attempt(attempt: QuizAttempt, now: datetime | None = None) -> Certificate | None:
    """Grade the attempt exactly once and complete it; a repeated submit changes nothing.

    After the deadline (plus grace) the attempt is closed as the deadline would have closed
    it. Returns the certificate this submission earned, if any.
    """
    return _submit(attempt, now or utcnow())[1]


def _submit(attempt: QuizAttempt, now: datetime) -> tuple[bool, Certificate | None]:
    """Claim, grade and complete ``attempt``; (False, None) if another request or host had
    claimed it (the claim is a conditional UPDATE, so exactly one caller grades and completes).
    """
    submitted_at = now
    closed_by_deadline = False
    if attempt.deadline_at is not None and rules.is_past_deadline(now, attempt.deadline_at):
        submitted_at, closed_by_deadline = attempt.deadline_at, True
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == OPEN)
        .values(
            status=SUBMITTED, submitted_at=submitted_at, was_closed_by_deadline=closed_by_deadline
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if claimed != 1:
        return False, None  # graded by an earlier request
    _grade_all(attempt.answers, question_specs(map(_key, attempt.answers)))
    _score(attempt)
    db.session.flush()
    if attempt.ungraded_answers:
        return True, None  # completed when a person grades the last essay (quizzes.grading)
    certificate = _complete_after_grading(attempt, now)
    db.session.flush()
    return True, certificate


def is_overdue(attempt: QuizAttempt, now: datetime) -> bool:
    """Open, and past its deadline plus grace: the next thing to happen to it is closing."""
    return (
        attempt.is_open
        and attempt.deadline_at is not None
        and rules.is_past_deadline(now, attempt.deadline_at)
    )


def close_if_overdue(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """Close (grade and complete) an open attempt whose deadline plus grace has passed; True
    if it is now closed, by this call or, a moment earlier, by another request.

    A page (GET) that finds its attempt overdue calls this in a write transaction of its own,
    begun after ending the page's read transaction (see ``quizzes.routes``).
    """
    now = now or utcnow()
    if is_overdue(attempt, now):
        _submit(attempt, now)
        return True
    return False


def close_overdue(now: datetime | None = None) -> list[QuizAttempt]:
    """Close every open attempt past its deadline (``flask quizzes close-overdue``, the periodic
    job), each completed in this same transaction. Returns only the attempts this call closed:
    when several hosts run it at once, each attempt is returned by exactly one of them."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.status == OPEN, QuizAttempt.deadline_at.is_not(None))
    ).all()
    return [a for a in overdue if is_overdue(a, now) and _submit(a, now)[0]]


# --- staff fixes -----------------------------------------------------------------------------


def extend_open_attempt(
    student: User, quiz: Quiz, extra_minutes: int, *, reason: str, actor: User
) -> None:
    """Give the student's open attempt the extra time just granted (never shortening it)."""
    attempt = open_attempt(student.id, quiz.id)
    if attempt is None or attempt.deadline_at is None:
        return
    settings = quiz.typed_settings
    longer = rules.deadline(
        attempt.started_at, settings.time_limit, extra_minutes, settings.closes_at
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


def reopen_attempt(
    attempt: QuizAttempt,
    quiz: Quiz,
    *,
    reason: str,
    actor: User,
    minutes: int | None = None,
    now: datetime | None = None,
) -> QuizAttempt:
    """Open a submitted attempt again with its saved answers and a new deadline; its score no
    longer counts until it is submitted (and graded, once) again.

    :raises ActionRefused: the attempt is not submitted, the student has another attempt open,
        or the quiz has closed and no ``minutes`` were given.
    """
    now = now or utcnow()
    if not attempt.is_submitted:
        raise ActionRefused(_("Only a submitted attempt can be reopened."))
    if minutes is not None:
        deadline = now + timedelta(minutes=minutes)
    else:
        settings = quiz.typed_settings
        override = override_for(attempt.user_id, quiz.id)
        deadline = rules.deadline(
            now,
            settings.time_limit,
            override.extra_minutes if override else 0,
            settings.closes_at,
        )
        if deadline is not None and deadline <= now:
            raise ActionRefused(
                _("The quiz has closed: give the number of minutes the student gets to finish.")
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
                    ungraded_answers=0,
                    deadline_at=deadline,
                    # Pages served before the reopening are stale.
                    sequence=QuizAttempt.sequence + 1,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError:
        raise ActionRefused(
            _(
                "The student has another attempt open at this quiz; it must be submitted or "
                "discarded first."
            )
        ) from None
    db.session.refresh(attempt)
    if claimed != 1:
        raise ActionRefused(_("This attempt changed meanwhile; reload the page and try again."))
    # The student may rewrite an essay: a grade given to the old text no longer holds.
    db.session.execute(
        update(Answer)
        .where(Answer.attempt_id == attempt.id)
        .values(needs_grading=False, graded_at=None, graded_by_id=None, grade_detail=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(attempt, ["answers"])
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
    """Discard an open or submitted attempt: kept for the record, it no longer counts anywhere
    (the student gets the attempt back) and can never be graded again.

    :raises ActionRefused: it was discarded already (or changed meanwhile).
    """
    previous = attempt.status
    if attempt.is_discarded:
        raise ActionRefused(_("This attempt is already discarded."))
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == previous)
        .values(status=DISCARDED, sequence=QuizAttempt.sequence + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if claimed != 1:
        raise ActionRefused(_("This attempt changed meanwhile; reload the page and try again."))
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


def _score_override(student: User, quiz: Quiz) -> ScoreOverride | None:
    return db.session.scalar(
        select(ScoreOverride).where(
            ScoreOverride.user_id == student.id, ScoreOverride.quiz_id == quiz.id
        )
    )


def set_manual_score(
    student: User, quiz: Quiz, percent: Decimal, *, reason: str, actor: User
) -> Certificate | None:
    """Set the score that counts for ``student`` on ``quiz`` by hand (0-100), then complete:
    a manual pass may complete the course as a graded attempt would. Returns the certificate
    issued now, if any.

    :raises ActionRefused: the percentage is out of range.
    """
    if not Decimal(0) <= percent <= Decimal(100):
        raise ActionRefused(_("A score is a percentage from 0 to 100."))
    percent = Decimal(percent).quantize(rules.PERCENT_QUANTUM)
    row = _score_override(student, quiz)
    old = row.percent if row else None
    if row is None:
        try:
            with db.session.begin_nested():
                row = ScoreOverride(user_id=student.id, quiz_id=quiz.id, percent=percent, reason="")
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # set by a parallel request: update that row
            row = _score_override(student, quiz)
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
    if old != percent:  # the same score again tells nobody
        notices.score_set(student, quiz, percent, row.set_at)
    course = db.session.get(Course, quiz.course_id)
    return complete(student, course) if course is not None else None


def clear_manual_score(student: User, quiz: Quiz, *, reason: str, actor: User) -> bool:
    """Remove the manual score: the attempts' score counts again. False if there was none."""
    row = _score_override(student, quiz)
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


def regrade_quiz(quiz: Quiz) -> list[tuple[QuizAttempt, Decimal | None, Decimal | None]]:
    """Re-score every submitted attempt with the questions' current versions, then complete
    each student whose score changed (a fixed key may complete their course).

    Returns (attempt, old score, new score) for each attempt whose score changed.
    """
    current = {q.id: q for q in current_questions(quiz)}
    specs: dict[tuple[int, str], QuestionSpec] = {}  # shared by every attempt of the quiz
    changed = []
    for attempt in db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == SUBMITTED)
        .options(selectinload(QuizAttempt.answers))
    ):
        old = attempt.score
        for answer in attempt.answers:
            if answer.question_id in current:
                answer.question_hash = current[answer.question_id].content_hash
        specs.update(question_specs(k for k in map(_key, attempt.answers) if k not in specs))
        _grade_all(attempt.answers, specs)
        attempt.max_score = sum((a.max_points for a in attempt.answers), Decimal(0))
        _score(attempt)
        if old != attempt.score:
            changed.append((attempt, old, attempt.score))
    db.session.flush()
    course = db.session.get(Course, quiz.course_id)
    if course is not None:
        for user_id in dict.fromkeys(attempt.user_id for attempt, _old, _new in changed):
            student = db.session.get(User, user_id)
            if student is not None:
                complete(student, course)
    db.session.flush()
    return changed
