"""The mail jobs: send one mail (retried with backoff), the sweep, the practice digest."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from learnapp.extensions import db
from learnapp.mail import notices, outbox
from learnapp.ops import metrics

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="learnapp.mail.send",
    autoretry_for=(outbox.TemporaryFailure, OperationalError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send(self: Task, outbox_id: int) -> str:
    """Send one queued mail. Idempotent: a retry or a redelivery of a sent mail sends nothing.

    On a worker a temporary failure is retried with backoff. In-process (no broker: Celery's
    eager mode) a retry would run at once, in the web worker that has just answered a page,
    and a server that times out would hold that worker for every try: there the mail is tried
    once and stays queued for the sweep (``flask mail send-queued``) instead.
    """
    try:
        status = outbox.deliver(outbox_id)
    except (outbox.TemporaryFailure, OperationalError):
        db.session.rollback()
        if self.request.is_eager:
            metrics.JOBS.labels("mail_send", "left_for_sweep").inc()
            return "queued"
        metrics.JOBS.labels("mail_send", "retry").inc()
        raise
    metrics.JOBS.labels("mail_send", status).inc()
    return status


@shared_task(name="learnapp.mail.send_queued")
def send_queued() -> int:
    """Start a send job for every mail left queued (broker down, retries exhausted, a worker
    that died mid-send), and delete old sent mail. Safe on several hosts at once: each send
    claims its mail."""
    ids = outbox.unsent()
    pruned = outbox.prune()
    db.session.commit()
    if pruned:
        log.info("deleted %s mail(s) past LEARNAPP_MAIL_KEEP_DAYS", pruned)
    for outbox_id in ids:
        send.delay(outbox_id)
    metrics.JOBS.labels("mail_send_queued", "ok").inc()
    if ids:
        log.info("restarted %s unsent mail(s)", len(ids))
    return len(ids)


@shared_task(name="learnapp.mail.practice_digest")
def practice_digest() -> int:
    """Queue today's practice digest for every student who asked for it and has questions due
    (once a day per student: the outbox key holds the date)."""
    queued = notices.queue_practice_digests()
    if queued is None:
        metrics.JOBS.labels("practice_digest", "skipped").inc()
        return 0
    metrics.JOBS.labels("practice_digest", "ok").inc()
    log.info("queued %s practice digest(s)", queued)
    return queued
