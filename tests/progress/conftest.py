"""Fixtures for progress: the synced test course, its items by id, and quick quiz results."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal

import pytest

from learnapp.auth.models import User
from learnapp.catalog.models import Lesson, Quiz
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.quizzes.models import SUBMITTED, QuizAttempt


@pytest.fixture
def lesson(basics) -> Callable[[str], Lesson]:
    """``lesson("basics-intro")``: a lesson row of the test course by its id."""

    def find(slug: str) -> Lesson:
        return db.session.scalar(db.select(Lesson).filter_by(course_id=basics.id, slug=slug))

    return find


@pytest.fixture
def basics_quiz(basics) -> Quiz:
    return db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))


@pytest.fixture
def submit_result() -> Callable[..., QuizAttempt]:
    """``submit_result(user, quiz, percent)``: a submitted, graded attempt (no questions)."""

    def submit(user: User, quiz: Quiz, percent: int | str) -> QuizAttempt:
        number = 1 + len(
            db.session.scalars(
                db.select(QuizAttempt).filter_by(user_id=user.id, quiz_id=quiz.id)
            ).all()
        )
        attempt = QuizAttempt(
            user_id=user.id,
            quiz_id=quiz.id,
            number=number,
            status=SUBMITTED,
            started_at=utcnow(),
            submitted_at=utcnow(),
            token_nonce=secrets.token_hex(16),
            score=Decimal(percent),
            max_score=Decimal(100),
            percent=Decimal(percent),
        )
        db.session.add(attempt)
        db.session.commit()
        return attempt

    return submit
