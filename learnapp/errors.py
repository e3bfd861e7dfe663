"""Domain errors and the handlers that turn every failure into a page in the site's layout."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

try:  # the storage errors Flask-Limiter lets through when Redis is down
    from limits.errors import StorageError
    from redis.exceptions import RedisError

    LIMITER_STORAGE_ERRORS: tuple[type[Exception], ...] = (StorageError, RedisError)
except ImportError:  # pragma: no cover - redis is a declared dependency
    LIMITER_STORAGE_ERRORS = ()


class LearnAppError(Exception):
    """An error a user can read; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(LearnAppError):
    status = 404


class Conflict(LearnAppError):
    status = 409


TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Request too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("There is nothing at this address. Check the link or start from the catalogue."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is larger than this site accepts."),
    429: _l("Too many attempts in a short time. Please wait a moment and try again."),
    500: _l("An unexpected error occurred. It has been logged; please try again later."),
    503: _l("This service is temporarily unavailable. Please try again in a minute."),
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json"


def render_error(status: int, message: str | None = None) -> ResponseReturnValue:
    """Render the error page (or JSON) for ``status``, never exposing internals."""
    message = str(message or MESSAGES.get(status) or _("The request failed."))
    title = str(TITLES.get(status) or _("Error"))
    if _wants_json():
        return jsonify(error=title, message=message, request_id=g.get("request_id")), status
    try:
        html = render_template("errors/error.html", status=status, title=title, message=message)
    except Exception:  # the layout itself failed (e.g. database down): plain page, no details
        log.exception("error page could not be rendered request_id=%s", g.get("request_id"))
        html = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>"
    return html, status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(LearnAppError)
    def handle_domain_error(error: LearnAppError) -> ResponseReturnValue:
        return render_error(error.status, error.message)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
        log.warning("csrf rejected path=%s reason=%s", request.path, error.description)
        return render_error(
            400,
            _("This form has expired or was not sent from this site. Reload the page and retry."),
        )

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limit(error: RateLimitExceeded) -> ResponseReturnValue:
        log.warning("rate limit hit path=%s limit=%s", request.path, error.description)
        body, status = render_error(429)  # type: ignore[misc]
        response = app.make_response((body, status))
        response.headers.setdefault("Retry-After", "60")
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if status < 400:
            return error
        if status == 403:
            from flask_login import current_user

            user_id = current_user.get_id() if current_user.is_authenticated else None
            log.warning(
                "access denied path=%s user_id=%s", request.path, (user_id or "").split(":")[0]
            )
        response = app.make_response(render_error(status))
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    for storage_error in LIMITER_STORAGE_ERRORS:

        @app.errorhandler(storage_error)
        def handle_limiter_down(error: Exception) -> ResponseReturnValue:
            # Fail closed: without the shared counter, logins are refused, not unlimited.
            log.error("rate limiter storage unavailable: %s", type(error).__name__)
            response = app.make_response(
                render_error(503, _("Signing in is briefly unavailable. Please retry in a minute."))
            )
            response.headers["Retry-After"] = "30"
            return response

    def handle_value_out_of_range(error: Exception) -> ResponseReturnValue:
        # An id, page or sequence number beyond the column's range (SQLite raises
        # OverflowError past 64 bits; PostgreSQL "integer out of range" past 32) or a NUL
        # byte in text, from the URL, query or form: no row can match. Not a 500.
        from learnapp.extensions import db

        db.session.rollback()
        log.warning("value out of range path=%s: %s", request.path, type(error).__name__)
        return render_error(400)

    app.register_error_handler(OverflowError, handle_value_out_of_range)
    app.register_error_handler(DataError, handle_value_out_of_range)

    from sqlalchemy.exc import OperationalError

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(error: OperationalError) -> ResponseReturnValue:
        # The database is down or restarting, or SQLite stayed locked past the busy timeout:
        # temporary, so 503 with Retry-After (clients retry; nothing was committed), not 500.
        from learnapp.extensions import db

        db.session.rollback()
        log.error(
            "database unavailable request_id=%s: %s",
            g.get("request_id"),
            type(error.orig).__name__,
        )
        response = app.make_response(render_error(503))
        response.headers["Retry-After"] = "10"
        # Set here so that the after-request hook does not load the user (another query).
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(InternalServerError)
    def handle_unexpected(error: InternalServerError) -> ResponseReturnValue:
        original = error.original_exception or error
        log.error("unhandled error request_id=%s", g.get("request_id"), exc_info=original)
        return render_error(500)
