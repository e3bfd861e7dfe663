"""SQL statement budgets of the student pages (BEGIN/COMMIT not counted, as bench counts them).

Each page is requested once first: the first request of a process after a sync builds the
course snapshots (a constant number of queries, whatever the number of courses), and every
later request reads only the course row and the student's own rows.
"""

from __future__ import annotations

import shutil

import pytest

from learnapp.extensions import db
from learnapp.progress import services as progress
from tests.conftest import DATA

TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def statements(sql_statements, client, path: str) -> list[str]:
    client.get(path)  # the process builds the snapshots it has not seen yet
    with sql_statements() as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    return [s for s in seen if not s.lstrip().upper().startswith(TRANSACTION)]


@pytest.fixture
def busy_student(basics, basics_quiz, student, lesson, login, submit_result):
    """A logged-in student enrolled in the course, with a completion and a quiz result."""
    progress.complete_lesson(student, basics, lesson("basics-intro"))
    db.session.commit()
    submit_result(student, basics_quiz, 80)
    return login(student)


def test_lesson_page_runs_at_most_3_statements(busy_student, sql_statements):
    seen = statements(sql_statements, busy_student, "/courses/basics/lessons/basics-second")
    assert len(seen) <= 3, seen


def test_course_page_runs_at_most_5_statements(busy_student, sql_statements):
    seen = statements(sql_statements, busy_student, "/courses/basics")
    assert len(seen) <= 5, seen


def test_anonymous_lesson_page_reads_only_the_course_row_and_lesson(basics, client, sql_statements):
    seen = statements(sql_statements, client, "/courses/basics/lessons/basics-intro")
    assert len(seen) == 1, seen


def test_student_pages_load_no_course_structure_per_request(busy_student, sql_statements):
    """Modules, lessons and quizzes come from the snapshot; only the lesson body is read."""
    for path in ("/courses", "/courses/basics", "/courses/basics/lessons/basics-second"):
        seen = statements(sql_statements, busy_student, path)
        assert not [s for s in seen if "FROM modules" in s or "FROM quizzes" in s], seen


def _more_courses(root, count: int) -> None:
    for n in range(count):
        folder = root / f"copy-{n}"
        shutil.copytree(DATA / "courses" / "basics", folder)
        course_file = folder / "course.md"
        text = course_file.read_text().replace("id: basics\n", f"id: basics-copy-{n}\n", 1)
        course_file.write_text(text.replace("title: Course basics", f"title: Copy {n}", 1))


def test_catalogue_runs_the_same_statements_for_any_number_of_courses(
    courses_root, sync, student, login, sql_statements
):
    sync()
    client = login(student)
    client.post("/courses/basics/enroll")
    few = statements(sql_statements, client, "/courses")
    _more_courses(courses_root, 12)
    assert sync().ok
    for n in range(0, 12, 3):  # progress bars for some of them
        client.post(f"/courses/basics-copy-{n}/enroll")
    many = statements(sql_statements, client, "/courses")
    assert len(many) == len(few) <= 3, many
    assert "Copy 11" in client.get("/courses").get_data(as_text=True)


def test_catalogue_pages_run_the_same_statements_as_a_one_page_catalogue(
    courses_root, sync, student, login, sql_statements
):
    sync()
    client = login(student)
    client.post("/courses/basics/enroll")
    few = statements(sql_statements, client, "/courses")
    _more_courses(courses_root, 40)  # 41 courses: two pages
    assert sync().ok
    for n in range(0, 40, 4):  # progress bars on both pages
        client.post(f"/courses/basics-copy-{n}/enroll")
    for path in ("/courses", "/courses?page=2"):
        many = statements(sql_statements, client, path)
        assert len(many) == len(few) <= 3, (path, many)
    assert client.get("/courses?page=3").status_code == 404
