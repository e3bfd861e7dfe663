"""Full-text search over lessons: SQLite FTS5 or PostgreSQL text search, one interface.

The SQLite index is a ``search_lessons`` FTS5 table kept in step by the sync service; PostgreSQL
uses a GIN expression index on ``lessons`` (``search_lessons_idx``). Both are created by a
migration and left out of the model/migration comparison (``learnapp.database.include_object``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape
from sqlalchemy import text

from learnapp.extensions import db

if TYPE_CHECKING:
    from learnapp.catalog.models import Course, Lesson

#: Marks around matches in snippets; control characters cannot occur in lesson text.
START, STOP = "\x02", "\x03"
MAX_RESULTS = 30
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    course_slug: str
    course_title: str
    lesson_slug: str
    lesson_title: str
    snippet: Markup


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def index_course(course: Course, changed: list[Lesson], retired: list[Lesson]) -> None:
    """Refresh the SQLite index rows of changed lessons (PostgreSQL indexes itself)."""
    if _dialect() != "sqlite":
        return
    for lesson in [*changed, *retired]:
        db.session.execute(text("DELETE FROM search_lessons WHERE rowid = :id"), {"id": lesson.id})
    for lesson in changed:
        db.session.execute(
            text("INSERT INTO search_lessons (rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": lesson.id, "title": lesson.title, "body": lesson.text},
        )


def remove_course(course: Course) -> None:
    if _dialect() != "sqlite":
        return
    db.session.execute(
        text(
            "DELETE FROM search_lessons"
            " WHERE rowid IN (SELECT id FROM lessons WHERE course_id = :c)"
        ),
        {"c": course.id},
    )


def _snippet(raw: str) -> Markup:
    """Escape the snippet, then turn the match marks into <mark> elements."""
    escaped = str(escape(raw))
    # Escaped above: only our own <mark> tags are added.
    marked = escaped.replace(START, "<mark>").replace(STOP, "</mark>")
    return Markup(marked)  # noqa: S704  # nosec B704


def search_lessons(query: str, course_ids: list[int]) -> list[Hit]:
    """Lessons of the given courses matching every word of ``query``, best first."""
    words = _WORD.findall(query)[:12]
    if not words or not course_ids:
        return []
    if _dialect() == "sqlite":
        # Quote each word: the user's text never reaches FTS5's query syntax.
        match = " ".join('"' + word.replace('"', "") + '"*' for word in words)
        sql = text(
            """
            SELECT c.slug, c.title, l.slug, l.title,
                   snippet(search_lessons, 1, :start, :stop, '…', 16)
            FROM search_lessons
            JOIN lessons l ON l.id = search_lessons.rowid
            JOIN courses c ON c.id = l.course_id
            WHERE search_lessons MATCH :match AND l.is_retired = 0
              AND l.course_id IN (SELECT value FROM json_each(:courses))
            ORDER BY bm25(search_lessons, 5.0, 1.0)
            LIMIT :limit
            """
        )
        params = {"match": match}
    else:
        sql = text(
            """
            SELECT c.slug, c.title, l.slug, l.title,
                   ts_headline('english', l.text, q,
                               'StartSel=' || :start || ', StopSel=' || :stop
                               || ', MaxWords=30, MinWords=12, MaxFragments=1')
            FROM lessons l
            JOIN courses c ON c.id = l.course_id,
                 to_tsquery('english', :tsquery) q
            WHERE to_tsvector('english', l.title || ' ' || l.text) @@ q
              AND NOT l.is_retired
              AND l.course_id IN (SELECT value::int FROM json_array_elements_text(:courses))
            ORDER BY ts_rank(to_tsvector('english', l.title || ' ' || l.text), q) DESC, l.id
            LIMIT :limit
            """
        )
        params = {"tsquery": " & ".join(f"{word}:*" for word in words)}
    rows = db.session.execute(
        sql,
        {
            **params,
            "start": START,
            "stop": STOP,
            "courses": json.dumps(course_ids),
            "limit": MAX_RESULTS,
        },
    ).all()
    return [Hit(row[0], row[1], row[2], row[3], _snippet(row[4] or "")) for row in rows]
