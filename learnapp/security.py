"""Security headers, request ids and safe redirects, applied to every response."""

from __future__ import annotations

import logging
import secrets
from io import BytesIO
from typing import IO
from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, g, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

from learnapp.database import sqlite_begin_mode

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None`` (no open redirects).

    Browsers treat ``//host``, ``/\\host`` and ``https:host`` as other sites, and strip tabs and
    newlines, so anything but a plain absolute path is refused.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\t\r\n") or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus refreshes on responses a shared cache may keep.

    A permanent session re-sends its cookie on every response; on a file served with
    ``Cache-Control: public`` (course assets, published keys) or ``no-cache`` (static files),
    a shared cache could store that ``Set-Cookie`` and hand one user's session to others.
    A changed session (login, logout, flash) is always saved.
    """

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        cache = response.cache_control
        storable = not (cache.no_store or cache.private) and (
            cache.public or cache.no_cache or cache.max_age
        )
        if storable and not session.modified:
            return
        super().save_session(app, session, response)


class LimitedRequest(Request):
    """A request whose streamed (chunked) body is refused, not cut, beyond the size limit.

    Without a Content-Length, Werkzeug stops reading at ``MAX_CONTENT_LENGTH`` and hands the
    truncated body to the form parser, so a 5 MB chunked POST was processed as its first MiB.
    """

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        streamed = self.content_length is None and "wsgi.input_terminated" in self.environ
        if streamed and limit is not None and not self.shallow:  # chunked: the server ends it
            data = self.input_stream.read(limit + 1)
            if len(data) > limit:
                raise RequestEntityTooLarge()
            return BytesIO(data)
        return super().stream


def register_security(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.request_class = LimitedRequest

    @app.before_request
    def start_request() -> None:
        g.request_id = secrets.token_hex(6)
        # Reads begin deferred so they do not queue behind SQLite's write lock; anything that
        # may write takes the lock up front (BEGIN IMMEDIATE).
        g.begin_mode_token = sqlite_begin_mode.set(
            "DEFERRED" if request.method in SAFE_METHODS else "IMMEDIATE"
        )
        # Werkzeug caps the parts of multipart bodies only; apply the same cap to
        # URL-encoded forms so 10,000 tiny fields cannot make every view loop over them.
        if request.mimetype == "application/x-www-form-urlencoded":
            fields = sum(1 for _ in request.form.items(multi=True))
            if fields > app.config["MAX_FORM_PARTS"]:
                abort(413)

    @app.teardown_request
    def end_request(_exc: BaseException | None) -> None:
        token = g.pop("begin_mode_token", None)
        if token is not None:
            sqlite_begin_mode.reset(token)

    @app.after_request
    def set_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if g.get("request_id"):
            headers["X-Request-Id"] = g.request_id
        # Personal pages must not be stored by browsers or shared caches.
        # (Static files already carry Cache-Control, so they skip the user lookup.)
        if "Cache-Control" not in headers and current_user and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Cookie"
        return response
