"""Password hashing (argon2id) and the password policy (ASVS 6.2: length, no composition rules)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 128

_HASHERS = {
    "strong": PasswordHasher(),  # argon2-cffi's RFC 9106 low-memory profile (argon2id)
    # Tests only: the same algorithm at minimal cost.
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


def hasher(profile: str) -> PasswordHasher:
    return _HASHERS[profile]


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's ranked list of ~30,000 leaked passwords, lower-cased.
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Return why ``password`` is not acceptable, or ``None`` if it is."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(count)d characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)d characters.", count=MAX_LENGTH)
    lowered = password.lower()
    if lowered in _common_passwords():
        return _("This password is too common. Choose a less predictable one.")
    personal = {email.lower(), email.lower().split("@")[0], name.lower()} - {""}
    if lowered in personal:
        return _("Do not use your e-mail address or name as your password.")
    return None


def hash_password(password: str, profile: str = "strong") -> str:
    return hasher(profile).hash(password)


def verify_password(password_hash: str, password: str, profile: str = "strong") -> bool:
    try:
        return hasher(profile).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, profile: str = "strong") -> bool:
    return hasher(profile).check_needs_rehash(password_hash)
