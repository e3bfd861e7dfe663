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
from urllib.parse import urlsplit

import click
from flask import Flask

ENVIRONMENTS = ("production", "development", "testing")
ROLES = ("student", "instructor", "admin")


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
    #: The Ed25519 key that signs credentials: a PEM file, or the PEM itself (for a secret
    #: variable). Production requires one (or the key an older version created in the instance
    #: folder); development creates ``certificate-signing-key.pem`` in the instance folder.
    CERTIFICATE_KEY_PATH: str | None = None
    CERTIFICATE_KEY: str | None = None
    #: Number of trusted proxies in front of the app (ProxyFix); 0 means none.
    PROXY_HOPS = 0
    COURSES_DIR: str | None = None
    #: Interface languages (a translation must exist in learnapp/translations), English first:
    #: the fallback when neither the user's choice nor ``Accept-Language`` names one of them.
    LANGUAGES = ("en", "es")
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
    #: Roles that must sign in with a second factor (TOTP), comma-separated; "" for none.
    #: Other roles may turn it on in their account settings.
    TWO_FACTOR_REQUIRED_ROLES: str | list[str] | tuple[str, ...] = "admin,instructor"
    #: How long the code step of a login may take after the password step.
    TWO_FACTOR_PENDING_SECONDS = 300
    # Flask-Limiter: memory in development, Redis via LEARNAPP_RATELIMIT_STORAGE_URI.
    RATELIMIT_STORAGE_URI = "memory://"
    #: Explicit, because Flask-Limiter's instance is global: an app created with False would
    #: otherwise leave every later app in the process unlimited.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMITS_PER_ACCOUNT = "10/minute;100/hour"
    LOGIN_LIMITS_PER_ADDRESS = "30/minute"
    REGISTER_LIMITS_PER_ADDRESS = "10/hour"
    #: Bearer token that opens ``/metrics`` to Prometheus; unset, ``/metrics`` is a 404.
    METRICS_TOKEN: str | None = None
    #: One JSON line per request on stderr; None means "on in production".
    REQUEST_LOG: bool | None = None
    #: Celery broker (e.g. ``redis://127.0.0.1:6379/1``). Unset: jobs run in-process, at once.
    JOBS_BROKER_URL: str | None = None
    #: How often ``celery beat`` sends the close-overdue job.
    JOBS_CLOSE_OVERDUE_SECONDS = 60
    #: Outgoing mail (Flask-Mailman). The backend: ``smtp``, ``console`` (prints each mail),
    #: ``locmem`` or ``file``; None means smtp in production, console in development, locmem
    #: in tests (which start their own SMTP server where they check mail).
    MAIL_BACKEND: str | None = None
    #: The SMTP server; None means ``localhost``, except that a production site requiring
    #: address verification refuses to start without one set (see ``_mail_defaults``).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    #: STARTTLS on a plain connection (port 587) or TLS from the start (port 465): one of them.
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_TIMEOUT = 30
    #: The From address; None means "<ISSUER_NAME> <noreply@host of BASE_URL>".
    MAIL_DEFAULT_SENDER: str | None = None
    #: Optional Reply-To address (a support inbox); None sends none.
    MAIL_REPLY_TO: str | None = None
    #: ``required``, ``optional`` or ``off``; None means required in production, off otherwise.
    MAIL_VERIFICATION: str | None = None
    MAIL_VERIFICATION_HOURS = 48
    #: A mail claimed by a worker that then died is sent again after this long.
    MAIL_SEND_LEASE_SECONDS = 600
    #: Tries before a mail is given up (marked failed).
    MAIL_MAX_TRIES = 12
    #: How often ``celery beat`` starts the jobs of mails left unsent.
    MAIL_SWEEP_SECONDS = 300
    #: Sent and failed mails are deleted after this many days (by the sweep).
    MAIL_KEEP_DAYS = 30
    #: Hour (UTC) of the daily practice digest.
    MAIL_DIGEST_HOUR = 7
    FORGOT_PASSWORD_LIMITS_PER_ADDRESS = "5/minute;30/hour"  # noqa: S105  # nosec B105
    FORGOT_PASSWORD_LIMITS_PER_ACCOUNT = "3/hour"  # noqa: S105  # nosec B105
    VERIFICATION_RESEND_LIMITS = "3/hour"
    #: Release shown by ``/healthz``; unset, the git commit of the checkout if there is one.
    RELEASE: str | None = None


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


def _check_certificate_key(app: Flask) -> None:
    """Refuse to serve without a usable signing key: every host of a fleet must sign with the
    key the configuration gives, never one it makes up (others would not publish it)."""
    from learnapp.certificates import credentials, keys

    if app.config["CERTIFICATE_KEY"] and app.config["CERTIFICATE_KEY_PATH"]:
        raise ConfigError(
            "Both LEARNAPP_CERTIFICATE_KEY and LEARNAPP_CERTIFICATE_KEY_PATH are set: set one."
        )
    source = keys.key_source(app.config, app.instance_path)
    if source is None:
        raise ConfigError(
            "No certificate signing key. Set LEARNAPP_CERTIFICATE_KEY_PATH to the key's PEM file "
            "(or LEARNAPP_CERTIFICATE_KEY to its content), the same key on every host; "
            "`flask certificates rotate-key --out FILE` creates one (docs/certificate-keys.md)."
        )
    try:
        source.load()
    except credentials.CredentialError as exc:
        raise ConfigError(f"The certificate signing key cannot be used: {exc}.") from exc


def _roles(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"admin,instructor"`` (or a JSON list from the environment) as a tuple of roles.

    :raises ConfigError: an unknown role (a typo must not silently drop the requirement).
    """
    names = value.split(",") if isinstance(value, str) else list(value)
    roles = tuple(dict.fromkeys(str(name).strip().lower() for name in names if str(name).strip()))
    if unknown := [role for role in roles if role not in ROLES]:
        raise ConfigError(
            f"LEARNAPP_TWO_FACTOR_REQUIRED_ROLES names unknown role(s) {', '.join(unknown)}; "
            f"use a comma-separated list of {', '.join(ROLES)}, or an empty value for none."
        )
    return roles


MAIL_VERIFICATION_MODES = ("required", "optional", "off")


def _mail_defaults(app: Flask) -> None:
    env = app.config["ENV"]
    if app.config["MAIL_BACKEND"] is None:
        app.config["MAIL_BACKEND"] = {"production": "smtp", "development": "console"}.get(
            env, "locmem"
        )
    if app.config["MAIL_VERIFICATION"] is None:
        app.config["MAIL_VERIFICATION"] = "required" if env == "production" else "off"
    if app.config["MAIL_VERIFICATION"] not in MAIL_VERIFICATION_MODES:
        raise ConfigError(
            "LEARNAPP_MAIL_VERIFICATION must be one of "
            f"{', '.join(MAIL_VERIFICATION_MODES)}, not {app.config['MAIL_VERIFICATION']!r}."
        )
    if not app.config["MAIL_SERVER"]:
        if (
            env == "production"
            and app.config["MAIL_VERIFICATION"] == "required"
            and app.config["MAIL_BACKEND"] == "smtp"
            and not _maintenance_command()
        ):
            # Falling back to localhost:25 would lose every confirmation mail silently and
            # lock each new account out; quietly lowering the requirement to "optional" would
            # let unconfirmed addresses in on a site whose operator asked for the opposite.
            raise ConfigError(
                "LEARNAPP_MAIL_SERVER is not set, but LEARNAPP_MAIL_VERIFICATION is "
                "'required' (the production default): new accounts could never confirm their "
                "address. Set LEARNAPP_MAIL_SERVER (e.g. localhost for a local MTA), or set "
                "LEARNAPP_MAIL_VERIFICATION=optional or off."
            )
        app.config["MAIL_SERVER"] = "localhost"
    if app.config["MAIL_USE_TLS"] and app.config["MAIL_USE_SSL"]:
        raise ConfigError(
            "Set LEARNAPP_MAIL_USE_TLS (STARTTLS, port 587) or LEARNAPP_MAIL_USE_SSL "
            "(TLS from the start, port 465), not both."
        )
    for name in ("MAIL_USERNAME", "MAIL_PASSWORD"):
        # Environment values are read as JSON: a numeric password must stay a string.
        if app.config[name] is not None:
            app.config[name] = str(app.config[name])
    if not app.config["MAIL_DEFAULT_SENDER"]:
        host = urlsplit(app.config["BASE_URL"]).hostname or "localhost"
        app.config["MAIL_DEFAULT_SENDER"] = f"{app.config['ISSUER_NAME']} <noreply@{host}>"


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` and check it.

    :raises ConfigError: when a production app has no ``SECRET_KEY``, no usable certificate
        signing key, or requires address verification with no ``LEARNAPP_MAIL_SERVER``, or
        ``LEARNAPP_ENV`` or a role requiring two-factor sign-in is unknown.
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
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = _roles(app.config["TWO_FACTOR_REQUIRED_ROLES"])
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

    if env == "production" and not _maintenance_command():
        _check_certificate_key(app)

    _mail_defaults(app)

    secure = app.config["COOKIE_SECURE"]
    if secure is None:
        secure = env == "production"
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only, path=/.
    app.config["SESSION_COOKIE_NAME"] = "__Host-session" if secure else "session"
    app.config["REMEMBER_COOKIE_NAME"] = "__Host-remember" if secure else "remember_token"
    app.config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
