"""Background jobs on Celery: periodic jobs run once across the fleet, one-off jobs retry.

With ``LEARNAPP_JOBS_BROKER_URL`` set (Redis), jobs go to the broker and run on ``celery
worker`` processes; ``celery beat`` sends the periodic ones. Without it (development, tests,
a single host) every job runs in-process at once (Celery's eager mode), so ``make run`` needs
no extra command.

Why Celery: it is the most established Python job runner, has per-task retries with exponential
backoff and jitter, late acknowledgement (a job whose worker dies is delivered again) and a
scheduler (beat) that is part of the same package. Beat itself is not fleet-aware: started on
two hosts by mistake it sends each periodic job twice. So periodic jobs take a database
advisory lock (``learnapp.locks``) and skip when another run holds it, and their effects are
claims by conditional UPDATE, so a second run finds nothing to do. One-off jobs are idempotent
(database constraints) so a redelivery or retry does nothing twice.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask, has_app_context


def init_jobs(app: Flask) -> Celery:
    """Create the Celery app for ``app`` (``app.extensions["celery"]``) and make it current."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            if has_app_context():  # eager mode inside a request or command: same context
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["JOBS_BROKER_URL"]
    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.config_from_object(
        {
            "broker_url": broker or "memory://localhost/",
            "task_always_eager": not broker,
            # In-process, a job's retries run at once and its failure is kept in its result
            # (``.get()`` raises it), as a worker would keep it: the caller is not failed by it.
            "task_eager_propagates": False,
            "task_ignore_result": True,
            # A job is acknowledged when done, so a worker killed mid-job leaves it queued
            # for another worker (jobs are idempotent); one at a time per worker process.
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "broker_transport_options": {"visibility_timeout": 3600},
            "timezone": "UTC",
            "beat_schedule": {
                "close-overdue-attempts": {
                    "task": "learnapp.jobs.close_overdue",
                    "schedule": float(app.config["JOBS_CLOSE_OVERDUE_SECONDS"]),
                    # A tick that waited longer than its period is dropped: the next one does
                    # the same work.
                    "options": {"expires": float(app.config["JOBS_CLOSE_OVERDUE_SECONDS"])},
                },
                "send-queued-mail": {
                    "task": "learnapp.mail.send_queued",
                    "schedule": float(app.config["MAIL_SWEEP_SECONDS"]),
                    "options": {"expires": float(app.config["MAIL_SWEEP_SECONDS"])},
                },
                "practice-digest": {
                    "task": "learnapp.mail.practice_digest",
                    "schedule": crontab(minute=0, hour=int(app.config["MAIL_DIGEST_HOUR"])),
                    "options": {"expires": 3600.0},
                },
            },
        }
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    from learnapp.jobs import tasks as _tasks  # noqa: F401  (registers the tasks)
    from learnapp.mail import tasks as _mail_tasks  # noqa: F401

    return celery_app
