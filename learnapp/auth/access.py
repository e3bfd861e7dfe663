"""Session loading and role checks used by every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, session
from flask_login import current_user, login_required, login_user

from learnapp.auth.models import Role, User
from learnapp.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Load the user of a session id ``"<user id>:<generation>"``; stale generations log out."""
    user_id, _, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return user


def start_session(user: User, remember: bool) -> None:
    """Sign ``user`` in, in a fresh session: nothing set before authentication survives
    (session fixation), a pending two-factor login included."""
    session.clear()
    login_user(user, remember=remember)
    session.permanent = True


def role_required(*roles: Role) -> Callable[[F], F]:
    """Require login and one of ``roles`` (admins pass every role check); 403 otherwise."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not (current_user.is_admin or current_user.has_role(*roles)):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
