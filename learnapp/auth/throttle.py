"""Login throttling shared by every step of a login (password, then a two-factor code).

The limits are shared (one bucket per scope, not per route): the password form and the code
forms draw on the same per-address and per-account budgets, so a second factor adds no
guesses to an attacker's allowance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

from learnapp.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])


def account_key(email: str) -> str:
    """The per-account bucket of a login naming ``email``."""
    return "account:" + email.strip().lower()[:254]


def _per_account() -> str:
    return str(current_app.config["LOGIN_LIMITS_PER_ACCOUNT"])


def _per_address() -> str:
    return str(current_app.config["LOGIN_LIMITS_PER_ADDRESS"])


def login_limits(account: Callable[[], str]) -> Callable[[F], F]:
    """Limit POSTs to a view per client address and per account (``account()`` gives its key)."""
    per_address = limiter.shared_limit(_per_address, scope="login-address", methods=["POST"])
    per_account = limiter.shared_limit(
        _per_account, scope="login-account", key_func=account, methods=["POST"]
    )

    def decorator(view: F) -> F:
        return per_address(per_account(view))  # type: ignore[return-value]

    return decorator
