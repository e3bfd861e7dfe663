"""Fixtures for the item analysis and report pages: the fixture course's quiz with submitted
attempts whose answers a test chooses, and the five principals of the route x role tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from learnapp.auth.models import Role, User
from learnapp.catalog.models import Question, Quiz
from learnapp.extensions import db
from learnapp.quizzes import services
from learnapp.quizzes.models import QuizAttempt
from learnapp.quizzes.questions import best_answer


@pytest.fixture
def quiz(sync) -> Quiz:
    sync()
    return db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))


@pytest.fixture
def submit(quiz) -> Callable[..., QuizAttempt]:
    """``submit(user, {question slug: real answer or "correct"})``: a graded attempt.

    Questions left out stay unanswered (0 points)."""

    def make(user: User, answers: dict[str, Any]) -> QuizAttempt:
        attempt = services.start_attempt(user, quiz)
        for answer in attempt.answers:
            slug = db.session.get(Question, answer.question_id).slug
            if slug in answers:
                value = answers[slug]
                if value == "correct":
                    spec = services.question_spec(answer.question_id, answer.question_hash)
                    value = best_answer(spec)
                answer.response = value
        services.submit_attempt(attempt)
        db.session.commit()
        return attempt

    return make


@pytest.fixture
def principals(make_user, instructor, admin) -> dict[str, User | None]:
    """anonymous, student, an instructor of another course, the course's instructor, admin."""
    return {
        "anonymous": None,
        "student": make_user(email="someone@example.com"),
        "other_instructor": make_user(email="elsewhere@example.com", role=Role.INSTRUCTOR),
        "instructor": instructor,  # instructor@example.com: named in the basics course file
        "admin": admin,
    }


@pytest.fixture
def set_per_page(quiz) -> Callable[[int], None]:
    """Show ``n`` questions per attempt page (as a quiz file's ``per_page:`` would)."""

    def change(n: int) -> None:
        quiz.settings = {**quiz.settings, "per_page": n}
        db.session.commit()

    return change
