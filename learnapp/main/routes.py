from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from learnapp.extensions import csrf, db
from learnapp.security import PUBLIC_PAGE_CACHE, public_page

bp = Blueprint("main", __name__, template_folder="templates")
log = logging.getLogger(__name__)


@bp.get("/")
@public_page(PUBLIC_PAGE_CACHE)
def index() -> ResponseReturnValue:
    from learnapp.catalog.services import visible_courses

    user = current_user if current_user.is_authenticated else None
    return render_template(
        "main/index.html", courses=[view.course for view in visible_courses(user)]
    )


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico on their own; answer with the site icon."""
    return current_app.send_static_file("favicon.png")


@bp.get("/healthz")
@csrf.exempt
def healthz() -> ResponseReturnValue:
    """200 when the database answers, 503 otherwise (for load balancers and monitors), with the
    release and the course content this host serves (``learnapp.ops.health``)."""
    from learnapp.ops import health

    no_store = {"Cache-Control": "no-store"}
    try:
        db.session.execute(text("SELECT 1"))
        content = health.content_report(current_app.config["COURSES_DIR"])
    except SQLAlchemyError as exc:
        log.error("health check failed: %s", type(exc).__name__)
        db.session.rollback()
        return (
            jsonify(status="unavailable", database="unreachable"),
            503,
            {"Retry-After": "10"} | no_store,
        )
    db.session.rollback()
    body = {"status": "ok", "database": "ok"}
    body |= health.release(current_app.config["RELEASE"])
    body["content"] = content
    return jsonify(body), 200, no_store
