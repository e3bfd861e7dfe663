"""Two-factor fixtures: enrol an account through the service, make its codes, log in."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest

from learnapp.auth.models import User
from learnapp.extensions import db
from learnapp.two_factor import services
from tests.conftest import AuthActions


@pytest.fixture
def enrol() -> Callable[[User], str]:
    """``enrol(user)`` turns two-factor sign-in on and returns the secret; the step whose code
    confirmed it is in the past, so the current code still works once."""

    def make(user: User) -> str:
        secret = services.new_secret()
        totp = pyotp.TOTP(secret)
        earlier = time.time() - 60
        services.enrol(user, secret, totp.at(earlier), now=earlier)
        db.session.commit()
        return secret

    return make


@pytest.fixture
def code() -> Callable[..., str]:
    """``code(secret, steps=0)``: the app's code now, or ``steps`` 30-second steps later."""

    def make(secret: str, steps: int = 0) -> str:
        return pyotp.TOTP(secret).at(time.time() + 30 * steps)

    return make


@pytest.fixture
def recovery_codes() -> Callable[[User, str], list[str]]:
    """``recovery_codes(user, password)``: a fresh set (the old ones end)."""

    def make(user: User, password: str) -> list[str]:
        codes = services.regenerate_recovery_codes(user, password)
        db.session.commit()
        return codes

    return make


@pytest.fixture
def login_with_code(client, code) -> Callable[..., Any]:
    """``login_with_code(user, secret)``: both steps of a login; returns the code step's reply."""

    def login(user: User, secret: str, **extra: Any) -> Any:
        first = AuthActions(client).login(user)
        assert first.headers["Location"] == "/login/code"
        return client.post("/login/code", data={"code": code(secret), **extra})

    return login


@pytest.fixture
def wrong_code() -> Callable[[str], str]:
    """``wrong_code(secret)``: six digits that are none of the codes accepted now."""

    def make(secret: str) -> str:
        totp = pyotp.TOTP(secret)
        accepted = {totp.at(time.time() + 30 * steps) for steps in range(-2, 3)}
        return next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in accepted)

    return make
