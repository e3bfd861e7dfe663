from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.database import utcnow
from learnapp.extensions import db


class Role(enum.StrEnum):
    STUDENT = "student"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('student', 'instructor', 'admin')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: The name printed on certificates.
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.STUDENT.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Part of the login id: bumping it ends every session of this user (logout, password change,
    #: deactivation), since Flask's signed cookie sessions cannot be revoked one by one.
    session_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    #: When the holder opened the verification link mailed to ``email`` (or an admin created
    #: the account, vouching for the address); None while unverified.
    email_verified_at: Mapped[datetime | None]
    #: Set when an admin anonymised the account on the holder's request (learnapp.privacy): name
    #: and e-mail are replaced, the account cannot log in and can no longer be changed.
    anonymised_at: Mapped[datetime | None]
    #: Interface language chosen on the account page (``es``); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(16))

    reset_tokens: Mapped[list[PasswordResetToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_instructor(self) -> bool:
        return self.role in (Role.INSTRUCTOR, Role.ADMIN)

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(role) for role in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class PasswordResetToken(db.Model):
    """A one-time password reset link, issued by an admin, the CLI or "Forgot password?".

    A link is valid only while the account is as it was when the link was issued
    (:attr:`account_state`): a used link, a password change by any path, deactivation, a role
    or e-mail change and "log out everywhere" all end every link of the account.
    """

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    #: SHA-256 of the account's password hash, session generation, role, e-mail and status when
    #: the link was issued (``learnapp.auth.services.account_state``).
    account_state: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="reset_tokens")
