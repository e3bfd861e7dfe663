"""Configuration: safe defaults, overridden by ``LEARNAPP_*`` environment variables.

Precedence, lowest first: :class:`Config` defaults, ``DATABASE_URL`` / ``SECRET_KEY`` and
``LEARNAPP_*`` variables from the environment, then the mapping given to ``create_app``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


class Config:
    ENV = "production"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: Absolute base URL used in links that leave the site (certificates, reset links).
    BASE_URL = "http://127.0.0.1:5000"
    #: The issuer named on certificates and in their signed credentials.
    ISSUER_NAME = "LearnApp"
    #: PEM file of the Ed25519 key that signs credentials (created on first use; keep it out of
    #: git and back it up). Default: ``certificate-signing-key.pem`` in the instance folder.
    CERTIFICATE_KEY_PATH: str | None = None
    #: Number of trusted proxies in front of the app (ProxyFix); 0 means none.
    PROXY_HOPS = 0
    COURSES_DIR: str | None = None
    #: Request bodies above this size get 413.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_PARTS = 2000
    #: Long enough for the longest quiz plus grace (RELIABILITY.md 1.3).
    WTF_CSRF_TIME_LIMIT = 6 * 3600
    WTF_CSRF_SSL_STRICT = True
    #: Secure cookies; None means "Secure unless ENV is development or testing".
    COOKIE_SECURE: bool | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
    #: argon2id cost; tests use "fast".
    PASSWORD_HASHING = "strong"  # noqa: S105  # nosec B105 - a cost profile name, not a password
    PASSWORD_RESET_HOURS = 24
    # Flask-Limiter: memory in development, Redis via LEARNAPP_RATELIMIT_STORAGE_URI.
    RATELIMIT_STORAGE_URI = "memory://"
    #: Explicit, because Flask-Limiter's instance is global: an app created with False would
    #: otherwise leave every later app in the process unlimited.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMITS_PER_ACCOUNT = "10/minute;100/hour"
    LOGIN_LIMITS_PER_ADDRESS = "30/minute"
    REGISTER_LIMITS_PER_ADDRESS = "10/hour"


def _database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the usual host formats."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _dev_secret_key(instance_path: str) -> str:
    """Read or create ``instance/secret_key`` so development sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _maintenance_command() -> bool:
    """True inside a ``flask`` CLI command other than ``run``."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.command.name != "run"


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` and check it.

    :raises ConfigError: when a production app has no ``SECRET_KEY`` or ``LEARNAPP_ENV`` is unknown.
    """
    app.config.from_object(Config)
    if url := os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if key := os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = key
    app.config.from_prefixed_env("LEARNAPP")
    if overrides:
        app.config.update(overrides)

    env = app.config["ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"LEARNAPP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'learnapp.db'}"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config["COURSES_DIR"]:
        app.config["COURSES_DIR"] = str(Path(app.root_path).parent / "courses")
    if not app.config["SECRET_KEY"]:
        if env == "production" and _maintenance_command():
            # CLI commands (courses check, db upgrade, ...) sign nothing: a throwaway key lets
            # them run; serving (gunicorn, flask run) still refuses to start without one.
            app.config["SECRET_KEY"] = secrets.token_hex(32)
        elif env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))'), "
                "or set LEARNAPP_ENV=development for a local key."
            )
        else:
            app.config["SECRET_KEY"] = _dev_secret_key(app.instance_path)

    secure = app.config["COOKIE_SECURE"]
    if secure is None:
        secure = env == "production"
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only, path=/.
    app.config["SESSION_COOKIE_NAME"] = "__Host-session" if secure else "session"
    app.config["REMEMBER_COOKIE_NAME"] = "__Host-remember" if secure else "remember_token"
    app.config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
