"""Fixtures for jobs: overdue attempts, one of them earning a certificate when closed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from learnapp.catalog.models import Course, Lesson, Module, Quiz
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.progress import services as progress
from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import QuizAttempt
from learnapp.quizzes.questions import best_answer


@pytest.fixture
def overdue(quiz: Quiz, make_user) -> Callable[..., list[int]]:
    """``overdue(n, complete=0)``: ``n`` students with an attempt past its deadline; the first
    ``complete`` of them finished every lesson and answered everything right (so closing the
    attempt completes the course). Returns the attempt ids."""

    def make(n: int, complete: int = 0) -> list[int]:
        course = db.session.get(Course, quiz.course_id)
        lessons = db.session.scalars(
            select(Lesson).join(Lesson.module).order_by(Module.position, Lesson.position)
        ).all()
        ids = []
        for number in range(n):
            user = make_user(email=f"overdue{number}@example.com")
            progress.enroll(user, course)
            attempt = lifecycle.start_attempt(user, quiz)
            if number < complete:
                for lesson in lessons:
                    progress.complete_lesson(user, course, lesson)
                for answer in attempt.answers:
                    spec = quizzes.question_spec(answer.question_id, answer.question_hash)
                    answer.response = best_answer(spec)
            db.session.flush()
            ids.append(attempt.id)
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id.in_(ids))
            .values(deadline_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        return ids

    return make
