"""Invariants under 20 parallel HTTP requests, held by the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import QuizAttempt

START = "/courses/basics/quizzes/basics-quiz/attempts"


def attempts(db) -> list[QuizAttempt]:
    db.session.commit()
    return list(db.session.scalars(select(QuizAttempt)))


@pytest.mark.conc
def test_twenty_parallel_starts_respect_the_attempt_limit(
    parallel_post, set_quiz, login, student, db
):
    set_quiz(attempts=1)
    login(student)
    statuses = parallel_post(START)
    assert len(statuses) == 20
    assert set(statuses) <= {302}, statuses  # every tab lands on the same attempt; no 5xx
    assert len(attempts(db)) == 1


@pytest.mark.conc
def test_twenty_parallel_submits_grade_once(parallel_post, quiz, login, student, db):
    login(student)
    attempt = lifecycle.start_attempt(student, quiz)
    db.session.commit()
    statuses = parallel_post(f"/attempts/{attempt.id}/submit")
    assert set(statuses) == {302}, statuses
    (graded,) = attempts(db)
    assert graded.is_submitted
    assert graded.score is not None
    stamps = db.session.scalar(
        select(func.count(func.distinct(QuizAttempt.submitted_at))).where(
            QuizAttempt.id == attempt.id
        )
    )
    assert stamps == 1


@pytest.mark.conc
def test_parallel_starts_after_a_submitted_attempt_make_one_new_attempt(
    parallel_post, set_quiz, login, student, db
):
    quiz = set_quiz(attempts=3)
    first = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(first)
    db.session.commit()
    login(student)
    statuses = parallel_post(START)
    assert set(statuses) <= {302}, statuses
    assert sorted(a.number for a in attempts(db)) == [1, 2]
