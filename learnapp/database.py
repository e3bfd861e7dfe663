"""Database types and engine set-up shared by every model.

SQLite gets foreign keys, WAL, a busy timeout and ``BEGIN IMMEDIATE`` for transactions that may
write (RELIABILITY.md 1.1): a deferred transaction that reads and then writes cannot upgrade its
lock and fails with "database is locked" under concurrency. Read-only requests (GET, HEAD) begin
deferred so that readers never queue behind the write lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.types import TypeDecorator

#: "IMMEDIATE" (default: CLI, services, unsafe requests) or "DEFERRED" (safe requests).
sqlite_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default="IMMEDIATE")

SQLITE_BUSY_TIMEOUT_MS = 15_000


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and always return them aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use learnapp.database.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def configure_engine(engine: Engine) -> None:
    """Install the SQLite connection and transaction hooks (no-op on other databases)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN, instead of pysqlite's own logic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(f"BEGIN {sqlite_begin_mode.get()}")


@contextlib.contextmanager
def begin_mode(mode: str) -> Iterator[None]:
    """Run the enclosed SQLite transactions with the given BEGIN mode."""
    token = sqlite_begin_mode.set(mode)
    try:
        yield
    finally:
        sqlite_begin_mode.reset(token)


#: Tables and indexes managed by hand-written SQL (full-text search), not by the models.
UNMANAGED_TABLE_PREFIXES = ("search_",)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: keep full-text search tables, their shadow tables and indexes out."""
    return not (name is not None and name.startswith(UNMANAGED_TABLE_PREFIXES))
