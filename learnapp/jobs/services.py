"""What the jobs do, callable without Celery (``flask quizzes close-overdue``, tests)."""

from __future__ import annotations

from learnapp.auth.models import User
from learnapp.catalog.models import Course, Quiz
from learnapp.extensions import db
from learnapp.locks import try_transaction_lock
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import QuizAttempt

CLOSE_OVERDUE_LOCK = "close-overdue"


def close_overdue() -> list[int] | None:
    """Close the overdue attempts and commit; the ids this run closed, or None when another
    run (another host's scheduler or cron) holds the lock right now.

    Each attempt is claimed by a conditional UPDATE, so even without the lock (SQLite, or two
    runs one after the other) an attempt is closed, and returned, by exactly one run. Its
    completion step (practice, certificate) commits with it, in this transaction.
    """
    if not try_transaction_lock(CLOSE_OVERDUE_LOCK):
        db.session.rollback()
        return None
    closed = [attempt.id for attempt in lifecycle.close_overdue()]
    db.session.commit()
    return closed


def follow_up(attempt_id: int) -> bool:
    """Run the completion step of the closed attempt ``attempt_id`` again and commit; True if
    it issued a certificate.

    Closing already completed the attempt in its own transaction, so this normally finds the
    certificate issued and does nothing: it is a check that costs one job, and the place for
    follow-ups that may run later than the closing. A lost or failed job loses nothing.
    """
    attempt = db.session.get(QuizAttempt, attempt_id)
    quiz = db.session.get(Quiz, attempt.quiz_id) if attempt else None
    course = db.session.get(Course, quiz.course_id) if quiz else None
    user = db.session.get(User, attempt.user_id) if attempt else None
    issued = None
    if user is not None and course is not None:
        issued = lifecycle.complete(user, course)
    db.session.commit()
    return issued is not None
