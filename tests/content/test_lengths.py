"""Texts longer than the database stores are reported at their line, not at sync time."""

from __future__ import annotations

from learnapp.content import load_course
from learnapp.content.loader import TITLE_MAX, VERSION_MAX


def messages(result) -> list[str]:
    return [f"{p.path}:{p.line}: {p.message}" for p in result.problems]


def test_a_title_longer_than_the_database_column_is_an_error(make_course) -> None:
    long_title = "T" * (TITLE_MAX + 1)
    course = make_course(
        {"m1/one.md": f"---\nid: one\ntitle: {long_title}\nminutes: 5\n---\nText.\n"}
    )
    assert messages(load_course(course)) == [
        f'demo/m1/one.md:3: "title" is {TITLE_MAX + 1} characters long; the limit is {TITLE_MAX}'
    ]


def test_a_title_at_the_limit_is_fine(make_course) -> None:
    course = make_course(
        {"m1/one.md": f"---\nid: one\ntitle: {'T' * TITLE_MAX}\nminutes: 5\n---\nText.\n"}
    )
    assert messages(load_course(course)) == []


def test_a_long_version_is_an_error(make_course, tmp_path) -> None:
    course = make_course()
    path = tmp_path / course / "course.md"
    path.write_text(path.read_text().replace('version: "1"', f'version: "{"9" * 51}"'))
    assert messages(load_course(course)) == [
        f'demo/course.md:5: "version" is longer than {VERSION_MAX} characters'
    ]
