"""Enrollments and lesson completions.

Rows point at courses and lessons by their row ids, which stay stable across course edits
(items are retired, never deleted), so what a student has done survives every sync. The
database holds the invariants: one enrollment per student and course, one completion per
student and lesson.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.database import utcnow
from learnapp.extensions import db


class Enrollment(db.Model):
    """A student following a course; unenrolling keeps the row (and so the history)."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the student unenrols; cleared when they enrol again.
    unenrolled_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.unenrolled_at is None


class LessonCompletion(db.Model):
    """A lesson a student marked as complete (once; the first time is kept)."""

    __tablename__ = "lesson_completions"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
