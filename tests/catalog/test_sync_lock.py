"""One sync at a time across hosts: the advisory lock around ``sync_courses``.

Another host's sync is a second database connection holding the lock, as it would from
another machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text

from learnapp import locks
from learnapp.catalog.models import Course
from learnapp.catalog.sync_lock import SYNC_LOCK, SyncBusy, locked_sync
from learnapp.cli import SYNC_BUSY_EXIT
from learnapp.ops import metrics


@pytest.fixture
def postgresql(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's (SQLite serialises writers itself)")


@contextmanager
def another_host_syncing(db) -> Iterator[object]:
    """Hold the sync lock on a connection of its own, as another host's sync would."""
    with db.engine.connect() as conn:
        conn.begin()
        held = conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": locks.lock_key(SYNC_LOCK)}
        ).scalar()
        assert held
        yield conn
        conn.rollback()


def courses(db) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Course))


def test_a_second_sync_reports_another_sync_and_changes_nothing(postgresql, db, runner):
    busy_before = metrics.SYNC_BUSY._value.get()
    with another_host_syncing(db):
        result = runner.invoke(args=["courses", "sync"])
        assert result.exit_code == SYNC_BUSY_EXIT, result.output
        assert "Another sync is running" in result.output
        assert courses(db) == 0
    assert metrics.SYNC_BUSY._value.get() == busy_before + 1
    result = runner.invoke(args=["courses", "sync"])
    assert result.exit_code == 0, result.output
    assert courses(db) == 1


def test_wait_runs_after_the_other_sync_commits(postgresql, db, runner):
    engine = db.engine  # the thread has no app context

    def release_when_waited_for(conn) -> None:
        # Wait for the condition (our sync queued on the lock), never for the clock.
        with engine.connect() as probe:
            for _ in range(600):
                waiting = probe.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    )
                ).scalar()
                if waiting:
                    break
                probe.execute(text("SELECT pg_sleep(0.05)"))
        conn.rollback()

    with another_host_syncing(db) as conn:
        releaser = threading.Thread(target=release_when_waited_for, args=(conn,))
        releaser.start()
        result = runner.invoke(args=["courses", "sync", "--wait", "60"])
        releaser.join()
    assert result.exit_code == 0, result.output
    assert courses(db) == 1


def test_wait_gives_up_after_its_timeout(postgresql, db, app):
    with another_host_syncing(db), pytest.raises(SyncBusy):
        locked_sync(wait_seconds=0.2)
    db.session.rollback()
    assert courses(db) == 0


def test_the_lock_is_released_by_commit(postgresql, db, app):
    locked_sync()
    db.session.commit()
    with db.engine.connect() as other:
        assert other.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": locks.lock_key(SYNC_LOCK)}
        ).scalar()
        other.rollback()


def test_on_sqlite_the_lock_is_always_granted(db, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert locks.try_transaction_lock(SYNC_LOCK)
    assert locks.wait_transaction_lock(SYNC_LOCK, 1)
    report = locked_sync()
    db.session.commit()
    assert report.created == ["basics"]


def test_sync_duration_is_observed(db, app):
    def count() -> float:
        text_ = metrics.generate_latest(metrics.REGISTRY).decode()
        prefix = 'learnapp_course_sync_duration_seconds_count{outcome="ok"} '
        lines = [line for line in text_.splitlines() if line.startswith(prefix)]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = count()
    locked_sync()
    db.session.commit()
    assert count() == before + 1


def test_lock_keys_are_stable_signed_64_bit_integers():
    assert locks.lock_key("course-sync") == locks.lock_key("course-sync")
    assert locks.lock_key("course-sync") != locks.lock_key("close-overdue")
    assert -(2**63) <= locks.lock_key("course-sync") < 2**63
