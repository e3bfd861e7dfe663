"""Every instructor route x the five principals: anonymous, student, instructor of another
course, instructor of this course, admin. Not yours is a 404, never a 403 that confirms it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from learnapp.audit.models import AuditEvent
from learnapp.catalog.models import Question
from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import Answer

PRINCIPALS = ("anonymous", "student", "other_instructor", "instructor", "admin")
LOGIN, FORBIDDEN, NOT_FOUND, OK, DONE = 302, 403, 404, 200, 302

REASON = {"reason": "Documented illness"}


def staff(status: int) -> dict[str, int]:
    """Anonymous to the login page, students refused, the other course's instructor 404."""
    return {
        "anonymous": LOGIN,
        "student": FORBIDDEN,
        "other_instructor": NOT_FOUND,
        "instructor": status,
        "admin": status,
    }


def prefixed(prefix: str, **fields: str) -> dict[str, str]:
    return {f"{prefix}-{name}": value for name, value in fields.items()}


#: endpoint -> (method, path, form data, expected status per principal)
ROUTES = {
    "instructor.index": (
        "GET",
        "/instruct",
        {},
        staff(OK) | {"other_instructor": OK},
    ),
    "instructor.course": ("GET", "/instruct/courses/basics", {}, staff(OK)),
    "instructor.sync": ("POST", "/instruct/courses/basics/sync", {}, staff(DONE)),
    "instructor.gradebook": ("GET", "/instruct/courses/basics/gradebook", {}, staff(OK)),
    "instructor.gradebook_csv": ("GET", "/instruct/courses/basics/gradebook.csv", {}, staff(OK)),
    "instructor.attempts_csv": ("GET", "/instruct/courses/basics/attempts.csv", {}, staff(OK)),
    "instructor.student": ("GET", "/instruct/courses/basics/students/{student}", {}, staff(OK)),
    "instructor.allowance": (
        "POST",
        "/instruct/courses/basics/students/{student}/quizzes/basics-quiz/allowance",
        prefixed("allow-basics-quiz", extra_minutes="15", extra_attempts="1", **REASON),
        staff(DONE),
    ),
    "instructor.set_score": (
        "POST",
        "/instruct/courses/basics/students/{student}/quizzes/basics-quiz/score",
        prefixed("score-basics-quiz", percent="75", **REASON),
        staff(DONE),
    ),
    "instructor.clear_score": (
        "POST",
        "/instruct/courses/basics/students/{student}/quizzes/basics-quiz/score/clear",
        prefixed("clear-basics-quiz", **REASON),
        staff(DONE),
    ),
    "instructor.reopen": (
        "POST",
        "/instruct/courses/basics/attempts/{attempt}/reopen",
        prefixed("reopen-basics-quiz-1", **REASON),
        staff(DONE),
    ),
    "instructor.discard": (
        "POST",
        "/instruct/courses/basics/attempts/{attempt}/discard",
        prefixed("discard-basics-quiz-1", **REASON),
        staff(DONE),
    ),
    "instructor.attempt": ("GET", "/instruct/courses/basics/attempts/{attempt}", {}, staff(OK)),
    "instructor.grading_queue": ("GET", "/instruct/courses/basics/grading", {}, staff(OK)),
    "instructor.grade_attempt": (
        "GET",
        "/instruct/courses/basics/grading/attempts/{attempt}",
        {},
        staff(OK),
    ),
    # {answer}: a true/false answer of {attempt}, which staff cannot grade by hand: refused with
    # a message (a redirect); everyone else is stopped before (tests/quizzes/test_grading.py
    # grades essays through the same route).
    "instructor.grade_answer": (
        "POST",
        "/instruct/courses/basics/grading/answers/{answer}",
        prefixed("a{answer}", points="1"),
        staff(DONE),
    ),
}

#: What each successful POST leaves in the audit log.
AUDITED = {
    "instructor.sync": "course.synced",
    "instructor.allowance": "quiz.override_granted",
    "instructor.set_score": "quiz.score_set",
    "instructor.clear_score": "quiz.score_cleared",
    "instructor.reopen": "attempt.reopened",
    "instructor.discard": "attempt.discarded",
}


def test_every_instructor_route_is_listed(app):
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("instructor.")
    }
    assert endpoints == set(ROUTES)


@pytest.fixture
def setting(people, enroll, attempt_at, basics_course, quiz):
    """The student enrolled in basics with a submitted attempt and a manual score."""
    from learnapp.database import utcnow

    student = people["student"]
    enroll(student, basics_course)
    attempt = attempt_at(student, quiz, 80, utcnow())
    lifecycle.set_manual_score(student, quiz, 90, reason="setup", actor=people["admin"])
    question = db.session.scalar(db.select(Question).filter_by(slug="q-true-false"))
    answer = Answer(
        attempt_id=attempt.id,
        question_id=question.id,
        position=0,
        question_hash=question.content_hash,
        response=True,
        points=Decimal(1),
        max_points=Decimal(1),
    )
    db.session.add(answer)
    db.session.commit()
    return {"student": student.id, "attempt": attempt.id, "answer": answer.id}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_by_principal(client, login, people, setting, endpoint, principal):
    method, template, data, expected = ROUTES[endpoint]
    if principal != "anonymous":
        login(people[principal])
    path = template.format(**setting)
    data = {key.format(**setting): value for key, value in data.items()}
    before = row_counts()
    with client.open(path, method=method, data=data) as response:
        status = response.status_code
        location = response.headers.get("Location", "")
    assert status == expected[principal], f"{method} {path} as {principal}"
    if principal == "anonymous":
        assert location.startswith("/login?next=")
    if method == "POST" and principal not in ("instructor", "admin"):
        assert row_counts() == before, "a refused request changed something"
    if method == "POST" and endpoint in AUDITED and principal in ("instructor", "admin"):
        actions = db.session.scalars(
            db.select(AuditEvent.action).where(AuditEvent.actor_id == people[principal].id)
        ).all()
        assert AUDITED[endpoint] in actions


def row_counts() -> dict[str, int]:
    db.session.commit()
    return {
        table.name: db.session.scalar(db.select(db.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_other_instructor_sees_only_their_course(client, login, people, setting):
    login(people["other_instructor"])
    page = client.get("/instruct").get_data(as_text=True)
    assert "Another course" in page
    assert "Course basics" not in page
    assert client.get("/instruct/courses/other/gradebook").status_code == OK
    assert "Lee Learner" not in client.get("/instruct/courses/other/gradebook").get_data(
        as_text=True
    )


def test_student_of_another_course_is_not_found(client, login, people, make_user, enroll, courses):
    outsider = make_user(display_name="Olga Outsider")
    enroll(outsider, courses["other"])
    login(people["instructor"])
    assert client.get(f"/instruct/courses/basics/students/{outsider.id}").status_code == NOT_FOUND
    assert "Olga" not in client.get("/instruct/courses/basics/gradebook").get_data(as_text=True)
    # ... and it is the other course's student, for its instructor
    login(people["other_instructor"])
    assert client.get(f"/instruct/courses/other/students/{outsider.id}").status_code == OK


def test_attempt_of_another_course_is_not_found_through_this_course(client, login, people, setting):
    login(people["other_instructor"])
    path = f"/instruct/courses/other/attempts/{setting['attempt']}"
    assert client.get(path).status_code == NOT_FOUND
    data = prefixed("discard-basics-quiz-1", **REASON)
    assert client.post(path + "/discard", data=data).status_code == NOT_FOUND


def test_staff_are_not_students_of_the_course(client, login, people, enroll, basics_course):
    enroll(people["instructor"], basics_course)
    login(people["admin"])
    path = f"/instruct/courses/basics/students/{people['instructor'].id}"
    assert client.get(path).status_code == NOT_FOUND


def test_unknown_quiz_and_course_are_not_found(client, login, people, setting):
    login(people["admin"])
    student = setting["student"]
    data = prefixed("allow-nope", extra_minutes="1", extra_attempts="0", **REASON)
    path = f"/instruct/courses/basics/students/{student}/quizzes/nope/allowance"
    assert client.post(path, data=data).status_code == NOT_FOUND
    assert client.get("/instruct/courses/nope/gradebook").status_code == NOT_FOUND


def test_an_assigned_instructor_teaches_the_course(client, login, make_user, courses):
    from learnapp.catalog import services as catalog

    assigned = make_user(role="instructor", email="assigned@example.com")
    catalog.assign_instructor(courses["basics"], assigned)
    db.session.commit()
    login(assigned)
    assert client.get("/instruct/courses/basics/gradebook").status_code == OK
    assert client.get("/instruct/courses/other/gradebook").status_code == NOT_FOUND
