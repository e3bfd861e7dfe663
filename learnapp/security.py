"""Security headers, request ids and safe redirects, applied to every response."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

from learnapp.database import sqlite_begin_mode

log = logging.getLogger(__name__)

V = TypeVar("V", bound=Callable[..., Any])

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

#: Pages anonymous visitors read (home, catalogue, course and lesson pages, search, certificate
#: verification, privacy notice): a cache may keep them but must revalidate on every use (a 304
#: thanks to the ETag when nothing changed). They change when a course is synced, and a revoked
#: certificate must show as revoked at the next look, not after a lifetime runs out.
PUBLIC_PAGE_CACHE = "no-cache"
#: Documents that change only with the configuration (the issuer profile), like the published
#: keys: an hour.
STABLE_DOCUMENT_CACHE = "public, max-age=3600"

#: What a request id from the proxy may look like (HAProxy's ``unique-id-format``, nginx's
#: ``$request_id``, UUIDs); anything else is replaced, so logs cannot be forged through it.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(trust_proxy: bool) -> str:
    """The proxy's ``X-Request-ID`` when a trusted proxy is configured, else a new id."""
    if trust_proxy:
        given = request.headers.get("X-Request-ID", "")
        if REQUEST_ID.fullmatch(given):
            return given
    return secrets.token_hex(6)


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


def storable(response: Response) -> bool:
    """Whether a cache may keep ``response`` (``public``, ``no-cache`` or a ``max-age``)."""
    cache = response.cache_control
    return not (cache.no_store or cache.private) and bool(
        cache.public or cache.no_cache or cache.max_age
    )


#: Flask-Login's freshness mark. Its "basic" session protection writes it into any session
#: without a login, so an anonymous visitor's CSRF session would be re-sent once for nothing.
_FRESH = "_fresh"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, sent only when their content changed, and never on a
    response a shared cache may keep.

    A permanent session re-sends its cookie on every response; on a file served with
    ``Cache-Control: public`` (course assets, published keys) or ``no-cache`` (static files,
    public pages), a shared cache could store that ``Set-Cookie`` and hand one user's session
    to others, so an unchanged session is not sent again. A changed session (login, logout, a
    flash message shown) is always saved, and the response carrying it becomes ``no-store``:
    it is that visitor's own. A session written to and put back as it was (a freshness mark on
    an anonymous session, a CSRF token a public page dropped) counts as unchanged.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        opened = super().open_session(app, request)
        if opened is not None:
            opened.opened_with = dict(opened)  # type: ignore[attr-defined]
        return opened

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if "_user_id" not in session and _FRESH in session:
            session.pop(_FRESH)
        if session.modified and dict(session) == opened_with(session):
            session.modified = False
        if storable(response):
            if not session.modified:
                return
            response.headers["Cache-Control"] = "no-store"
        super().save_session(app, session, response)


def opened_with(session: SessionMixin) -> dict[str, Any]:
    """The session's content as the request brought it."""
    return getattr(session, "opened_with", {})


def public_page(cache_control: str) -> Callable[[V], V]:
    """Mark a view whose page is the same for every anonymous visitor and has no form for them.

    For anonymous visitors the response gets ``cache_control``, ``Vary: Cookie`` (the same URL
    serves personal pages to logged-in users) and an ETag, so that ``no-cache`` revalidates
    with a 304; and it starts no session: a CSRF token the view made for forms it only shows
    to staff (built whether shown or not) is dropped. A page that showed the visitor a flash
    message changed their session, so it is ``no-store`` instead (see
    :class:`SessionInterface`). Logged-in users get the personal ``no-store`` as on every page.
    """

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            response = current_app.make_response(view(*args, **kwargs))
            if current_user.is_authenticated:
                return response
            field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
            if field not in opened_with(session):
                session.pop(field, None)
            if response.status_code == 200:
                if not response.is_streamed and not response.direct_passthrough:
                    response.add_etag()
                response.headers["Cache-Control"] = cache_control
                response.vary.add("Cookie")
                response.make_conditional(request)
            return response

        return wrapped  # type: ignore[return-value]

    return decorator


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
    trust_proxy = int(app.config["PROXY_HOPS"]) > 0

    @app.before_request
    def start_request() -> None:
        g.request_id = request_id(trust_proxy)
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
        # Every response says how it may be cached. Files, public pages (public_page) and
        # published keys say so themselves; anything else is stored nowhere: personal pages,
        # forms (their CSRF token belongs to one session), redirects, errors (a cached 404 or
        # 503 would outlive its cause) and any route added later.
        if "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response
