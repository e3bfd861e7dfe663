"""The migration that adds users.locale and courses.language, run on a database of its own."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, create_engine, select

from learnapp import create_app
from learnapp.extensions import db
from tests.certificates.test_migrations import _insert
from tests.conftest import base_config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
LANGUAGES = "c3e5a7b9d1f2"


def test_existing_accounts_follow_the_browser_and_courses_declare_no_language(tmp_path):
    """Always on SQLite: the shared test database must stay at head for the other tests."""
    previous = ScriptDirectory(str(MIGRATIONS)).get_revision(LANGUAGES).down_revision
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    app = create_app(base_config(url, tmp_path / "instance"))
    engine = create_engine(url)
    try:
        with app.app_context():
            upgrade(revision=previous)
            with engine.begin() as conn:
                _insert(conn, "users", 1, role="student")
                _insert(conn, "courses", 1)
            upgrade(revision=LANGUAGES)
            with engine.connect() as conn:
                users = Table("users", MetaData(), autoload_with=conn)
                courses = Table("courses", MetaData(), autoload_with=conn)
                assert users.c.locale.nullable
                assert conn.execute(select(users.c.locale)).scalar_one() is None
                assert conn.execute(select(courses.c.language)).scalar_one() is None
            db.session.remove()
            downgrade(revision=previous)
            with engine.connect() as conn:
                assert "locale" not in Table("users", MetaData(), autoload_with=conn).columns
                assert "language" not in Table("courses", MetaData(), autoload_with=conn).columns
    finally:
        engine.dispose()
        with app.app_context():
            db.engine.dispose()
