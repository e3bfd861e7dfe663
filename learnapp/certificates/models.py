"""Certificates: the record of a completed course, verifiable by anyone who has its public id.

The row *is* the certificate: the name, course title, version and score are copied at issue time,
so later edits to the account or the course file never change what was certified (an admin
reissues after a name change). One certificate per student and course is held by the database.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.auth.models import User
from learnapp.catalog.models import Course
from learnapp.database import utcnow
from learnapp.extensions import db


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    #: Also the certificate's index in the published revocation status list.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable id used in the public verification URL (``secrets.token_urlsafe(16)``).
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: The holder's id in the signed credential (``urn:uuid:…``): random, so it names nobody.
    subject_uuid: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    #: Null once the account is anonymised; the certificate stays verifiable.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    #: The student's display name as certified.
    name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(200))
    version_label: Mapped[str] = mapped_column(String(50))
    content_hash: Mapped[str] = mapped_column(String(64))
    #: When the course was completed (or the award was made).
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Points-weighted mean of the required quizzes' scores; None when nothing was graded.
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    #: Awarded by an admin rather than earned by completing the course.
    is_manual: Mapped[bool] = mapped_column(default=False)
    award_reason: Mapped[str | None] = mapped_column(Text)
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Set when an admin reissued the certificate (a name change).
    reissued_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class SigningKey(db.Model):
    """The public half of a key that signs (or signed) credentials, published by every host.

    The private key lives only in each host's configuration; the database, which the hosts
    share, holds what they must all publish alike: the current key and the retired ones, whose
    credentials keep verifying.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: RFC 7638 thumbprint of the public key; its URL ends with it.
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    #: The Ed25519 public key, base64url (the JWK's ``x``).
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when a newer key replaced it: it signs no new credentials once every host has the
    #: newer one, and stays published for the credentials it signed.
    retired_at: Mapped[datetime | None]
