"""Prometheus metrics: requests by endpoint, 5xx, answer saves, open attempts, sync duration.

Labels are bounded: routes are Flask endpoint names (``quizzes.autosave``), never raw URLs, and
a request that matched no route counts as ``unmatched``. Under gunicorn each worker is its own
process, so set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder (the gunicorn config in
``learnapp.ops.gunicorn_config`` and the systemd unit do) and every worker's samples are
summed at scrape time. Open attempts are counted from the database when scraped, so every host
reports the same fleet-wide figure.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if _folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # CLI commands of the host (a sync) write their samples there too; it must exist.
    os.makedirs(_folder, exist_ok=True)

#: The endpoints whose successful POSTs save answers (page saves and autosaves).
SAVE_ENDPOINTS = frozenset({"quizzes.save", "quizzes.autosave"})

REQUESTS = Counter(
    "learnapp_http_requests_total",
    "HTTP requests answered, by Flask endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
REQUEST_DURATION = Histogram(
    "learnapp_http_request_duration_seconds",
    "Time from the start of the request to the response, by Flask endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SERVER_ERRORS = Counter(
    "learnapp_http_server_errors_total",
    "Responses with a 5xx status, by Flask endpoint.",
    ["endpoint"],
)
ANSWER_SAVES = Counter(
    "learnapp_answer_saves_total",
    "Answer saves acknowledged to the student (page saves and autosaves with a 2xx answer).",
)
SYNC_DURATION = Histogram(
    "learnapp_course_sync_duration_seconds",
    "Duration of course syncs that held the sync lock, by outcome (ok, problems, failed).",
    ["outcome"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
SYNC_BUSY = Counter(
    "learnapp_course_sync_busy_total",
    "Syncs refused because another sync (on any host) held the lock.",
)
JOBS = Counter(
    "learnapp_jobs_total",
    "Background jobs run by this process, by job name and outcome (ok, skipped, retry, error).",
    ["job", "outcome"],
)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, method, str(status)).inc()
    REQUEST_DURATION.labels(endpoint).observe(seconds)
    if status >= 500:
        SERVER_ERRORS.labels(endpoint).inc()
    elif status < 300 and endpoint in SAVE_ENDPOINTS and method == "POST":
        ANSWER_SAVES.inc()


class AttemptsCollector(Collector):
    """Open attempts, and open attempts already past their deadline, counted at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from learnapp.database import utcnow
        from learnapp.extensions import db
        from learnapp.quizzes.models import OPEN, QuizAttempt

        now = utcnow()
        total, overdue = db.session.execute(
            select(
                func.count(QuizAttempt.id),
                func.count(QuizAttempt.id).filter(QuizAttempt.deadline_at < now),
            ).where(QuizAttempt.status == OPEN)
        ).one()
        db.session.rollback()
        yield GaugeMetricFamily(
            "learnapp_open_attempts", "Quiz attempts open now (all hosts).", value=total
        )
        yield GaugeMetricFamily(
            "learnapp_overdue_open_attempts",
            "Open attempts past their deadline, waiting for close-overdue (all hosts).",
            value=overdue,
        )


def exposition() -> bytes:
    """The text exposition of every metric of this host (all gunicorn workers) and the
    database-wide gauges."""
    scrape = CollectorRegistry()
    scrape.register(AttemptsCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(scrape)
        return generate_latest(scrape)
    return generate_latest(REGISTRY) + generate_latest(scrape)


def token_matches(configured: object, authorization: str | None) -> bool:
    """Whether ``Authorization: Bearer <token>`` carries the configured token (constant time)."""
    if not configured or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), str(configured).encode())


__all__ = ["CONTENT_TYPE_LATEST", "exposition", "observe_request", "token_matches"]
