"""A login between its password step and its code step, kept in the (signed) session.

Only the account id, its session generation, the e-mail address (the rate-limit key) and when
the password was checked are stored: nothing that signs anyone in. The state expires after
``TWO_FACTOR_PENDING_SECONDS``, and ends when the account's sessions end (a password change,
deactivation, an admin's two-factor reset) or a login completes.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, session

from learnapp.auth.models import User
from learnapp.extensions import db

KEY = "two_factor_pending"


def begin(user: User, next_url: str | None) -> None:
    # A fresh session, as at any login: nothing from before the password step survives.
    session.clear()
    session[KEY] = {
        "user_id": user.id,
        "generation": user.session_generation,
        "email": user.email,
        "since": int(time.time()),
        "next": next_url,
    }


def _state() -> dict[str, Any] | None:
    state = session.get(KEY)
    if not isinstance(state, dict):
        return None
    age = time.time() - float(state.get("since", 0))
    if not 0 <= age <= float(current_app.config["TWO_FACTOR_PENDING_SECONDS"]):
        return None
    return state


def user() -> User | None:
    """The account whose password was checked, if its login is still pending."""
    state = _state()
    if state is None:
        return None
    found = db.session.get(User, int(state["user_id"]))
    if found is None or not found.is_active or found.session_generation != state["generation"]:
        return None
    return found


def email() -> str:
    """The pending account's e-mail address ("" if none): the per-account rate-limit key."""
    state = _state()
    return str(state["email"]) if state else ""


def next_url() -> str | None:
    state = _state()
    return state.get("next") if state else None


def clear() -> None:
    session.pop(KEY, None)
