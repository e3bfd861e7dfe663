"""The schema comes from migrations only, and the database keeps invariants under concurrency."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from learnapp.database import begin_mode, include_object


def test_models_and_migrations_agree(db):
    """What `flask db check` does, on whichever database the suite runs on."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": include_object,
                "render_as_batch": True,
            },
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_constraint_names_follow_the_convention(db):
    names = {c.name for t in db.metadata.sorted_tables for c in t.constraints}
    assert "uq_users_email" in names
    assert "pk_users" in names
    assert all(name for name in names)


@pytest.fixture
def sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite configuration")


def test_sqlite_runs_with_foreign_keys_wal_and_busy_timeout(db, sqlite_only):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_write_transactions_take_the_lock_up_front(db, sqlite_only):
    path = db.engine.url.database
    with begin_mode("IMMEDIATE"), db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # only a read, yet the write lock is already held
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        conn.rollback()


def test_sqlite_read_only_requests_begin_deferred(db, sqlite_only):
    path = db.engine.url.database
    with begin_mode("DEFERRED"), db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # a reader does not block writers
            other.execute("ROLLBACK")
        finally:
            other.close()
        conn.rollback()


def _worker(
    url: str, instance: str, worker: int, rounds: int, results: multiprocessing.Queue
) -> None:
    """Read-then-write transactions through the app's engine, plus racing unique inserts."""
    from learnapp import create_app
    from learnapp.audit import services as audit
    from learnapp.auth import services as auth_services
    from learnapp.extensions import db

    errors: list[str] = []
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASHING": "fast",
            "INSTANCE_PATH": instance,
        }
    )
    with app.app_context():
        for n in range(rounds):
            try:
                seen = db.session.execute(text("SELECT count(*) FROM audit_events")).scalar()
                audit.record("test.tick", worker=worker, n=n, seen=seen)
                if n % 10 == 0:  # every worker races to create the same accounts
                    with contextlib.suppress(auth_services.EmailTaken):
                        auth_services.create_user(
                            f"race{n}@example.com", "a long race passphrase", "Racer"
                        )
                db.session.commit()
            except Exception as exc:  # collected and asserted on by the parent
                db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
        db.engine.dispose()
    results.put(errors)


@pytest.mark.conc
def test_concurrent_writers_never_hit_locks_or_break_invariants(db, tmp_path):
    workers, rounds = 8, 60
    url = db.engine.url.render_as_string(hide_password=False)
    db.engine.dispose()
    # fork: the worker lives in this test module, which a spawned process could not import.
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, str(tmp_path), w, rounds, results))
        for w in range(workers)
    ]
    for proc in procs:
        proc.start()
    errors = [err for _ in procs for err in results.get(timeout=120)]
    for proc in procs:
        proc.join(timeout=30)
    assert errors == []
    ticks = db.session.execute(
        text("SELECT count(*) FROM audit_events WHERE action = 'test.tick'")
    ).scalar()
    assert ticks == workers * rounds
    racers = db.session.execute(
        text("SELECT count(*) FROM users WHERE email LIKE 'race%'")
    ).scalar()
    assert racers == rounds // 10
