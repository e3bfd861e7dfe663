"""Enrol, unenrol, mark as complete, locked pages, the dashboard, and query counts."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from learnapp.extensions import db
from learnapp.progress import services
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.quizzes.models import QuizAttempt

COURSE = "/courses/basics"
INTRO = "/courses/basics/lessons/basics-intro"
SECOND = "/courses/basics/lessons/basics-second"
THIRD = "/courses/basics/lessons/basics-third"
QUIZ = "/courses/basics/quizzes/basics-quiz"


def text(response) -> str:
    return response.get_data(as_text=True)


def test_enroll_is_a_post_that_shows_progress_on_the_course_page(basics, student, login):
    client = login(student)
    assert client.get(f"{COURSE}/enroll").status_code == 405
    response = client.post(f"{COURSE}/enroll")
    assert response.headers["Location"] == COURSE
    body = text(client.get(COURSE))
    assert 'max="100" value="0"' in body
    assert "Course progress" in body
    assert "Unenroll" in body
    assert f'href="{INTRO}">Continue' in body
    assert "Still to do" in body


def test_unenroll_keeps_history_and_enrolling_again_restores_it(basics, student, login, lesson):
    client = login(student)
    client.post(f"{COURSE}/enroll")
    client.post(f"{INTRO}/complete")
    client.post(f"{COURSE}/unenroll")
    enrollment = db.session.scalar(db.select(Enrollment))
    assert enrollment.unenrolled_at is not None
    assert db.session.scalar(db.select(db.func.count(LessonCompletion.id))) == 1
    body = text(client.get(COURSE))
    assert "Enroll again" in body
    assert "Unenroll" not in body
    client.post(f"{COURSE}/enroll")
    db.session.refresh(enrollment)
    assert enrollment.unenrolled_at is None
    assert 'value="25"' in text(client.get(COURSE))


def test_mark_as_complete_is_post_only_and_goes_to_the_next_lesson(basics, student, login):
    client = login(student)
    assert client.get(f"{INTRO}/complete").status_code == 405
    assert "Mark as complete" in text(client.get(INTRO))
    response = client.post(f"{INTRO}/complete")
    assert response.headers["Location"] == SECOND
    body = text(client.get(INTRO))
    assert "Mark as complete" not in body
    assert "You have completed this lesson." in body
    assert services.get_enrollment(student, basics).is_active


def test_completing_the_last_lesson_goes_to_the_quiz(basics, student, login):
    client = login(student)
    for path in (INTRO, SECOND):
        client.post(f"{path}/complete")
    assert client.post(f"{THIRD}/complete").headers["Location"] == QUIZ


def test_anonymous_visitors_see_no_progress_controls(basics, client):
    body = text(client.get(INTRO))
    assert "Mark as complete" not in body
    assert "Enroll" not in text(client.get(COURSE))
    assert client.post(f"{INTRO}/complete").headers["Location"].startswith("/login")


def test_a_locked_lesson_says_what_unlocks_it(basics, student, login):
    client = login(student)
    client.post(f"{COURSE}/enroll")
    response = client.get(SECOND)
    assert response.status_code == 403
    body = text(response)
    assert "Second lesson is locked" in body
    assert "To unlock this, complete “Introduction”." in body
    assert f'href="{INTRO}">Continue: Introduction' in body
    assert "Key ideas" not in body  # none of the lesson's text


def test_completing_a_locked_lesson_is_refused(basics, student, login):
    client = login(student)
    response = client.post(f"{SECOND}/complete")
    assert response.status_code == 403
    assert "complete “Introduction”" in text(response)
    assert db.session.scalar(db.select(db.func.count(LessonCompletion.id))) == 0


def test_the_course_instructor_opens_locked_lessons(basics, instructor, login):
    client = login(instructor)
    client.post(f"{COURSE}/enroll")
    assert client.get(THIRD).status_code == 200


def test_a_locked_quiz_cannot_be_started(basics, student, login):
    client = login(student)
    client.post(f"{COURSE}/enroll")
    body = text(client.get(QUIZ))
    assert "This quiz is locked." in body
    assert "Start the quiz" not in body
    response = client.post(f"{QUIZ}/attempts", follow_redirects=True)
    assert "complete the lessons of “Getting started”" in text(response)
    assert db.session.scalar(db.select(db.func.count(QuizAttempt.id))) == 0


def test_an_unlocked_quiz_can_be_started(basics, student, login):
    client = login(student)
    for path in (INTRO, SECOND):
        client.post(f"{path}/complete")
    assert client.post(f"{QUIZ}/attempts").headers["Location"].startswith("/attempts/")


def test_dashboard_empty_state_points_to_the_catalogue(student, login):
    body = text(login(student).get("/dashboard"))
    assert "You are not enrolled in any course yet." in body
    assert 'href="/courses"' in body
    assert "You have not submitted a quiz yet." in body
    assert "No practice is due." in body


def test_dashboard_shows_courses_next_step_results_and_practice(
    basics, student, login, basics_quiz, submit_result
):
    from learnapp.catalog.models import Question
    from learnapp.quizzes.models import PracticeItem

    client = login(student)
    client.post(f"{INTRO}/complete")
    attempts = [
        submit_result(student, basics_quiz, percent) for percent in (10, 20, 30, 40, 50, 60)
    ]
    question = db.session.scalar(db.select(Question).filter_by(slug="q-single"))
    db.session.add(PracticeItem(user_id=student.id, question_id=question.id))
    db.session.commit()
    body = text(client.get("/dashboard"))
    assert "Course basics" in body
    assert 'max="100" value="25"' in body
    assert "Next step: Second lesson" in body
    assert f'href="{SECOND}">Continue' in body
    for attempt in attempts[1:]:
        assert f'href="/attempts/{attempt.id}/review"' in body
    assert f'href="/attempts/{attempts[0].id}/review"' not in body  # only the last five
    assert "60%" in body
    assert "1 question from past quizzes is due" in body
    assert 'href="/practice"' in body


def test_dashboard_hides_courses_left(basics, student, login):
    client = login(student)
    client.post(f"{COURSE}/enroll")
    client.post(f"{COURSE}/unenroll")
    assert "You are not enrolled in any course yet." in text(client.get("/dashboard"))


def test_catalogue_offers_enroll_then_progress_and_continue(basics, student, login):
    client = login(student)
    body = text(client.get("/courses"))
    assert 'action="/courses/basics/enroll"' in body
    client.post(f"{INTRO}/complete")
    body = text(client.get("/courses"))
    assert 'action="/courses/basics/enroll"' not in body
    assert 'max="100" value="25"' in body
    assert f'href="{SECOND}">Continue' in body


def test_course_page_lists_what_is_still_missing(
    basics, student, login, basics_quiz, submit_result
):
    client = login(student)
    for path in (INTRO, SECOND, THIRD):
        client.post(f"{path}/complete")
    submit_result(student, basics_quiz, 50)
    body = text(client.get(COURSE))
    assert "Pass “Basics quiz” with at least 70%." in body
    assert "pass with at least 70% (your score: 50%)" in body
    submit_result(student, basics_quiz, 80)
    body = text(client.get(COURSE))
    assert "You have completed this course." in body
    assert 'value="100"' in body


def test_nav_links_the_dashboard_for_logged_in_users(basics, client, student, login):
    assert 'href="/dashboard"' not in text(client.get("/courses"))
    assert 'href="/dashboard"' in text(login(student).get("/courses"))


# --- queries per page -------------------------------------------------------------------------


def _queries_for(client, path: str) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("path", [COURSE, "/dashboard", "/courses", INTRO])
def test_queries_per_page_do_not_grow_with_lessons(courses_root, sync, student, login, path):
    sync()
    client = login(student)
    client.post(f"{INTRO}/complete")
    small = _queries_for(client, path)
    module = courses_root / "basics/01-start"
    names = []
    for n in range(40):
        (module / f"extra{n}.md").write_text(
            f"---\nid: extra-{n}\ntitle: Extra {n}\nminutes: 3\n---\nText {n}.\n"
        )
        names.append(f"  - extra{n}.md\n")
    listing = (module / "module.md").read_text()
    (module / "module.md").write_text(
        listing.replace("  - second.md\n", "  - second.md\n" + "".join(names))
    )
    assert sync().ok
    for n in range(0, 40, 2):
        client.post(f"/courses/basics/lessons/extra-{n}/complete")
    assert _queries_for(client, path) == small


def test_catalogue_loads_no_outline_for_courses_one_does_not_follow(basics, student, login):
    """Progress bars need the course outline; courses without them must not load lessons."""
    client = login(student)
    client.get("/courses")  # builds the snapshots once per process
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = text(client.get("/courses"))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert 'Enroll<span class="visually-hidden"> in Course basics</span>' in page
    assert not [s for s in statements if "FROM lessons" in s]
