"""The migration that stores course problems with their templates, on a database of its own."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, create_engine, select, update

from learnapp import create_app
from learnapp.content.errors import Problem
from learnapp.content.messages import msg
from learnapp.extensions import db
from tests.certificates.test_migrations import _insert
from tests.conftest import base_config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
TEMPLATES = "d5f7a9c1e3b5"
PREVIOUS = "c4e8a2f6b1d3"

LINES = [
    'courses/nmt/course.md:4: module folder "x" does not exist',
    "courses/nmt/draft.md:1: warning: file is not listed in module.md, so it is ignored",
]
WARNING = (
    'courses/nmt/q.md:12: warning: question "q1": the right option is the longest [longest-correct]'
)


def test_stored_lines_become_problems_and_come_back(tmp_path):
    """Always on SQLite: the shared test database must stay at head for the other tests."""
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    app = create_app(base_config(url, tmp_path / "instance"))
    engine = create_engine(url)
    try:
        with app.app_context():
            upgrade(revision=PREVIOUS)
            with engine.begin() as conn:
                _insert(conn, "courses", 1, problems=LINES, quality_warnings=[WARNING])
                _insert(conn, "courses", 2, problems=[], quality_warnings=[])
            upgrade(revision=TEMPLATES)
            with engine.begin() as conn:
                courses = Table("courses", MetaData(), autoload_with=conn)
                rows = dict(
                    conn.execute(
                        select(courses.c.id, courses.c.problems).order_by(courses.c.id)
                    ).all()
                )
                assert rows[2] == []
                first, second = (Problem.from_json(entry) for entry in rows[1])
                assert str(first) == LINES[0]
                assert first.is_error
                assert (first.path, first.line) == ("courses/nmt/course.md", 4)
                assert str(second) == LINES[1]
                assert not second.is_error
                [warning] = conn.execute(
                    select(courses.c.quality_warnings).where(courses.c.id == 1)
                ).scalar_one()
                assert warning["code"] == "longest-correct"
                assert str(Problem.from_json(warning)) == WARNING
                # A sync after the upgrade stores templates; going back writes their English.
                fresh = Problem(
                    "courses/nmt/q.md",
                    3,
                    msg('broken %(what)s "%(url)s"', what=msg("image"), url="a.png"),
                )
                conn.execute(
                    update(courses).where(courses.c.id == 2).values(problems=[fresh.to_json()])
                )
            db.session.remove()
            downgrade(revision=PREVIOUS)
            with engine.connect() as conn:
                courses = Table("courses", MetaData(), autoload_with=conn)
                rows = dict(conn.execute(select(courses.c.id, courses.c.problems)).all())
                assert rows == {1: LINES, 2: ['courses/nmt/q.md:3: broken image "a.png"']}
                assert conn.execute(
                    select(courses.c.quality_warnings).where(courses.c.id == 1)
                ).scalar_one() == [WARNING]
    finally:
        engine.dispose()
        with app.app_context():
            db.engine.dispose()
