"""courses: problems and quality warnings stored with their message templates

Revision ID: d5f7a9c1e3b5
Revises: c4e8a2f6b1d3
Create Date: 2026-12-08 02:30:00

Until now ``courses.problems`` and ``courses.quality_warnings`` held English lines
(``path:line: [warning: ]message [code]``). They now hold objects (path, line, severity, code
and the message with its template and arguments) so each reader sees them in their own
language. Existing lines become objects with the English text; the next sync that checks the
folder stores the templates.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5f7a9c1e3b5"
down_revision = "c4e8a2f6b1d3"
branch_labels = None
depends_on = None

LINE = re.compile(
    r"^(?P<path>.*?):(?P<line>\d+): (?P<warning>warning: )?(?P<text>.*?)(?: \[(?P<code>[a-z-]+)\])?$",
    re.DOTALL,
)

courses = sa.table(
    "courses",
    sa.column("id", sa.Integer),
    sa.column("problems", sa.JSON),
    sa.column("quality_warnings", sa.JSON),
)


def _entry(line):
    match = LINE.match(line)
    if match is None:
        return {"path": "", "line": 1, "severity": "error", "text": line}
    entry = {
        "path": match["path"],
        "line": int(match["line"]),
        "severity": "warning" if match["warning"] else "error",
        "text": match["text"],
    }
    if match["code"]:
        entry["code"] = match["code"]
    return entry


def _line(entry):
    prefix = "warning: " if entry.get("severity") == "warning" else ""
    suffix = f" [{entry['code']}]" if entry.get("code") else ""
    text = entry["text"] if "text" in entry else _english(entry["message"])
    return f"{entry['path']}:{entry['line']}: {prefix}{text}{suffix}"


def _english(message):
    """A stored message (template and arguments, which may be messages) in English."""
    return message["template"] % {
        name: value if isinstance(value, str) else _english(value)
        for name, value in message["args"].items()
    }


def _convert(convert):
    bind = op.get_bind()
    rows = bind.execute(sa.select(courses.c.id, courses.c.problems, courses.c.quality_warnings))
    for course_id, problems, warnings in rows.fetchall():
        new_problems = [convert(item) for item in problems or []]
        new_warnings = [convert(item) for item in warnings or []]
        if new_problems != (problems or []) or new_warnings != (warnings or []):
            bind.execute(
                courses.update()
                .where(courses.c.id == course_id)
                .values(problems=new_problems, quality_warnings=new_warnings)
            )


def upgrade():
    _convert(lambda item: _entry(item) if isinstance(item, str) else item)


def downgrade():
    _convert(lambda item: item if isinstance(item, str) else _line(item))
