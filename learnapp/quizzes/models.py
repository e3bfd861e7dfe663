"""Quiz attempts and answers.

The database holds the invariants (RELIABILITY.md): one attempt number per student and quiz,
at most one open attempt per student and quiz (a partial unique index), one answer row per
attempt and question, and one override per student and quiz. Grading happens once because
submitting is a conditional UPDATE of an open attempt.

An instructor may reopen a submitted attempt (it becomes open again and is graded again, once,
when submitted) or discard an attempt: a discarded attempt keeps its row for the record, never
counts towards the grade or the attempt limit, and is hidden from the student. Attempt numbers
keep growing past discarded ones, so ``(user, quiz, number)`` stays unique.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.quizzes.questions import Grade

OPEN, SUBMITTED, DISCARDED = "open", "submitted", "discarded"


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        Index(
            "uq_quiz_attempts_one_open",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The grading queues: few attempts at a time await grading.
        Index(
            "ix_quiz_attempts_awaiting_grading",
            "quiz_id",
            sqlite_where=text("ungraded_answers > 0"),
            postgresql_where=text("ungraded_answers > 0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    #: 1 for the first attempt of this student at this quiz, 2 for the second, ...
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Judged by the server: start + time limit + extra time, or the quiz's close date.
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: Bumped by every accepted save; a page posting an older number is stale.
    sequence: Mapped[int] = mapped_column(default=0)
    #: Secret part of the per-attempt token that can save answers after the session expired.
    token_nonce: Mapped[str] = mapped_column(String(32))
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    #: The submission happened automatically at the deadline.
    was_closed_by_deadline: Mapped[bool] = mapped_column(default=False)
    #: Answers a person still has to grade (essays). While above 0 the attempt is *awaiting
    #: grading*: ``score`` holds the points so far and ``percent`` is None (not final). The
    #: grade that takes it to 0, a conditional UPDATE, finalises the score exactly once.
    ungraded_answers: Mapped[int] = mapped_column(default=0, server_default="0")

    answers: Mapped[list[Answer]] = relationship(
        back_populates="attempt", order_by="Answer.position", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def is_submitted(self) -> bool:
        return self.status == SUBMITTED

    @property
    def is_discarded(self) -> bool:
        return self.status == DISCARDED

    @property
    def is_awaiting_grading(self) -> bool:
        return self.status == SUBMITTED and self.ungraded_answers > 0


class Answer(db.Model):
    """A question drawn for an attempt, as the student saw it, and what they answered."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    position: Mapped[int]
    #: Content hash of the question version shown (see QuestionVersion).
    question_hash: Mapped[str] = mapped_column(String(64))
    #: Display order of the question's options (choice, answer or item ids).
    option_order: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The student's answer as JSON; None until answered.
    response: Mapped[Any | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None]
    #: "Check answer" was used (review: immediately): the answer can no longer change.
    is_locked: Mapped[bool] = mapped_column(default=False)
    points: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    max_points: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    feedback: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Submitted and waiting for a person to grade it (``points`` is None meanwhile).
    needs_grading: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: What a person's grade was made of (an essay's rubric levels), see ``Grade.detail``.
    grade_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None]

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")

    @property
    def stored_grade(self) -> Grade:
        """The grade as stored, for review pages (points so far; pending while ungraded)."""
        return Grade(
            self.points or Decimal(0),
            self.max_points,
            list(self.feedback or []),
            pending=self.needs_grading,
            detail=dict(self.grade_detail or {}),
        )


class QuizOverride(db.Model):
    """Extra time or attempts an instructor granted one student on one quiz."""

    __tablename__ = "quiz_overrides"
    __table_args__ = (UniqueConstraint("user_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    extra_minutes: Mapped[int] = mapped_column(default=0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreOverride(db.Model):
    """A score an instructor set by hand for one student on one quiz.

    It replaces the score computed from the attempts (whatever the grading method), in the
    gradebook, progress and completion, until it is removed; later attempts do not change it.
    """

    __tablename__ = "score_overrides"
    __table_args__ = (UniqueConstraint("user_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    #: The percentage that counts, 0 to 100.
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    reason: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class PracticeItem(db.Model):
    """A question a student got wrong, scheduled for spaced review (Leitner boxes)."""

    __tablename__ = "practice_items"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    box: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]
