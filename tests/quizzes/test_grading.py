"""Grading essays: submit -> awaiting grading -> graded -> final score, completion and the
certificate once; regrades with a reason; two graders at once; the grading pages."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from learnapp.audit.models import AuditEvent
from learnapp.auth.models import User
from learnapp.catalog.models import Course, Question, Quiz
from learnapp.certificates.models import Certificate
from learnapp.extensions import db
from learnapp.progress import services as progress
from learnapp.quizzes import grading, lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import Answer, PracticeItem, QuizAttempt
from tests.conftest import csrf_token_from
from tests.quizzes.essays import add_essay_quiz

LESSONS = ("basics-intro", "basics-second", "basics-third")
ESSAY = "Night pain is a red flag: ask about weight loss and fever, then refer."


@pytest.fixture
def essay_quiz(courses_root, sync) -> Quiz:
    add_essay_quiz(courses_root, passing=50)
    report = sync()
    assert report.ok, report.problems
    return db.session.scalar(select(Quiz).filter_by(slug="essay-quiz"))


@pytest.fixture
def course(essay_quiz) -> Course:
    return db.session.get(Course, essay_quiz.course_id)


@pytest.fixture
def finished_but_essays(course, lesson, submit_result) -> Callable[[User], None]:
    """Everything of the course done but the essay quiz."""

    def run(user: User) -> None:
        for slug in LESSONS:
            progress.complete_lesson(user, course, lesson(slug))
        db.session.commit()
        basics_quiz = db.session.scalar(select(Quiz).filter_by(slug="basics-quiz"))
        submit_result(user, basics_quiz, 100)

    return run


def answer_of(attempt: QuizAttempt, slug: str) -> Answer:
    return next(a for a in attempt.answers if db.session.get(Question, a.question_id).slug == slug)


def spec_of(answer: Answer) -> Any:
    return quizzes.question_spec(answer.question_id, answer.question_hash)


def submit_essays(
    user: User, quiz: Quiz, rubric: str | None = ESSAY, free: str | None = ESSAY
) -> QuizAttempt:
    attempt = lifecycle.start_attempt(user, quiz)
    answer_of(attempt, "q-essay-rubric").response = rubric
    answer_of(attempt, "q-essay-free").response = free
    answer_of(attempt, "q-essay-check").response = True
    lifecycle.submit_attempt(attempt)
    db.session.commit()
    return attempt


def grade(answer: Answer, grader: User, **values: Any) -> bool:
    final = grading.grade_answer(
        answer,
        spec_of(answer),
        grader=grader,
        levels=values.get("levels", {}),
        points=values.get("points"),
        comment=values.get("comment", ""),
        reason=values.get("reason", ""),
    )
    db.session.commit()
    return final


def certificates_of(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.user_id == user.id)
    )


def test_submitting_essays_leaves_the_attempt_awaiting_grading(essay_quiz, student) -> None:
    attempt = submit_essays(student, essay_quiz)
    assert attempt.is_awaiting_grading
    assert attempt.ungraded_answers == 2
    assert attempt.score == 1  # the true/false question, scored at once
    assert attempt.max_score == 11
    assert attempt.percent is None
    assert answer_of(attempt, "q-essay-rubric").points is None
    assert answer_of(attempt, "q-essay-rubric").needs_grading
    # Not final: no graded result counts for progress yet.
    assert quizzes.result_for(student, essay_quiz).best is None


def test_blank_essays_need_no_grading(essay_quiz, student) -> None:
    attempt = submit_essays(student, essay_quiz, rubric=None, free="   ")
    assert not attempt.is_awaiting_grading
    assert attempt.percent == Decimal("9.09")


def test_last_essay_graded_makes_the_score_final_and_issues_the_certificate_once(
    essay_quiz, student, instructor, finished_but_essays
) -> None:
    finished_but_essays(student)
    attempt = submit_essays(student, essay_quiz)
    assert certificates_of(student) == 0
    first = grade(
        answer_of(attempt, "q-essay-rubric"),
        instructor,
        levels={"flags": "2", "decision": "1"},
        comment="Good: all the red flags.",
    )
    assert first is False
    db.session.refresh(attempt)
    assert (attempt.ungraded_answers, attempt.score, attempt.percent) == (1, 7, None)
    assert certificates_of(student) == 0
    last = grade(answer_of(attempt, "q-essay-free"), instructor, points="3")
    assert last is True
    db.session.refresh(attempt)
    assert not attempt.is_awaiting_grading
    assert (attempt.score, attempt.percent) == (Decimal(10), Decimal("90.91"))
    assert quizzes.result_for(student, essay_quiz).best == Decimal("90.91")
    assert certificates_of(student) == 1
    # A regrade runs the completion step again: still one certificate.
    grade(answer_of(attempt, "q-essay-free"), instructor, points="4", reason="Re-read it")
    assert certificates_of(student) == 1
    db.session.refresh(attempt)
    assert (attempt.score, attempt.percent) == (Decimal(11), Decimal(100))


def test_regrade_needs_a_reason_and_is_audited(essay_quiz, student, instructor) -> None:
    attempt = submit_essays(student, essay_quiz)
    answer = answer_of(attempt, "q-essay-free")
    grade(answer, instructor, points="2")
    with pytest.raises(grading.GradingRefused, match="Give a reason"):
        grade(answer, instructor, points="3")
    db.session.rollback()
    grade(answer, instructor, points="3", reason="Second marker agreed on 3")
    event = db.session.scalar(select(AuditEvent).filter_by(action="answer.regraded"))
    assert event.details["reason"] == "Second marker agreed on 3"
    assert (event.details["old_points"], event.details["points"]) == ("2.00", "3.00")
    assert event.actor_id == instructor.id


def test_invalid_grades_are_refused(essay_quiz, student, instructor) -> None:
    attempt = submit_essays(student, essay_quiz)
    with pytest.raises(grading.GradingRefused, match="Choose a level"):
        grade(answer_of(attempt, "q-essay-rubric"), instructor, levels={"flags": "1"})
    db.session.rollback()
    with pytest.raises(grading.GradingRefused, match="Give points from 0 to 4"):
        grade(answer_of(attempt, "q-essay-free"), instructor, points="5")
    db.session.rollback()
    with pytest.raises(grading.GradingRefused, match="graded automatically"):
        grade(answer_of(attempt, "q-essay-check"), instructor, points="1")


def test_review_shows_awaiting_then_rubric_points_and_comment(
    essay_quiz, student, instructor, login, client
) -> None:
    attempt = submit_essays(student, essay_quiz)
    login(student)
    page = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "Awaiting grading." in page
    assert "Awaiting grading (6 points)" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Awaiting grading" in dashboard
    grade(
        answer_of(attempt, "q-essay-rubric"),
        instructor,
        levels={"flags": "1", "decision": "1"},
        comment="Ask about <weight loss> too.",
    )
    grade(answer_of(attempt, "q-essay-free"), instructor, points="4")
    page = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "Awaiting grading" not in page
    assert "81.82%" in page
    assert "Ask about &lt;weight loss&gt; too." in page
    assert re.search(r"<strong>Given:</strong> <span[^>]*>Some</span> \(2 points\)", page)
    assert "4 of 6" in page
    assert "Ask about red flags first" in page  # the model answer, shown with the key


def test_two_graders_grading_the_last_two_essays_at_once_finalise_once(
    app, essay_quiz, student, instructor, admin, finished_but_essays
) -> None:
    finished_but_essays(student)
    attempt = submit_essays(student, essay_quiz)
    targets = [
        (
            answer_of(attempt, "q-essay-rubric").id,
            instructor.id,
            {"flags": "2", "decision": "1"},
            None,
        ),
        (answer_of(attempt, "q-essay-free").id, admin.id, {}, "4"),
    ]
    db.session.commit()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run(answer_id: int, grader_id: int, levels: dict[str, str], points: str | None) -> None:
        with app.app_context():
            answer = db.session.get(Answer, answer_id)
            grader = db.session.get(User, grader_id)
            spec = spec_of(answer)
            # End the reading transaction first: on SQLite it holds the write lock (BEGIN
            # IMMEDIATE), and the other thread could not get past its first query.
            db.session.rollback()
            barrier.wait(timeout=30)
            try:
                results.append(
                    grading.grade_answer(
                        answer, spec, grader=grader, levels=levels, points=points, comment=""
                    )
                )
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(repr, results)) == ["False", "True"]
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert (attempt.ungraded_answers, attempt.score, attempt.percent) == (
        0,
        Decimal(11),
        Decimal(100),
    )
    assert certificates_of(student) == 1


def test_two_graders_grading_the_same_essay_at_once_grade_it_once(
    app, essay_quiz, student, instructor, admin
) -> None:
    attempt = submit_essays(student, essay_quiz)
    answer_id = answer_of(attempt, "q-essay-free").id
    graders = [(instructor.id, "1"), (admin.id, "2")]
    db.session.commit()  # the test's reads must not hold SQLite's write lock
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run(grader_id: int, points: str) -> None:
        with app.app_context():
            answer = db.session.get(Answer, answer_id)
            grader = db.session.get(User, grader_id)
            spec = spec_of(answer)
            # End the reading transaction first: on SQLite it holds the write lock (BEGIN
            # IMMEDIATE), and the other thread could not get past its first query.
            db.session.rollback()
            barrier.wait(timeout=30)
            try:
                results.append(
                    grading.grade_answer(
                        answer, spec, grader=grader, levels={}, points=points, comment=""
                    )
                )
                db.session.commit()
            except grading.GradingRefused as exc:
                db.session.rollback()
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=grader) for grader in graders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(isinstance(r, grading.GradingRefused) for r in results) == 1, results
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.ungraded_answers == 1
    graded = db.session.get(Answer, answer_id)
    assert attempt.score == 1 + graded.points


def test_reopening_an_attempt_clears_its_essay_grades(essay_quiz, student, instructor) -> None:

    attempt = submit_essays(student, essay_quiz)
    grade(answer_of(attempt, "q-essay-free"), instructor, points="4")
    lifecycle.reopen_attempt(attempt, essay_quiz, reason="rewrite", actor=instructor, minutes=30)
    db.session.commit()
    lifecycle.submit_attempt(attempt)
    db.session.commit()
    assert attempt.ungraded_answers == 2
    assert answer_of(attempt, "q-essay-free").graded_at is None


# --- pages ---------------------------------------------------------------------------------


def test_queue_count_on_instruct_and_grading_through_the_pages(
    essay_quiz, course, student, instructor, login, client
) -> None:
    attempt = submit_essays(student, essay_quiz)
    login(instructor)
    index = client.get("/instruct").get_data(as_text=True)
    assert '1 attempt<span class="visually-hidden"> awaiting grading in Course basics' in index
    queue = client.get("/instruct/courses/basics/grading?quiz=essay-quiz").get_data(as_text=True)
    assert student.display_name in queue
    blind = client.get("/instruct/courses/basics/grading?blind=1").get_data(as_text=True)
    assert student.display_name not in blind
    assert f"Submission {attempt.id}" in blind
    page = client.get(f"/instruct/courses/basics/grading/attempts/{attempt.id}?blind=1")
    html = page.get_data(as_text=True)
    assert student.display_name not in html
    assert ESSAY in html
    token = csrf_token_from(html)
    rubric = answer_of(attempt, "q-essay-rubric")
    response = client.post(
        f"/instruct/courses/basics/grading/answers/{rubric.id}?blind=1",
        data={
            f"a{rubric.id}-csrf_token": token,
            f"a{rubric.id}-level-flags": "2",
            f"a{rubric.id}-level-decision": "1",
            f"a{rubric.id}-comment": "Clear and safe.",
        },
    )
    assert response.status_code == 302
    assert "blind=1" in response.headers["Location"]
    free = answer_of(attempt, "q-essay-free")
    response = client.post(
        f"/instruct/courses/basics/grading/answers/{free.id}",
        data={f"a{free.id}-csrf_token": token, f"a{free.id}-points": "3.5"},
        follow_redirects=True,
    )
    assert "is fully graded" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).percent == Decimal("95.45")
    assert "Nothing to grade" in client.get("/instruct/courses/basics/grading").get_data(
        as_text=True
    )


def test_an_instructor_of_another_course_cannot_grade(
    essay_quiz, student, make_user, login, client
) -> None:
    attempt = submit_essays(student, essay_quiz)
    stranger = make_user(email="teacher9@example.com", role="instructor")
    login(stranger)
    answer = answer_of(attempt, "q-essay-free")
    assert client.get(f"/instruct/courses/basics/grading/attempts/{attempt.id}").status_code == 404
    assert client.post(f"/instruct/courses/basics/grading/answers/{answer.id}").status_code == 404
    db.session.refresh(answer)
    assert answer.needs_grading


def test_gradebook_csv_analysis_and_data_download_include_essays(
    essay_quiz, course, student, instructor, login, client
) -> None:
    progress.enroll(student, course)
    db.session.commit()
    attempt = submit_essays(student, essay_quiz)
    login(instructor)
    book = client.get("/instruct/courses/basics/gradebook").get_data(as_text=True)
    assert "awaiting grading" in book
    rows = client.get("/instruct/courses/basics/attempts.csv").get_data(as_text=True).splitlines()
    assert rows[0].endswith(',"Answers to grade"')
    assert rows[1].endswith(',"2"') or rows[1].endswith(",2")
    analysis = "/instruct/courses/basics/quizzes/essay-quiz/analysis?attempts=all"
    assert "Rubric criteria" not in client.get(analysis).get_data(as_text=True)
    grade(
        answer_of(attempt, "q-essay-rubric"),
        instructor,
        levels={"flags": "1", "decision": "1"},
        comment="Think of fever.",
    )
    grade(answer_of(attempt, "q-essay-free"), instructor, points="2")
    page = client.get(analysis).get_data(as_text=True)
    assert "Rubric criteria" in page
    assert "2.00 of 4" in page  # flags: one answer graded "Some" (2 points)
    login(student)
    download = client.get("/account/data").get_data(as_text=True)
    assert ESSAY in download
    assert "Think of fever." in download
    assert "Asks about red flags" in download


def test_an_essay_is_kept_across_session_expiry(
    app, essay_quiz, student, auth_for, attempt_form
) -> None:
    browser = app.test_client()
    auth_for(browser).login(student)
    attempt = lifecycle.start_attempt(student, essay_quiz)
    db.session.commit()
    data = attempt_form(attempt, {"q-essay-rubric": "Line one.\r\nLine two."}, action="next")
    for cookie in ("session", "remember_token"):
        browser.delete_cookie(cookie)  # the session expired while the student wrote
    response = browser.post(f"/attempts/{attempt.id}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next=/attempts/{attempt.id}")
    db.session.expire_all()
    assert answer_of(attempt, "q-essay-rubric").response == "Line one.\nLine two."
    auth_for(browser).login(student)
    assert "Line one.\nLine two.</textarea>" in browser.get(f"/attempts/{attempt.id}").get_data(
        as_text=True
    )


def test_an_attempt_awaiting_grading_is_submitted_but_not_graded_in_progress_rows(
    essay_quiz, course, student, instructor
) -> None:
    attempt = submit_essays(student, essay_quiz)
    rows = progress.load_rows([student.id], [course.id]).of(student.id, course.id)
    assert essay_quiz.id in rows.submitted
    assert essay_quiz.id in rows.awaiting
    assert essay_quiz.id not in rows.attempts
    grade(answer_of(attempt, "q-essay-rubric"), instructor, levels={"flags": "2", "decision": "1"})
    grade(answer_of(attempt, "q-essay-free"), instructor, points="3")
    rows = progress.load_rows([student.id], [course.id]).of(student.id, course.id)
    assert essay_quiz.id not in rows.awaiting
    assert [a.percent for a in rows.attempts[essay_quiz.id]] == [Decimal("90.91")]


def test_practice_is_scheduled_by_the_last_grade_and_never_for_essays(
    essay_quiz, student, instructor
) -> None:
    def practised() -> set[str]:
        return set(
            db.session.scalars(
                select(Question.slug)
                .join(PracticeItem, PracticeItem.question_id == Question.id)
                .where(PracticeItem.user_id == student.id)
            )
        )

    attempt = lifecycle.start_attempt(student, essay_quiz)
    answer_of(attempt, "q-essay-rubric").response = ESSAY
    answer_of(attempt, "q-essay-free").response = ESSAY
    answer_of(attempt, "q-essay-check").response = False  # wrong: practice once final
    lifecycle.submit_attempt(attempt)
    db.session.commit()
    assert attempt.is_awaiting_grading
    assert practised() == set()  # the completion step waits for the grader
    grade(answer_of(attempt, "q-essay-rubric"), instructor, levels={"flags": "1", "decision": "0"})
    assert practised() == set()
    grade(answer_of(attempt, "q-essay-free"), instructor, points="1")
    assert practised() == {"q-essay-check"}
