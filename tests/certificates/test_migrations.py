"""Migrations of the certificates table, run on a database of their own."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, MetaData, Table, create_engine, select

from learnapp import create_app
from learnapp.certificates.models import Certificate
from learnapp.extensions import db
from tests.conftest import base_config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SUBJECT_UUID = "a3c9e1d7b5f2"


def _value(column: Column[Any], n: int) -> Any:
    """Something that fits a NOT NULL column (the rows only need to exist)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = object
    if kind is datetime:
        return datetime(2026, 1, 1)  # noqa: DTZ001 - SQLite stores naive UTC
    if kind is bool:
        return False
    if kind is str:
        return f"{column.name}-{n}"
    if kind in (int, float, Decimal):
        return kind(1)
    return {}  # JSON


def _insert(conn: Any, name: str, n: int, **values: Any) -> int:
    table = Table(name, MetaData(), autoload_with=conn)
    row = {
        column.name: _value(column, n)
        for column in table.columns
        if not column.nullable and not column.primary_key and column.server_default is None
    }
    return conn.execute(table.insert().values(row | values)).inserted_primary_key[0]


def test_existing_certificates_get_a_random_subject_id(tmp_path):
    """Always on SQLite: the shared test database must stay at head for the other tests."""
    previous = ScriptDirectory(str(MIGRATIONS)).get_revision(SUBJECT_UUID).down_revision
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    app = create_app(base_config(url, tmp_path / "instance"))
    engine = create_engine(url)
    try:
        with app.app_context():
            upgrade(revision=previous)
            with engine.begin() as conn:
                course = _insert(conn, "courses", 1)
                for n in (1, 2):
                    user = _insert(conn, "users", n, role="student")
                    _insert(conn, "certificates", n, user_id=user, course_id=course)
            upgrade(revision=SUBJECT_UUID)
            subjects = db.session.scalars(select(Certificate.subject_uuid)).all()
            assert len(subjects) == len(set(subjects)) == 2
            assert all(isinstance(s, uuid.UUID) and s.version == 4 for s in subjects)
            db.session.remove()
            downgrade(revision=previous)
            with engine.connect() as conn:
                columns = Table("certificates", MetaData(), autoload_with=conn).columns
                assert "subject_uuid" not in columns
    finally:
        engine.dispose()
        with app.app_context():
            db.engine.dispose()
