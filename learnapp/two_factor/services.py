"""Two-factor rules: enrolment, code checks (replay refused), recovery codes, admin reset.

Services flush and raise; routes and CLI commands commit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from base64 import b32encode

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from learnapp.audit import services as audit
from learnapp.auth import services as auth_services
from learnapp.auth.models import User
from learnapp.database import utcnow
from learnapp.errors import Conflict, LearnAppError
from learnapp.extensions import db
from learnapp.i18n import role_name
from learnapp.two_factor.models import RecoveryCode, TotpCredential

log = logging.getLogger("learnapp.auth")

#: How many recovery codes an account gets at a time.
RECOVERY_CODE_COUNT = 10
#: Codes of the step before and after the current one are accepted too (clock drift, typing).
VALID_WINDOW = 1


class CodeRejected(LearnAppError):
    """A wrong, expired or already used code."""


class PasswordRejected(LearnAppError):
    """The password given to confirm a change is wrong."""


def required_roles() -> tuple[str, ...]:
    return tuple(current_app.config["TWO_FACTOR_REQUIRED_ROLES"])


def is_required(user: User) -> bool:
    """Whether ``user``'s role must sign in with a second factor (configured)."""
    return user.role in required_roles()


def credential_for(user: User) -> TotpCredential | None:
    return db.session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))


def is_enrolled(user: User) -> bool:
    return (
        db.session.scalar(select(TotpCredential.id).where(TotpCredential.user_id == user.id))
        is not None
    )


def new_secret() -> str:
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI authenticator apps read from the QR code."""
    issuer = str(current_app.config["ISSUER_NAME"])
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (the CSP allows no ``data:`` images).

    segno writes the markup from the URI's bits alone (no text of the URI appears in it), with
    a white quiet zone so dark themes do not hide the code from cameras.
    """
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(
        scale=4,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        lineclass=None,
        title=_("QR code to scan with your authenticator app"),
    )
    # segno's output is markup generated here, not user text.
    return Markup(svg)  # noqa: S704  # nosec B704


def format_secret(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalise_code(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is, within the accepted window, else ``None``."""
    code = _normalise_code(code)
    # ASCII only: other scripts' digits pass isdigit() but are no code (and compare_digest
    # refuses non-ASCII text).
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    found = None
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        # Compare every candidate, in constant time, so timing says nothing about which matched.
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            found = current + offset
    return found


def _claim_step(credential_id: int, step: int) -> bool:
    """Record ``step`` as used unless it, or a later one, was used already (atomic)."""
    claimed = db.session.execute(
        update(TotpCredential)
        .where(TotpCredential.id == credential_id, TotpCredential.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def verify_code(user: User, code: str, now: float | None = None) -> bool:
    """Check a code from ``user``'s app; each code is accepted once (replay refused)."""
    credential = credential_for(user)
    if credential is None:
        return False
    step = _matching_step(credential.secret, code, time.time() if now is None else now)
    if step is None:
        log.info("two-factor code wrong user_id=%s", user.id)
        return False
    if not _claim_step(credential.id, step):
        log.info("two-factor code reused user_id=%s", user.id)
        return False
    return True


def enrol(user: User, secret: str, code: str, now: float | None = None) -> list[str]:
    """Turn two-factor sign-in on with ``secret`` once ``code`` shows the app has it.

    Returns the new recovery codes (only their hashes are stored). Ends the account's other
    sessions, which were signed in without the second factor.

    :raises CodeRejected: ``code`` is not the secret's current code.
    :raises Conflict: the account is enrolled already (e.g. from another tab).
    """
    step = _matching_step(secret, code, time.time() if now is None else now)
    if step is None:
        raise CodeRejected(
            _("That code is not right. Check the time on your phone and enter the code shown now.")
        )
    try:
        with db.session.begin_nested():
            db.session.add(TotpCredential(user_id=user.id, secret=secret, last_step=step))
    except IntegrityError as exc:
        raise Conflict(_("Two-factor sign-in is already on for this account.")) from exc
    codes = _replace_recovery_codes(user)
    auth_services.end_other_sessions(user)
    audit.record("user.two_factor_enabled", actor=user, target=user)
    return codes


def _new_recovery_code() -> str:
    text = b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def _hash_recovery_code(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)) for code in codes
    )
    db.session.flush()
    return codes


def remaining_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one of ``user``'s recovery codes; a used or unknown code is refused."""
    if not is_enrolled(user):
        return False
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        log.info("recovery code refused user_id=%s", user.id)
        return False
    audit.record(
        "user.recovery_code_used", actor=user, target=user, left=remaining_recovery_codes(user)
    )
    return True


def _check_password(user: User, password: str) -> None:
    if not auth_services.check_password(user, password):
        raise PasswordRejected(_("The password is not correct."))


def regenerate_recovery_codes(user: User, password: str) -> list[str]:
    """New recovery codes for ``user``; the old ones stop working. Ends the transaction first
    (the password is verified with none open).

    :raises PasswordRejected: wrong password.
    :raises Conflict: two-factor sign-in is off.
    """
    _check_password(user, password)
    if not is_enrolled(user):
        raise Conflict(_("Two-factor sign-in is off for this account."))
    codes = _replace_recovery_codes(user)
    audit.record("user.recovery_codes_regenerated", actor=user, target=user)
    return codes


def disable(user: User, password: str, code: str) -> None:
    """Turn two-factor sign-in off, confirmed by the password and a current code.

    :raises Conflict: the account's role requires it, or it is off already.
    :raises PasswordRejected: wrong password.
    :raises CodeRejected: wrong or reused code.
    """
    if is_required(user):
        raise Conflict(
            _(
                "Two-factor sign-in is required for your role (%(role)s); it cannot be turned"
                " off. An admin can reset it if you lose your phone.",
                role=role_name(user.role),
            )
        )
    _check_password(user, password)
    if not is_enrolled(user):
        raise Conflict(_("Two-factor sign-in is off for this account."))
    if not verify_code(user, code):
        raise CodeRejected(_("That code is not right, or was used already. Enter the next one."))
    _remove(user)
    audit.record("user.two_factor_disabled", actor=user, target=user)


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))


def reset(user: User, *, actor: User | None, reason: str = "") -> bool:
    """An admin's answer to a lost phone: remove the account's app and recovery codes and end
    its sessions. If its role requires two-factor sign-in, it enrols again at its next login.

    Returns False when there was nothing to reset.
    """
    if not is_enrolled(user):
        return False
    _remove(user)
    auth_services.end_other_sessions(user)
    audit.record("user.two_factor_reset", actor=actor, target=user, reason=reason.strip())
    return True
