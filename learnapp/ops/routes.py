"""``/metrics`` for Prometheus, behind a bearer token (``LEARNAPP_METRICS_TOKEN``)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from flask.typing import ResponseReturnValue

from learnapp.ops import metrics

bp = Blueprint("ops", __name__)


@bp.get("/metrics")
def prometheus() -> ResponseReturnValue:
    """The host's metrics; 404 unless the request carries the configured token (none set:
    the endpoint does not exist)."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    if not metrics.token_matches(token, request.headers.get("Authorization")):
        return (
            "Unauthorized\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    return (
        metrics.exposition(),
        200,
        {"Content-Type": metrics.CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )
