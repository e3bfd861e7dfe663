from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.database import utcnow
from learnapp.extensions import db


class TotpCredential(db.Model):
    """An account's authenticator app: one per account, so enrolling twice at once fails.

    The shared secret is stored as the base32 text the app was given, not encrypted (a
    deliberate simplification, see docs/two-factor.md): anyone who can read this table can
    make the account's codes, so database access, dumps and backups are to be guarded like the
    password hashes beside it. The password is still needed as well.
    """

    __tablename__ = "totp_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: Base32 shared secret (160 bits, as RFC 4226 recommends).
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The last 30-second time step whose code was accepted: a code is accepted once, and never
    #: one of an earlier step (replay within the code's window).
    last_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the app once (a lost or broken phone)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the normalised code: codes carry 80 random bits, so a fast hash is enough
    #: (as for password reset tokens); the code itself is shown once and never stored.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
