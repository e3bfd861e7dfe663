"""The public privacy page and the download of one's own data."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from learnapp.database import utcnow
from learnapp.extensions import limiter
from learnapp.privacy import services
from learnapp.security import PUBLIC_PAGE_CACHE, public_page

bp = Blueprint("privacy", __name__, template_folder="templates")
log = logging.getLogger("learnapp.privacy")

#: Downloads per account; override with ``LEARNAPP_DATA_EXPORT_LIMITS``.
DEFAULT_EXPORT_LIMITS = "5/minute;20/day"


def _export_limits() -> str:
    return str(current_app.config.get("DATA_EXPORT_LIMITS", DEFAULT_EXPORT_LIMITS))


def _account_key() -> str:
    return f"user:{current_user.id}"


@bp.get("/privacy")
@public_page(PUBLIC_PAGE_CACHE)
def page() -> ResponseReturnValue:
    return render_template(
        "privacy/privacy.html",
        withheld_name=services.WITHHELD_NAME,
        contact=current_app.config.get("PRIVACY_CONTACT"),
    )


@bp.get("/account/data")
@login_required
@limiter.limit(_export_limits, key_func=_account_key, scope="data-export")
def download() -> ResponseReturnValue:
    """The signed-in person's own data as a JSON attachment (nobody else's: no id in the URL)."""
    data = services.export_data(current_user)
    body = json.dumps(data, default=services.json_default, ensure_ascii=False, indent=2)
    # Logged, not audited: a GET writes nothing to the database.
    log.info("personal data exported user_id=%s", current_user.id)
    filename = f"learnapp-data-{current_user.id}-{utcnow():%Y%m%d}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
