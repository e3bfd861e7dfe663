"""Account rules. Services flush and raise; routes and CLI commands commit."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from learnapp.audit import services as audit
from learnapp.auth.models import PasswordResetToken, Role, User
from learnapp.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from learnapp.database import begin_mode, utcnow
from learnapp.errors import Conflict, LearnAppError
from learnapp.extensions import db
from learnapp.mail import outbox

log = logging.getLogger("learnapp.auth")


class PasswordRejected(LearnAppError):
    """The password does not meet the policy."""


class EmailTaken(Conflict):
    """Another account uses this e-mail address."""


def _profile() -> str:
    return str(current_app.config["PASSWORD_HASHING"])


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so timing reveals nothing."""
    cache = current_app.extensions.setdefault("learnapp_dummy_hash", {})
    profile = _profile()
    if profile not in cache:
        cache[profile] = hash_password(secrets.token_hex(16), profile)
    return str(cache[profile])


def create_user(
    email: str,
    password: str,
    display_name: str,
    role: Role | str = Role.STUDENT,
    *,
    actor: User | None = None,
    email_verified: bool = True,
) -> User:
    """Create an account. Its address counts as verified unless ``email_verified`` is False
    (self-registration): whoever else creates an account (an admin, the CLI) vouches for it.

    :raises PasswordRejected: the password breaks the policy.
    :raises EmailTaken: the e-mail address is in use (also under a concurrent registration).
    """
    email = normalize_email(email)
    if problem := password_problem(password, email=email, name=display_name):
        raise PasswordRejected(problem)
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password, _profile()),
        role=Role(role).value,
        email_verified_at=utcnow() if email_verified else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        raise EmailTaken(_("An account with this e-mail address already exists.")) from exc
    audit.record("user.created", actor=actor, target=user, role=user.role)
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or ``None`` (same cost either way).

    The hash is verified with no transaction open: argon2 takes most of a second, and on SQLite
    an open write transaction would hold the database's only write lock all that time. So the
    lookup runs in its own short read transaction, which this ends (call it before changing
    anything else in the session); the login's writes then begin a new transaction, which the
    caller commits.
    """
    with begin_mode("DEFERRED"):
        found = find_user_by_email(email)
        # Plain values: ending the transaction expires the row.
        account = None if found is None else (found.id, found.password_hash)
        db.session.rollback()
    if account is None:
        verify_password(_dummy_hash(), password, _profile())
        log.info("login failed: unknown account")
        return None
    user_id, password_hash = account
    if not verify_password(password_hash, password, _profile()):
        log.info("login failed user_id=%s", user_id)
        return None
    rehashed = (
        hash_password(password, _profile()) if needs_rehash(password_hash, _profile()) else None
    )
    user = db.session.get(User, user_id)  # the write transaction begins here
    if user is None:
        log.info("login failed: account removed during login user_id=%s", user_id)
        return None
    # A concurrent password change or rehash: the password verified may no longer be current
    # (rare, so checking again under the lock costs little).
    if user.password_hash != password_hash and not verify_password(
        user.password_hash, password, _profile()
    ):
        log.info("login failed: password changed during login user_id=%s", user.id)
        return None
    if not user.is_active:
        log.info("login refused: deactivated user_id=%s", user.id)
        return None
    if rehashed is not None and user.password_hash == password_hash:
        user.password_hash = rehashed
    user.last_login_at = utcnow()
    log.info("login user_id=%s", user.id)
    return user


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is ``user``'s, confirming a sensitive change.

    Like :func:`authenticate`, the hash is verified with no transaction open: this ends the
    session's transaction first, so call it before changing anything.
    """
    password_hash = user.password_hash
    db.session.rollback()
    return verify_password(password_hash, password, _profile())


def end_other_sessions(user: User) -> None:
    """Invalidate every session and remember cookie issued to ``user`` so far."""
    user.session_generation += 1


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Check the current password and set a new one, hashing with no transaction open.

    Like :func:`authenticate`, this ends the session's transaction first (loading the session's
    user began one), so call it before changing anything else.

    :raises PasswordRejected: wrong current password, policy failure, or another request
        changed the password or ended the account's sessions meanwhile.
    """
    password_hash, generation = user.password_hash, user.session_generation
    problem = password_problem(new_password, email=user.email, name=user.display_name)
    db.session.rollback()
    if not verify_password(password_hash, current_password, _profile()):
        raise PasswordRejected(_("The current password is not correct."))
    if problem:
        raise PasswordRejected(problem)
    new_hash = hash_password(new_password, _profile())
    # Reloading the row begins the write transaction.
    if (user.password_hash, user.session_generation) != (password_hash, generation):
        raise PasswordRejected(_("Your account was changed meanwhile. Reload the page."))
    _store_password_hash(user, new_hash)


def set_password(user: User, new_password: str) -> None:
    if problem := password_problem(new_password, email=user.email, name=user.display_name):
        raise PasswordRejected(problem)
    _store_password_hash(user, hash_password(new_password, _profile()))


def _store_password_hash(user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    end_other_sessions(user)
    audit.record("user.password_changed", actor=user, target=user)


def update_profile(user: User, display_name: str) -> None:
    old = user.display_name
    user.display_name = display_name.strip()
    if old != user.display_name:
        audit.record(
            "user.profile_updated", actor=user, target=user, old=old, new=user.display_name
        )


def set_locale(user: User, locale: str | None) -> None:
    """Save the interface language ``user`` chose; None follows the browser's languages."""
    user.locale = locale or None


def set_role(user: User, role: Role | str, *, actor: User | None = None, reason: str = "") -> None:
    role = Role(role)
    if user.role == role:
        return
    audit.record(
        "user.role_changed", actor=actor, target=user, old=user.role, new=role.value, reason=reason
    )
    user.role = role.value
    end_other_sessions(user)


def set_active(user: User, active: bool, *, actor: User | None = None, reason: str = "") -> None:
    """:raises Conflict: re-activating an anonymised account (it must stay closed)."""
    if user.is_active == active:
        return
    if active and user.is_anonymised:
        raise Conflict(_("This account was anonymised and cannot be re-activated."))
    user.is_active = active
    end_other_sessions(user)
    action = "user.activated" if active else "user.deactivated"
    audit.record(action, actor=actor, target=user, reason=reason)


def count_admins() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
        )
        or 0
    )


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_state(user: User) -> str:
    """A digest of what a reset link was issued against: the password hash, the session
    generation, the role, the e-mail address and the status.

    Reset links are bound to it rather than deleted by each service that changes an account,
    so no path can be forgotten: a new password (always a new salted hash, whoever sets it),
    a used link, deactivation (which also bumps the generation, so re-activating does not
    revive old links), a role change, anonymisation and "log out everywhere" each change it.
    """
    facts = [user.id, user.password_hash, user.session_generation, user.role, user.email]
    facts.append(user.is_active)
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def issue_reset_token(user: User, *, actor: User | None = None, by_email: bool = False) -> str:
    """Create a one-time reset token for ``user`` and return it (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    hours = int(current_app.config["PASSWORD_RESET_HOURS"])
    db.session.add(
        PasswordResetToken(
            user=user,
            token_hash=_hash_token(token),
            expires_at=utcnow() + timedelta(hours=hours),
            account_state=account_state(user),
        )
    )
    if by_email:
        audit.record("user.reset_link_issued", actor=actor, target=user, via="e-mail")
    else:
        audit.record("user.reset_link_issued", actor=actor, target=user)
    return token


def find_reset_token(token: str) -> PasswordResetToken | None:
    """Return the token row if it is unused, unexpired, its user active and unchanged since
    the link was issued (:func:`account_state`)."""
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.is_active or row.account_state != account_state(row.user):
        return None
    return row


def reset_password(token: str, new_password: str) -> User:
    """Use ``token`` once to set a new password; this ends the session's transaction first.

    :raises LearnAppError: the token is unknown, used or expired.
    :raises PasswordRejected: the new password breaks the policy.
    """
    row = find_reset_token(token)
    if row is None:
        raise LearnAppError(
            _("This reset link is invalid or has expired. Ask for a new one on the login page.")
        )
    if problem := password_problem(new_password, email=row.user.email, name=row.user.display_name):
        raise PasswordRejected(problem)
    # Hash with no transaction open (see authenticate), then look the token up again.
    db.session.rollback()
    new_hash = hash_password(new_password, _profile())
    row = find_reset_token(token)
    if row is not None:
        # Lock the account, then check again: a concurrent use of another of its links (or any
        # other change) either finished first, and changed the state, or waits for this one.
        db.session.scalars(
            select(User)
            .where(User.id == row.user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
    if row is None or row.account_state != account_state(row.user):
        raise LearnAppError(_("This reset link has already been used."))
    _store_password_hash(row.user, new_hash)
    # Claim the token atomically: a concurrent second use updates no row.
    claimed = db.session.execute(
        PasswordResetToken.__table__.update()
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise LearnAppError(_("This reset link has already been used."))
    return row.user


# --- by e-mail: forgotten passwords and address verification -----------------------------------


def request_password_reset(email: str) -> bool:
    """Mail a reset link to the active account using ``email``, if there is one.

    The caller answers the same either way, so the form tells nobody which addresses have an
    account. The link is the usual one (:func:`issue_reset_token`): one use, bound to the
    account's state, so using it or changing the password ends every outstanding link.
    """
    user = find_user_by_email(email)
    if user is None or not user.is_active or user.is_anonymised:
        log.info("password reset asked for an address without an active account")
        return False
    token = issue_reset_token(user, by_email=True)
    outbox.queue(
        key=f"password-reset:{_hash_token(token)}",
        kind="password_reset",
        to=user.email,
        subject=_l("Reset your password"),
        user_id=user.id,
        locale=outbox.mail_locale(user.locale, asked_here=True),
        context={
            "user": user,
            "reset_url": outbox.external_url("auth.reset_password", token=token),
            "hours": int(current_app.config["PASSWORD_RESET_HOURS"]),
        },
        sensitive=True,
    )
    return True


def verification_mode() -> str:
    """``required``, ``optional`` or ``off`` (``LEARNAPP_MAIL_VERIFICATION``)."""
    return str(current_app.config["MAIL_VERIFICATION"])


def needs_verification(user: User) -> bool:
    """True while ``user`` may only see the page asking to verify the address."""
    return verification_mode() == "required" and user.email_verified_at is None


def _verification_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="learnapp.auth.verify-email"
    )


def send_verification(user: User) -> bool:
    """Mail ``user`` a signed link that verifies the address; False when there is nothing to
    verify (verification is off, or the address is verified)."""
    if verification_mode() == "off" or user.email_verified_at is not None:
        return False
    token = _verification_serializer().dumps({"u": user.id, "e": user.email})
    hours = int(current_app.config["MAIL_VERIFICATION_HOURS"])
    outbox.queue(
        key=f"verify-email:{user.id}:{secrets.token_hex(8)}",
        kind="verify_email",
        to=user.email,
        subject=_l("Confirm your e-mail address"),
        user_id=user.id,
        locale=outbox.mail_locale(user.locale, asked_here=True),
        context={
            "user": user,
            "verify_url": outbox.external_url("auth.verify_email", token=token),
            "hours": hours,
        },
    )
    return True


def verify_email(token: str) -> User | None:
    """Mark the address a verification link was sent to as verified; the account, or None for
    a forged or expired link, or one sent to an address the account no longer has."""
    max_age = int(current_app.config["MAIL_VERIFICATION_HOURS"]) * 3600
    try:
        data = _verification_serializer().loads(token, max_age=max_age)
        user = db.session.get(User, int(data["u"]))
        address = str(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or not user.is_active or user.email != address:
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record("user.email_verified", actor=user, target=user)
    return user
