"""Fixtures for privacy tests: a student with progress, quiz attempts and a certificate."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from learnapp.catalog.models import Course, Lesson
from learnapp.certificates.models import Certificate
from learnapp.extensions import db
from learnapp.progress import services as progress
from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import QuizAttempt
from learnapp.quizzes.questions import best_answer


@pytest.fixture
def take_quiz(quiz) -> Callable[..., QuizAttempt]:
    """``take_quiz(user, submit=True)``: an attempt with every question answered correctly."""

    def take(user, submit: bool = True) -> QuizAttempt:
        attempt = lifecycle.start_attempt(user, quiz)
        responses = {}
        for answer in attempt.answers:
            spec = quizzes.question_spec(answer.question_id, answer.question_hash)
            responses[answer.id] = best_answer(spec)
        lifecycle.save_answers(attempt, responses, attempt.sequence)
        if submit:
            lifecycle.submit_attempt(attempt)
        db.session.commit()
        return attempt

    return take


@pytest.fixture
def learn(basics) -> Callable[[Any], None]:
    """``learn(user)``: enroll in the basics course and complete its first lesson."""

    def run(user) -> None:
        progress.enroll(user, basics)
        lesson = db.session.scalar(db.select(Lesson).filter_by(slug="basics-intro"))
        progress.complete_lesson(user, basics, lesson)
        db.session.commit()

    return run


@pytest.fixture
def make_certificate(basics) -> Callable[..., Certificate]:
    """A certificate row made directly (issuing is the certificates package's business)."""

    def make(user, course: Course | None = None, **fields: Any) -> Certificate:
        course = course or basics
        certificate = Certificate(
            **{
                "public_id": secrets.token_urlsafe(16),
                "user_id": user.id,
                "course_id": course.id,
                "name": user.display_name,
                "course_title": course.title,
                "version_label": course.version_label,
                "content_hash": course.content_hash,
                **fields,
            }
        )
        db.session.add(certificate)
        db.session.commit()
        return certificate

    return make
