"""Course status, sync and preview, the courses list, and queries per page."""

from __future__ import annotations

import secrets
from collections import Counter
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import event

from learnapp.audit.models import AuditEvent
from learnapp.auth.models import User
from learnapp.catalog.models import Course
from learnapp.content.errors import Problem
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.quizzes.models import SUBMITTED, QuizAttempt
from learnapp.translation import translator


def text(response) -> str:
    return response.get_data(as_text=True)


def test_index_lists_the_courses_taught_and_admins_see_all(client, login, people):
    login(people["instructor"])
    page = text(client.get("/instruct"))
    assert "Course basics" in page
    assert "Another course" not in page
    login(people["admin"])
    page = text(client.get("/instruct"))
    assert "Course basics" in page
    assert "Another course" in page


def test_index_empty_state(client, login, make_user, courses):
    login(make_user(role="instructor"))
    assert "You do not teach any course yet" in text(client.get("/instruct"))


def test_nav_link_for_staff_only(client, login, people):
    login(people["student"])
    assert 'href="/instruct"' not in text(client.get("/courses"))
    login(people["instructor"])
    assert 'href="/instruct"' in text(client.get("/courses"))


def test_status_shows_version_hash_counts_and_problems(client, login, people, basics_course):
    login(people["instructor"])
    page = text(client.get("/instruct/courses/basics"))
    assert basics_course.content_hash in page
    assert "<dt>Version</dt><dd>1.0</dd>" in page
    for label, count in (("Modules", 2), ("Lessons", 3), ("Quizzes", 1), ("Questions", 7)):
        assert f"<dt>{label}</dt><dd>{count}</dd>" in page
    assert "Basics quiz</span> (70%)" in page


def test_status_lists_quality_warnings_apart_from_problems(client, login, people, basics_course):
    login(people["instructor"])
    page = text(client.get("/instruct/courses/basics"))
    problems, quality = page.split('id="quality-heading"')
    quality = quality.split('id="preview-heading"')[0]
    assert basics_course.quality_warnings
    for entry in basics_course.quality_warnings:
        line = str(Problem.from_json(entry))
        assert line.endswith(f" [{entry['code']}]")
        assert f'<li><code class="wrap">{escape(line)}</code></li>' in quality
        assert str(escape(line)) not in problems
    counts = Counter(entry["code"] for entry in basics_course.quality_warnings)
    code, count = counts.most_common(1)[0]
    assert f"{len(basics_course.quality_warnings)} warnings: {count} <code>{code}</code>" in (
        quality
    )


def test_problems_and_warnings_are_shown_in_the_readers_language(
    client, login, people, basics_course, edit, sync
):
    edit("basics/course.md", "  - 02-more", "  - 02-more\n  - 03-gone")
    sync()
    db.session.refresh(basics_course)
    assert basics_course.has_errors
    people["instructor"].locale = "es"
    db.session.commit()
    login(people["instructor"])
    page = text(client.get("/instruct/courses/basics"))

    spanish = translator("es")
    for entry in [*basics_course.problems, *basics_course.quality_warnings]:
        problem = Problem.from_json(entry)
        line = problem.localized(spanish)
        assert line != str(problem), f"no Spanish for {problem.message.template!r}"
        assert str(escape(line)) in page
        assert str(escape(str(problem))) not in page
    assert str(escape('la carpeta de módulo "03-gone" no existe')) in page


def test_status_before_the_quality_check_ran(client, login, people, basics_course):
    basics_course.quality_version = None
    basics_course.quality_warnings = []
    db.session.commit()
    login(people["instructor"])
    page = text(client.get("/instruct/courses/basics"))
    assert "Not checked yet: the next sync checks the quizzes." in page


def test_sync_now_loads_a_changed_course(client, login, people, edit, basics_course):
    old_hash = basics_course.content_hash
    edit("basics/course.md", 'version: "1.0"', 'version: "1.1"')
    login(people["instructor"])
    response = client.post("/instruct/courses/basics/sync", follow_redirects=True)
    page = text(response)
    db.session.refresh(basics_course)
    assert basics_course.content_hash != old_hash
    assert basics_course.version_label == "1.1"
    assert f"Loaded the new version (content hash {basics_course.content_hash[:12]})" in page
    (audit,) = db.session.scalars(db.select(AuditEvent).filter_by(action="course.synced"))
    assert audit.details["result"] == "updated"
    assert audit.actor_id == people["instructor"].id


def test_sync_now_reports_problems_as_path_line_message(client, login, people, edit):
    edit("basics/02-more/quiz.md", "attempts: 3", "attempts: many")
    login(people["instructor"])
    page = text(client.post("/instruct/courses/basics/sync", follow_redirects=True))
    assert "nothing was loaded" in page
    assert "basics/02-more/quiz.md:4: " in page


def test_sync_now_unchanged(client, login, people):
    login(people["admin"])
    page = text(client.post("/instruct/courses/basics/sync", follow_redirects=True))
    assert "have not changed since the last sync" in page


def test_a_draft_course_has_an_obvious_preview(client, login, people, edit, sync):
    edit("basics/course.md", "status: published", "status: draft")
    sync()
    login(people["instructor"])
    page = text(client.get("/instruct/courses/basics"))
    assert "Preview the course as students will see it" in page
    assert 'href="/courses/basics"' in page
    assert 'href="/courses/basics/lessons/basics-intro"' in page
    # The preview works for the course's instructor; students cannot see the draft.
    assert client.get("/courses/basics").status_code == 200
    login(people["student"])
    assert client.get("/courses/basics").status_code == 404


# --- queries -----------------------------------------------------------------------------------


def _add_students(course, quiz, lessons, start: int, count: int) -> None:
    """Bulk rows: enrolled students with completions and two graded attempts each."""
    now = utcnow()
    db.session.execute(
        db.insert(User),
        [
            {
                "email": f"bulk{n}@example.com",
                "display_name": f"Bulk {n:05d}",
                "password_hash": "x",
                "role": "student",
            }
            for n in range(start, start + count)
        ],
    )
    ids = db.session.scalars(
        db.select(User.id).where(
            User.email.in_([f"bulk{n}@example.com" for n in range(start, start + count)])
        )
    ).all()
    db.session.execute(db.insert(Enrollment), [{"user_id": i, "course_id": course.id} for i in ids])
    db.session.execute(
        db.insert(LessonCompletion),
        [{"user_id": i, "lesson_id": lesson.id} for i in ids for lesson in lessons],
    )
    db.session.execute(
        db.insert(QuizAttempt),
        [
            {
                "user_id": i,
                "quiz_id": quiz.id,
                "number": number,
                "status": SUBMITTED,
                "started_at": now,
                "submitted_at": now,
                "token_nonce": secrets.token_hex(16),
                "score": Decimal(40 * number),
                "max_score": Decimal(100),
                "percent": Decimal(40 * number),
            }
            for i in ids
            for number in (1, 2)
        ],
    )
    db.session.commit()


def _queries(client, path: str) -> int:
    client.get(path)  # the first request of a process builds the course snapshot
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with client.get(path) as response:
            assert response.status_code == 200
            response.get_data()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize(
    "path",
    [
        "/instruct/courses/basics/gradebook",
        "/instruct/courses/basics/gradebook?sort=quiz:basics-quiz&dir=desc&status=completed",
        "/instruct/courses/basics/gradebook.csv",
    ],
)
def test_gradebook_queries_do_not_grow_with_students(
    client, login, people, basics_course, quiz, lesson, path
):
    lessons = [lesson(slug) for slug in ("basics-intro", "basics-second", "basics-third")]
    _add_students(basics_course, quiz, lessons, 0, 10)
    login(people["instructor"])
    few = _queries(client, path)
    _add_students(basics_course, quiz, lessons, 10, 2000)
    many = _queries(client, path)
    assert many == few
    assert few <= 15


def test_the_gradebook_of_2000_students_shows_one_page(
    client, login, people, basics_course, quiz, lesson
):
    lessons = [lesson(slug) for slug in ("basics-intro", "basics-second", "basics-third")]
    _add_students(basics_course, quiz, lessons, 0, 2010)
    login(people["instructor"])
    page = text(client.get("/instruct/courses/basics/gradebook?status=completed&page=41"))
    assert "2010 of 2010 students match" in page
    assert "Page 41 of 41" in page
    assert page.count('<th scope="row">') == 10


def test_sync_now_while_another_host_syncs_changes_nothing(client, login, people, edit):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's (SQLite serialises writers itself)")
    from sqlalchemy import text as sql

    from learnapp.catalog.sync_lock import SYNC_LOCK
    from learnapp.locks import lock_key

    course = db.session.scalar(db.select(Course).filter_by(slug="basics"))
    old_hash = course.content_hash
    edit("basics/course.md", 'version: "1.0"', 'version: "1.1"')
    login(people["instructor"])
    with db.engine.connect() as other_host:
        other_host.begin()
        other_host.execute(sql("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(SYNC_LOCK)})
        page = text(client.post("/instruct/courses/basics/sync", follow_redirects=True))
        other_host.rollback()
    assert "Another sync is running" in page
    db.session.expire_all()
    assert db.session.get(Course, course.id).content_hash == old_hash
    assert not db.session.scalars(db.select(AuditEvent).filter_by(action="course.synced")).all()
