"""Attempt rules: start, save, check, submit, close overdue, review and regrade.

Services flush and raise; routes and CLI commands commit. Every state change that must happen
once is a conditional UPDATE (``WHERE status = 'open'``, ``WHERE sequence = :seen``) or an
insert guarded by a unique constraint, so it holds across processes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from learnapp.auth.models import User
from learnapp.catalog.models import Question, QuestionVersion, Quiz
from learnapp.database import utcnow
from learnapp.errors import Conflict, LearnAppError, NotFound
from learnapp.extensions import db
from learnapp.quizzes import practice, rules
from learnapp.quizzes.models import (
    DISCARDED,
    OPEN,
    SUBMITTED,
    Answer,
    PracticeItem,
    QuizAttempt,
    QuizOverride,
)
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec
from learnapp.quizzes.questions import grade as grade_answer


class QuizClosed(LearnAppError):
    status = 403


class AttemptLimitReached(LearnAppError):
    status = 409


class AttemptClosed(Conflict):
    """The attempt was already submitted (or closed at its deadline)."""


class StalePage(Conflict):
    """A page older than the latest save was posted (back button, replay, second tab)."""


# --- lookups ------------------------------------------------------------------------------


def get_attempt_for(user: User, attempt_id: int) -> QuizAttempt:
    """The attempt if it belongs to ``user``; 404 otherwise (never reveal others' attempts).

    A discarded attempt is no longer the student's: it is kept for instructors only.
    """
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound("There is no such attempt.")
    if attempt.is_discarded:
        raise NotFound(
            "This attempt was discarded by an instructor and no longer counts. "
            "You can start again from the quiz page."
        )
    return attempt


def attempts_for(user: User, quiz: Quiz) -> list[QuizAttempt]:
    """The student's attempts at ``quiz`` in order, without discarded ones."""
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.user_id == user.id,
                QuizAttempt.quiz_id == quiz.id,
                QuizAttempt.status != DISCARDED,
            )
            .order_by(QuizAttempt.number)
        )
    )


def attempts_used(user_id: int, quiz_id: int) -> int:
    """Attempts that count towards the limit: every attempt but discarded ones."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(QuizAttempt)
            .where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.quiz_id == quiz_id,
                QuizAttempt.status != DISCARDED,
            )
        )
        or 0
    )


def override_for(user_id: int, quiz_id: int) -> QuizOverride | None:
    return db.session.scalar(
        select(QuizOverride).where(QuizOverride.user_id == user_id, QuizOverride.quiz_id == quiz_id)
    )


def grant_override(
    user: User,
    quiz: Quiz,
    extra_minutes: int,
    extra_attempts: int,
    reason: str,
    *,
    actor: User | None = None,
) -> QuizOverride:
    """Give ``user`` extra time or attempts on ``quiz``; one override per student and quiz."""
    from learnapp.audit import services as audit

    override = override_for(user.id, quiz.id)
    if override is None:
        override = QuizOverride(user_id=user.id, quiz_id=quiz.id)
        db.session.add(override)
    override.extra_minutes = extra_minutes
    override.extra_attempts = extra_attempts
    override.reason = reason
    override.granted_by_id = actor.id if actor else None
    audit.record(
        "quiz.override_granted",
        actor=actor,
        target=quiz,
        user_id=user.id,
        extra_minutes=extra_minutes,
        extra_attempts=extra_attempts,
        reason=reason,
    )
    db.session.flush()
    return override


def allowed_attempts(user_id: int, quiz: Quiz) -> int | None:
    override = override_for(user_id, quiz.id)
    return rules.attempts_allowed(
        quiz.settings.get("attempts"), override.extra_attempts if override else 0
    )


def _aware(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def opens_at(quiz: Quiz) -> datetime | None:
    return _aware(quiz.settings.get("opens_at"))


def closes_at(quiz: Quiz) -> datetime | None:
    return _aware(quiz.settings.get("closes_at"))


def question_spec(question_id: int, content_hash: str) -> QuestionSpec:
    """The version of a question an answer was given against."""
    return question_specs([(question_id, content_hash)])[(question_id, content_hash)]


def question_specs(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], QuestionSpec]:
    """The versions of many questions, keyed by (question id, content hash), in one query.

    Use this wherever a page or service loops over an attempt's answers, so the cost does not
    grow with the number of questions. A second query runs only for versions missing from
    ``question_versions`` (written at sync), which fall back to the question's current spec.
    """
    keys = set(pairs)
    if not keys:
        return {}
    stored = {
        (question_id, content_hash): spec
        for question_id, content_hash, spec in db.session.execute(
            select(
                QuestionVersion.question_id, QuestionVersion.content_hash, QuestionVersion.spec
            ).where(tuple_(QuestionVersion.question_id, QuestionVersion.content_hash).in_(keys))
        )
    }
    if missing := keys - stored.keys():
        current = dict(
            db.session.execute(
                select(Question.id, Question.spec).where(
                    Question.id.in_({question_id for question_id, _hash in missing})
                )
            ).all()
        )
        for key in missing:
            stored[key] = current[key[0]]
    return {key: QuestionSpec.from_dict(spec) for key, spec in stored.items()}


# --- starting -----------------------------------------------------------------------------


def start_attempt(user: User, quiz: Quiz, now: datetime | None = None) -> QuizAttempt:
    """Return the student's open attempt, or start the next one.

    :raises QuizClosed: outside the quiz's open and close dates.
    :raises AttemptLimitReached: no attempts left.
    """
    now = now or utcnow()
    if (current := _open_attempt(user, quiz)) is not None:
        if _close_if_overdue(current, now):
            db.session.flush()
        else:
            return current
    if not rules.is_open(now, opens_at(quiz), closes_at(quiz)):
        raise QuizClosed("This quiz is not open now.")
    allowed = allowed_attempts(user.id, quiz)
    used = attempts_used(user.id, quiz.id)
    if allowed is not None and used >= allowed:
        raise AttemptLimitReached("You have used every attempt at this quiz.")
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
            quiz.settings.get("time_limit"),
            override.extra_minutes if override else 0,
            closes_at(quiz),
        ),
        token_nonce=secrets.token_hex(16),
    )
    questions = current_questions(quiz)
    specs = [QuestionSpec.from_dict(q.spec) for q in questions]
    by_slug = {q.slug: q for q in questions}
    plan = rules.plan_attempt(specs, quiz.settings, random.SystemRandom())
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            for position, planned in enumerate(plan):
                question = by_slug[planned.question_id]
                db.session.add(
                    Answer(
                        attempt_id=attempt.id,
                        question_id=question.id,
                        position=position,
                        question_hash=question.content_hash,
                        option_order=list(planned.choice_order),
                        max_points=Decimal(question.points),
                    )
                )
            attempt.max_score = sum(
                (Decimal(q.points) for q in questions if q.slug in {p.question_id for p in plan}),
                Decimal(0),
            )
    except IntegrityError:
        # Another request started (or used up) the same attempt number first.
        existing = _open_attempt(user, quiz)
        if existing is not None:
            return existing
        raise AttemptLimitReached("You have used every attempt at this quiz.") from None
    return attempt


def current_questions(quiz: Quiz) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.quiz_id == quiz.id, Question.is_retired.is_(False))
            .order_by(Question.position)
        )
    )


def _open_attempt(user: User, quiz: Quiz) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.status == OPEN,
        )
    )


# --- the per-attempt token ----------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="learnapp.attempt-token")


def attempt_token(attempt: QuizAttempt) -> str:
    """A token that can save answers to this open attempt only, even without a session."""
    return _serializer().dumps({"a": attempt.id, "n": attempt.token_nonce})


def attempt_from_token(token: str, attempt_id: int) -> QuizAttempt | None:
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("a") != attempt_id:
        return None
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or not secrets.compare_digest(str(payload.get("n")), attempt.token_nonce):
        return None
    return attempt


# --- answering ----------------------------------------------------------------------------


def save_answers(
    attempt: QuizAttempt,
    responses: dict[int, Any],
    sequence: int,
    now: datetime | None = None,
) -> int:
    """Store ``responses`` (answer id -> JSON value) if ``sequence`` is the latest page.

    Returns the new sequence number.

    :raises AttemptClosed: the attempt is submitted, or its deadline (plus grace) has passed,
        in which case it is closed now with what was saved before.
    :raises StalePage: a newer save happened since this page was served.
    """
    now = now or utcnow()
    if _close_if_overdue(attempt, now):
        raise AttemptClosed("Time is up: the attempt was submitted with the answers saved before.")
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.id == attempt.id,
            QuizAttempt.status == OPEN,
            QuizAttempt.sequence == sequence,
        )
        .values(sequence=QuizAttempt.sequence + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(attempt)
        if not attempt.is_open:
            raise AttemptClosed("This attempt was already submitted.")
        raise StalePage(
            "This page is out of date: your answers were saved from a newer page. "
            "Nothing was overwritten; please continue on the current page."
        )
    answers = {a.id: a for a in attempt.answers}
    for answer_id, value in responses.items():
        answer = answers.get(answer_id)
        if answer is None or answer.is_locked:
            continue
        answer.response = value
        answer.saved_at = now
    db.session.flush()
    db.session.refresh(attempt)
    return attempt.sequence


def check_answer(attempt: QuizAttempt, answer: Answer, now: datetime | None = None) -> None:
    """Lock and grade one answer (quizzes with ``review: immediately``)."""
    quiz = db.session.get(Quiz, attempt.quiz_id)
    if quiz is None or quiz.settings.get("review") != "immediately" or answer.is_locked:
        return
    if not attempt.is_open or _close_if_overdue(attempt, now or utcnow()):
        raise AttemptClosed("This attempt is closed.")
    _grade(answer, question_spec(answer.question_id, answer.question_hash))
    answer.is_locked = True


def _specs_of(answers: Iterable[Answer]) -> dict[tuple[int, str], QuestionSpec]:
    return question_specs((answer.question_id, answer.question_hash) for answer in answers)


def _grade(answer: Answer, spec: QuestionSpec) -> None:
    result = grade_answer(spec, answer.response)
    answer.points = result.points
    answer.max_points = result.max_points
    answer.feedback = list(result.feedback)


def submit_attempt(attempt: QuizAttempt, now: datetime | None = None) -> QuizAttempt:
    """Grade the attempt exactly once; a repeated submit returns the graded attempt."""
    now = now or utcnow()
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
        return attempt  # graded by an earlier request
    total = Decimal(0)
    specs = _specs_of(attempt.answers)
    for answer in attempt.answers:
        _grade(answer, specs[(answer.question_id, answer.question_hash)])
        total += answer.points or Decimal(0)
    attempt.score = total
    attempt.percent = rules.percent(total, attempt.max_score)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    # Practice shows correct answers, so only questions whose key the student may see now.
    if quiz is not None and review_scope(attempt, quiz, now).show_correct:
        for answer in attempt.answers:
            _schedule_practice(attempt.user_id, answer, now)
    db.session.flush()
    return attempt


def _close_if_overdue(attempt: QuizAttempt, now: datetime) -> bool:
    """Submit an open attempt whose deadline (plus grace) passed; True if it did."""
    if (
        attempt.is_open
        and attempt.deadline_at is not None
        and rules.is_past_deadline(now, attempt.deadline_at)
    ):
        submit_attempt(attempt, now)
        return True
    return False


def close_overdue(now: datetime | None = None) -> list[QuizAttempt]:
    """Submit every open attempt past its deadline (``flask quizzes close-overdue``)."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.status == OPEN, QuizAttempt.deadline_at.is_not(None))
    ).all()
    return [attempt for attempt in overdue if _close_if_overdue(attempt, now)]


def _schedule_practice(user_id: int, answer: Answer, now: datetime) -> None:
    """Questions answered wrongly go into the student's spaced practice set."""
    if answer.points is not None and answer.points >= answer.max_points:
        return
    item = db.session.scalar(
        select(PracticeItem).where(
            PracticeItem.user_id == user_id, PracticeItem.question_id == answer.question_id
        )
    )
    box, due = practice.schedule(None, False, now)
    if item is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    PracticeItem(
                        user_id=user_id, question_id=answer.question_id, box=box, due_at=due
                    )
                )
        except IntegrityError:
            pass
    else:
        item.box, item.due_at = box, due


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizResult:
    attempts: list[QuizAttempt]
    best: Decimal | None
    allowed: int | None

    @property
    def used(self) -> int:
        return len(self.attempts)

    @property
    def remaining(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)


def result_for(user: User, quiz: Quiz) -> QuizResult:
    attempts = attempts_for(user, quiz)
    graded = [(a.number, a.percent) for a in attempts if a.is_submitted and a.percent is not None]
    best = rules.combine(graded, quiz.settings.get("grading", "highest"))
    return QuizResult(attempts, best, allowed_attempts(user.id, quiz))


def review_scope(
    attempt: QuizAttempt, quiz: Quiz, now: datetime | None = None
) -> rules.ReviewScope:
    used = attempts_used(attempt.user_id, quiz.id)
    return rules.review_scope(
        quiz.settings.get("review", "after_submit"),
        submitted=attempt.is_submitted,
        attempts_used=used,
        attempts_allowed=allowed_attempts(attempt.user_id, quiz),
        closes_at=closes_at(quiz),
        now=now or utcnow(),
    )


def regrade_quiz(quiz: Quiz) -> list[tuple[QuizAttempt, Decimal | None, Decimal | None]]:
    """Re-score every submitted attempt with the questions' current versions.

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
        total = Decimal(0)
        for answer in attempt.answers:
            if answer.question_id in current:
                answer.question_hash = current[answer.question_id].content_hash
        specs.update(
            _specs_of(a for a in attempt.answers if (a.question_id, a.question_hash) not in specs)
        )
        for answer in attempt.answers:
            _grade(answer, specs[(answer.question_id, answer.question_hash)])
            total += answer.points or Decimal(0)
        attempt.score = total
        attempt.max_score = sum((a.max_points for a in attempt.answers), Decimal(0))
        attempt.percent = rules.percent(total, attempt.max_score)
        if old != total:
            changed.append((attempt, old, total))
    db.session.flush()
    return changed


def close_overdue_one(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """Close ``attempt`` if its deadline passed (on next access); True if it did."""
    return _close_if_overdue(attempt, now or utcnow())


# --- practice -----------------------------------------------------------------------------

PRACTICE_BATCH = 5


def due_practice(user: User, now: datetime | None = None) -> list[tuple[PracticeItem, Question]]:
    """Practice items due now, oldest first, whose question is still in a published course."""
    now = now or utcnow()
    rows = db.session.execute(
        select(PracticeItem, Question)
        .join(Question, Question.id == PracticeItem.question_id)
        .where(
            PracticeItem.user_id == user.id,
            PracticeItem.due_at <= now,
            Question.is_retired.is_(False),
        )
        .order_by(PracticeItem.due_at, PracticeItem.box, PracticeItem.id)
        .limit(PRACTICE_BATCH)
    ).all()
    return [(item, question) for item, question in rows]


@dataclass(frozen=True)
class PracticeCounts:
    total: int
    next_due: datetime | None


def practice_counts(user: User) -> PracticeCounts:
    total, next_due = db.session.execute(
        select(func.count(PracticeItem.id), func.min(PracticeItem.due_at)).where(
            PracticeItem.user_id == user.id
        )
    ).one()
    if next_due is not None and next_due.tzinfo is None:  # SQLite aggregates lose the type
        from datetime import UTC

        next_due = next_due.replace(tzinfo=UTC)
    return PracticeCounts(total or 0, next_due)


def practice_order(spec: QuestionSpec) -> list[str]:
    """A stable display order for a practice question (options shuffled once per version)."""
    plan = rules.plan_attempt(
        [spec],
        {"shuffle_choices": True},
        random.Random(spec.content_hash),  # noqa: S311  # nosec B311 - display order only
    )
    return list(plan[0].choice_order)


def answer_practice(user: User, form: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Grade posted practice answers and move each item to its next Leitner box."""
    from learnapp.quizzes.responses import read_response

    now = now or utcnow()
    results = []
    for raw_id in form.getlist("practice_item"):
        if not str(raw_id).isdigit():
            continue
        item = db.session.get(PracticeItem, int(raw_id))
        if item is None or item.user_id != user.id:
            continue
        question = db.session.get(Question, item.question_id)
        if question is None:
            continue
        spec = QuestionSpec.from_dict(question.spec)
        kind = QUESTION_TYPES[spec.type]
        order = practice_order(spec)
        _present, shown = read_response(kind.view(spec, order), f"q_{item.id}", form)
        value = None if shown is None else kind.answer_from_view(spec, order, shown)
        result = grade_answer(spec, value)
        correct = result.points >= result.max_points
        item.box, item.due_at = practice.schedule(item.box, correct, now)
        item.reviewed_at = now
        results.append(
            {
                "correct": correct,
                "title": question.slug,
                "review": kind.review(spec, order, value, result),
            }
        )
    db.session.flush()
    return results
