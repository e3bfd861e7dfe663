"""One course sync at a time across every host: ``sync_courses`` under a cluster-wide lock.

On PostgreSQL, hosts share the database but nothing else, so two hosts (or two "Sync now"
clicks, or a deploy script and an instructor) could otherwise load the same course folder at
once and race on its rows. The lock is a transaction-scoped advisory lock: the caller's commit
(or rollback) releases it. SQLite already serialises writers, so there the lock is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flask_babel import gettext as _

from learnapp.catalog.services import SyncReport, sync_courses
from learnapp.errors import Conflict
from learnapp.extensions import db
from learnapp.locks import try_transaction_lock, wait_transaction_lock
from learnapp.ops import metrics

SYNC_LOCK = "course-sync"


class SyncBusy(Conflict):
    """Another sync holds the lock; this one changed nothing."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Another sync is running (on this or another host); nothing was changed. "
                "Try again when it has finished."
            )
        )


def locked_sync(
    root: Path | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    wait_seconds: float = 0,
) -> SyncReport:
    """Run :func:`sync_courses` holding the sync lock (the caller commits, which releases it).

    :param wait_seconds: 0 to give up at once when another sync runs; otherwise how long to
        wait for it (after which the files are usually found unchanged).
    :raises SyncBusy: when another sync held the lock (after ``wait_seconds``).
    """
    if wait_seconds > 0:
        acquired = wait_transaction_lock(SYNC_LOCK, wait_seconds)
        # Rows read before the wait may predate the other sync's commit.
        db.session.expire_all()
    else:
        acquired = try_transaction_lock(SYNC_LOCK)
    if not acquired:
        metrics.SYNC_BUSY.inc()
        raise SyncBusy()
    started = time.perf_counter()
    outcome = "failed"
    try:
        report = sync_courses(root, progress=progress)
        outcome = "ok" if report.ok else "problems"
        return report
    finally:
        metrics.SYNC_DURATION.labels(outcome=outcome).observe(time.perf_counter() - started)
