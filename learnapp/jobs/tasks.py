"""The jobs: closing overdue attempts (periodic) and each closed attempt's follow-ups."""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy.exc import OperationalError

from learnapp.extensions import db
from learnapp.jobs import services
from learnapp.ops import metrics

log = logging.getLogger(__name__)


@shared_task(name="learnapp.jobs.close_overdue")
def close_overdue() -> int:
    """Close and complete every overdue attempt (once across the fleet); queue each one's
    follow-up check."""
    closed = services.close_overdue()
    if closed is None:
        metrics.JOBS.labels("close_overdue", "skipped").inc()
        log.info("close-overdue skipped: another run holds the lock")
        return 0
    for attempt_id in closed:
        attempt_closed.delay(attempt_id)
    metrics.JOBS.labels("close_overdue", "ok").inc()
    log.info("closed %s overdue attempt(s): %s", len(closed), closed)
    return len(closed)


@shared_task(
    name="learnapp.jobs.attempt_closed",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def attempt_closed(attempt_id: int) -> bool:
    """Follow-up of an attempt closed by its deadline: the completion step again, which finds
    the certificate issued with the closing. Idempotent (one certificate per student and
    course), so retries are safe, and a job lost with the queue loses nothing."""
    try:
        issued = services.follow_up(attempt_id)
    except OperationalError:
        db.session.rollback()
        metrics.JOBS.labels("attempt_closed", "retry").inc()
        log.warning("attempt %s follow-up failed; retrying", attempt_id)
        raise
    metrics.JOBS.labels("attempt_closed", "ok").inc()
    log.info("followed up attempt %s (certificate issued: %s)", attempt_id, issued)
    return issued
