from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from learnapp.extensions import csrf, db

bp = Blueprint("main", __name__, template_folder="templates")
log = logging.getLogger(__name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    from learnapp.catalog.services import visible_courses

    user = current_user if current_user.is_authenticated else None
    return render_template("main/index.html", courses=visible_courses(user))


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico on their own; answer with the site icon."""
    return current_app.send_static_file("favicon.png")


@bp.get("/healthz")
@csrf.exempt
def healthz() -> ResponseReturnValue:
    """200 when the database answers, 503 otherwise (for load balancers and monitors)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check failed: %s", type(exc).__name__)
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503, {"Retry-After": "10"}
    return jsonify(status="ok", database="ok")
