from pathlib import Path

import pytest

from learnapp.content import check

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("course", ["nmt", "writing-a-course"])
def test_shipped_courses_validate_without_problems(course):
    """No error and no warning, quiz-quality warnings included (what ``check --strict`` fails)."""
    assert [str(p) for p in check(ROOT / "courses" / course)] == []


def test_shipped_courses_contain_no_hangul():
    for path in (ROOT / "courses").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert not any("\uac00" <= ch <= "\ud7a3" for ch in text), path


def test_courses_check_passes_on_valid_folder(runner):
    result = runner.invoke(args=["courses", "check"])
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output


def test_courses_check_prints_path_line_message_and_exits_1(runner, courses_root, edit):
    edit("basics/02-more/third.md", "minutes:", "minutes: lots\nunknown_key: 1\nx:")
    result = runner.invoke(args=["courses", "check", str(courses_root / "basics")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "third.md:" in line]
    assert lines, result.output
    for line in lines:
        path, line_no, message = line.split(":", 2)
        assert path.endswith("basics/02-more/third.md")
        assert int(line_no) >= 1
        assert message.strip()
    assert "error(s)" in result.output


def test_courses_check_accepts_a_single_file(runner, courses_root):
    result = runner.invoke(
        args=["courses", "check", str(courses_root / "basics/01-start/intro.md")]
    )
    assert result.exit_code == 0, result.output


def test_courses_check_touches_no_database(runner, courses_root, db):
    from sqlalchemy import func, select

    from learnapp.catalog.models import Course

    runner.invoke(args=["courses", "check"])
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_courses_sync_reports_progress_and_is_idempotent(runner):
    first = runner.invoke(args=["courses", "sync"])
    assert first.exit_code == 0, first.output
    assert "[1/1] basics" in first.output
    assert "1 created" in first.output
    second = runner.invoke(args=["courses", "sync"])
    assert "1 unchanged" in second.output
    assert "0 lesson(s) rendered" in second.output


def test_courses_sync_exits_1_when_a_course_fails(runner, courses_root, edit):
    edit("basics/course.md", "level: beginner", "level: 7")
    result = runner.invoke(args=["courses", "sync"])
    assert result.exit_code == 1
    assert "course.md:7:" in result.output


def test_assign_instructor(runner, sync, student, db):
    sync()
    result = runner.invoke(
        args=["courses", "assign-instructor", "--course", "basics", "--email", student.email]
    )
    assert result.exit_code == 0, result.output
    db.session.refresh(student)
    assert student.role == "instructor"
    assert "now teaches basics" in result.output


def test_course_commands_have_help(runner):
    for command in ("check", "sync", "assign-instructor"):
        assert "Usage:" in runner.invoke(args=["courses", command, "--help"]).output


def test_courses_check_warns_about_unknown_instructors(runner):
    result = runner.invoke(args=["courses", "check"])
    assert result.exit_code == 0
    warning = 'course.md:9: warning: instructor "instructor@example.com" has no account'
    assert warning in result.output


def test_courses_check_knows_existing_instructors(runner, instructor):
    result = runner.invoke(args=["courses", "check"])
    assert "has no account" not in result.output


def test_courses_check_works_without_a_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing-dir/none.db")
    result = app.test_cli_runner().invoke(args=["courses", "check"])
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
