"""The outbox of e-mails and each account's notice preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.database import utcnow
from learnapp.extensions import db

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


class OutboxMessage(db.Model):
    """One e-mail, rendered when its cause was committed and sent later by a job.

    The row is written in the same transaction as what the mail tells about (a certificate, a
    reset link), so a mail exists exactly when its cause does. ``key`` names the cause
    (``certificate-issued:<id>``, ``practice-digest:<user>:<day>``...): UNIQUE, so the same
    cause never queues two mails. A send job claims the row (``queued`` -> ``sending``) by a
    conditional UPDATE, so a retried or redelivered job finds it claimed or ``sent`` and sends
    nothing.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    #: Extra headers (List-Unsubscribe, Auto-Submitted...), as sent.
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Fixed when queued, so every try of the same mail carries the same Message-ID.
    message_id: Mapped[str] = mapped_column(String(200))
    #: The body holds a secret (a password reset link): it is blanked once sent or given up.
    sensitive: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class MailPreferences(db.Model):
    """Which notices an account receives; no row means the defaults."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    certificate_issued: Mapped[bool] = mapped_column(default=True)
    attempt_graded: Mapped[bool] = mapped_column(default=True)
    #: Opt-in: a reminder mail is only sent to those who asked for it.
    practice_digest: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
