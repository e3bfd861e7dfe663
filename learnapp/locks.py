"""Cluster-wide locks for work that must run once across every host: PostgreSQL advisory locks.

Several app hosts share one PostgreSQL database, so the database is the one place every host
(and every worker of the job runner) can agree on. The locks are transaction-scoped
(``pg_*_advisory_xact_lock``): they are taken inside the session's current transaction and
released by its commit or rollback, so a crashed process never leaves one behind.

SQLite is one host by definition and already serialises writers (``BEGIN IMMEDIATE``), so on
SQLite the lock is always granted.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from learnapp.extensions import db

#: PostgreSQL's SQLSTATE for a lock wait that hit ``lock_timeout``.
LOCK_NOT_AVAILABLE = "55P03"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name`` (the same on every host)."""
    return int.from_bytes(hashlib.sha256(f"learnapp:{name}".encode()).digest()[:8], signed=True)


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def try_transaction_lock(name: str) -> bool:
    """Take the lock ``name`` for the rest of the current transaction if nobody holds it.

    Returns False at once when another transaction (on any host) holds it.
    """
    if not _postgresql():
        return True
    return bool(
        db.session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}
        ).scalar()
    )


def wait_transaction_lock(name: str, timeout_seconds: float) -> bool:
    """Take the lock ``name`` for the rest of the current transaction, waiting up to
    ``timeout_seconds`` for its holder to finish; False if it was still held then."""
    if not _postgresql():
        return True
    db.session.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_seconds * 1000)}ms'"))
    try:
        with db.session.begin_nested():  # a timeout rolls back this savepoint, not the caller's
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return False
    finally:
        db.session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    return True
