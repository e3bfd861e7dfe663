"""Reading attempts and quizzes: lookups scoped to the student, attempt limits, question
versions, the per-attempt token, results, review scopes and spaced practice.

What happens to an attempt (start, save, submit, close, staff fixes, regrade) and what follows
it is in :mod:`learnapp.quizzes.lifecycle`. Services flush and raise; routes and commands commit.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import joinedload

from learnapp.auth.models import User
from learnapp.catalog.models import Question, QuestionVersion, Quiz
from learnapp.content.specs import QuizSettings
from learnapp.database import utcnow
from learnapp.errors import NotFound
from learnapp.extensions import db
from learnapp.quizzes import practice, rules
from learnapp.quizzes.models import (
    DISCARDED,
    OPEN,
    SUBMITTED,
    PracticeItem,
    QuizAttempt,
    QuizOverride,
)
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec
from learnapp.quizzes.questions import grade as grade_answer

# --- lookups ------------------------------------------------------------------------------


def get_attempt_for(user: User, attempt_id: int) -> QuizAttempt:
    """The attempt if it belongs to ``user``; 404 otherwise (never reveal others' attempts).

    A discarded attempt is no longer the student's: it is kept for instructors only.
    """
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(_("There is no such attempt."))
    if attempt.is_discarded:
        raise NotFound(
            _(
                "This attempt was discarded by an instructor and no longer counts. "
                "You can start again from the quiz page."
            )
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
    """Attempts that count towards the limit: every attempt but discarded ones, the open one
    included (whether the key may show is another matter: :func:`review_scopes`)."""
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
        quiz.typed_settings.attempts, override.extra_attempts if override else 0
    )


def question_spec(question_id: int, content_hash: str) -> QuestionSpec:
    """The version of a question an answer was given against."""
    return question_specs([(question_id, content_hash)])[(question_id, content_hash)]


#: Stored question versions each process keeps parsed (a version never changes).
SPEC_CACHE_SIZE = 20_000


def _parsed_versions() -> dict[tuple[int, str], QuestionSpec]:
    found = current_app.extensions.get("learnapp_question_versions")
    if found is None or len(found) > SPEC_CACHE_SIZE:
        found = current_app.extensions["learnapp_question_versions"] = {}
    return found  # type: ignore[no-any-return]


def question_specs(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], QuestionSpec]:
    """The versions of many questions, keyed by (question id, content hash), in one query.

    Use this wherever a page or service loops over an attempt's answers, so the cost does not
    grow with the number of questions. A second query runs only for versions missing from
    ``question_versions`` (written at sync), which fall back to the question's current spec.
    A stored version never changes, so each process parses it once and asks for it no more
    (every save and page of an exam reads the same few); the fallback is read every time.
    """
    keys = set(pairs)
    if not keys:
        return {}
    parsed = _parsed_versions()
    found = {key: parsed[key] for key in keys if key in parsed}
    wanted = keys - found.keys()
    if not wanted:
        return found
    stored = {
        (question_id, content_hash): spec
        for question_id, content_hash, spec in db.session.execute(
            select(
                QuestionVersion.question_id, QuestionVersion.content_hash, QuestionVersion.spec
            ).where(tuple_(QuestionVersion.question_id, QuestionVersion.content_hash).in_(wanted))
        )
    }
    for key, spec in stored.items():
        found[key] = parsed[key] = QuestionSpec.from_dict(spec)
    if missing := wanted - stored.keys():
        current = dict(
            db.session.execute(
                select(Question.id, Question.spec).where(
                    Question.id.in_({question_id for question_id, _hash in missing})
                )
            ).all()
        )
        for key in missing:
            found[key] = QuestionSpec.from_dict(current[key[0]])
    return found


def current_questions(quiz: Quiz) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.quiz_id == quiz.id, Question.is_retired.is_(False))
            .order_by(Question.position)
        )
    )


def open_attempt(user_id: int, quiz_id: int) -> QuizAttempt | None:
    """The student's open attempt at the quiz (at most one: a unique index)."""
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_id == quiz_id,
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
    """The attempt ``token`` may save to, or ``None``.

    The token must be signed for ``attempt_id`` with the attempt's nonce, and the attempt's
    owner must have an active account. The token outlives the session on purpose, so it must
    not outlive the account: deactivating or anonymising it ends its sessions and its tokens
    alike. A role change does not: the attempt is still its owner's. Saving still requires
    the attempt to be open (:func:`save_answers` checks it in the same UPDATE as the sequence).
    """
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("a") != attempt_id:
        return None
    # With its answers in the same statement: a save reads them all (the save is the hot path).
    attempt = db.session.get(QuizAttempt, attempt_id, options=[joinedload(QuizAttempt.answers)])
    if attempt is None or not secrets.compare_digest(str(payload.get("n")), attempt.token_nonce):
        return None
    owner = db.session.get(User, attempt.user_id)
    if owner is None or not owner.is_active or owner.is_anonymised:
        return None
    return attempt


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
    best = rules.combine(graded, quiz.typed_settings.grading)
    return QuizResult(attempts, best, allowed_attempts(user.id, quiz))


def review_scopes(
    user_id: int, quizzes: Iterable[Quiz], now: datetime | None = None
) -> dict[int, rules.ReviewScope]:
    """What the review of each of the student's attempts at ``quizzes`` may show, by attempt id.

    The one place that gathers what :func:`rules.review_scope` decides on (the review page, the
    practice scheduled after a submit and the data download all ask here), in two queries
    whatever the number of quizzes and attempts: submitted attempts count towards "no attempt
    left", an open one hides the key, discarded ones are ignored (their own scope is nothing).
    """
    by_id = {quiz.id: quiz for quiz in quizzes}
    if not by_id:
        return {}
    now = now or utcnow()
    attempts = db.session.execute(
        select(QuizAttempt.id, QuizAttempt.quiz_id, QuizAttempt.status).where(
            QuizAttempt.user_id == user_id, QuizAttempt.quiz_id.in_(by_id)
        )
    ).all()
    extra = dict(
        db.session.execute(
            select(QuizOverride.quiz_id, QuizOverride.extra_attempts).where(
                QuizOverride.user_id == user_id, QuizOverride.quiz_id.in_(by_id)
            )
        ).all()
    )
    submitted = Counter(quiz_id for _id, quiz_id, status in attempts if status == SUBMITTED)
    in_progress = {quiz_id for _id, quiz_id, status in attempts if status == OPEN}
    scopes = {}
    for attempt_id, quiz_id, status in attempts:
        settings = by_id[quiz_id].typed_settings
        scopes[attempt_id] = rules.review_scope(
            settings.review,
            submitted=status == SUBMITTED,
            attempts_submitted=submitted[quiz_id],
            attempt_in_progress=quiz_id in in_progress,
            attempts_allowed=rules.attempts_allowed(settings.attempts, extra.get(quiz_id, 0)),
            closes_at=settings.closes_at,
            now=now,
        )
    return scopes


def review_scope(
    attempt: QuizAttempt, quiz: Quiz, now: datetime | None = None
) -> rules.ReviewScope:
    """What the review of ``attempt`` may show now (see :func:`review_scopes`)."""
    return review_scopes(attempt.user_id, [quiz], now)[attempt.id]


# --- practice -----------------------------------------------------------------------------

PRACTICE_BATCH = 5


def _quizzes_in_progress(user: User) -> Select[tuple[int]]:
    """The quizzes ``user`` has an attempt open at.

    Their questions stay out of practice until the attempt is submitted: practice shows the
    answer key, and an attempt in progress never makes a key visible (see
    :func:`rules.review_scope`). Without this, a question missed earlier and scheduled for
    practice could be answered there, key included, while it is on the open attempt.
    """
    return select(QuizAttempt.quiz_id).where(
        QuizAttempt.user_id == user.id, QuizAttempt.status == OPEN
    )


def due_practice(user: User, now: datetime | None = None) -> list[tuple[PracticeItem, Question]]:
    """Practice items due now, oldest first, whose question is still in a published course
    and not on a quiz the student is taking."""
    now = now or utcnow()
    rows = db.session.execute(
        select(PracticeItem, Question)
        .join(Question, Question.id == PracticeItem.question_id)
        .where(
            PracticeItem.user_id == user.id,
            PracticeItem.due_at <= now,
            Question.is_retired.is_(False),
            Question.quiz_id.not_in(_quizzes_in_progress(user)),
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
    """The practice set's size and next due date, without the questions of quizzes the student
    is taking (they come back once the attempt is submitted)."""
    total, next_due = db.session.execute(
        select(func.count(PracticeItem.id), func.min(PracticeItem.due_at))
        .join(Question, Question.id == PracticeItem.question_id)
        .where(
            PracticeItem.user_id == user.id,
            Question.quiz_id.not_in(_quizzes_in_progress(user)),
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
        QuizSettings(shuffle_choices=True),
        random.Random(spec.content_hash),  # noqa: S311  # nosec B311 - display order only
    )
    return list(plan[0].choice_order)


def answer_practice(user: User, form: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Grade posted practice answers and move each item to its next Leitner box.

    Items of another student, and of a quiz the student is taking, are skipped: their review
    would show the key.
    """
    now = now or utcnow()
    results = []
    in_progress = set(db.session.scalars(_quizzes_in_progress(user)))
    for raw_id in form.getlist("practice_item"):
        if not str(raw_id).isdigit():
            continue
        item = db.session.get(PracticeItem, int(raw_id))
        if item is None or item.user_id != user.id:
            continue
        question = db.session.get(Question, item.question_id)
        if question is None or question.quiz_id in in_progress:
            continue
        spec = QuestionSpec.from_dict(question.spec)
        kind = QUESTION_TYPES[spec.type]
        order = practice_order(spec)
        _present, shown = kind.read_form(kind.view(spec, order), f"q_{item.id}", form)
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
