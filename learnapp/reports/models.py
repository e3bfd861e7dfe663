"""Question problem reports: a student flags a question they were shown ("the key looks
wrong"), an instructor of the course reads it next to the question's statistics and closes it.

One open report per student and question, held by a partial unique index, so a double click or
two tabs cannot file it twice. The reporter and the handling instructor are kept with
``SET NULL``, so a report outlives a deleted account.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.database import utcnow
from learnapp.extensions import db

OPEN, CLOSED = "open", "closed"

#: Reason code -> what the student picks (and instructors read).
#: Labels are lazy: each reader sees them in their own language.
REASONS: dict[str, LazyString] = {
    "key": _l("The answer key looks wrong"),
    "unclear": _l("The question is unclear or ambiguous"),
    "typo": _l("Typo, formatting or broken content"),
    "other": _l("Something else"),
}

#: Longest comment a student may send.
COMMENT_MAX = 1000
#: Longest note an instructor may add when closing or reopening.
NOTE_MAX = 1000


class QuestionReport(db.Model):
    __tablename__ = "question_reports"
    __table_args__ = (
        Index(
            "uq_question_reports_one_open",
            "user_id",
            "question_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    #: The reporter.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The attempt the question was reported from.
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="SET NULL")
    )
    #: Content hash of the question version the student saw.
    question_hash: Mapped[str] = mapped_column(String(64))
    #: A key of :data:`REASONS`.
    reason: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    #: The instructor's latest note (shown to the student), from closing or reopening.
    note: Mapped[str] = mapped_column(Text, default="")
    noted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    noted_at: Mapped[datetime | None]

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def reason_text(self) -> str:
        return str(REASONS.get(self.reason, self.reason))
