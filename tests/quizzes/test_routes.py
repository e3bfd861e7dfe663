"""The attempt flow through HTTP: start, save, stale pages, expired sessions, submit, review."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from learnapp.database import utcnow
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import Answer, PracticeItem, QuizAttempt

START = "/courses/basics/quizzes/basics-quiz/attempts"


def count(db, model, **where):
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def start(client, db) -> QuizAttempt:
    response = client.post(START)
    assert response.status_code == 302, response.get_data(as_text=True)
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.commit()
    return db.session.get(QuizAttempt, attempt_id)


def test_overview_invites_login_then_start(client, quiz, login, student):
    assert b"Log in to take this quiz" in client.get("/courses/basics/quizzes/basics-quiz").data
    login(student)
    body = client.get("/courses/basics/quizzes/basics-quiz").get_data(as_text=True)
    assert "Start the quiz" in body
    assert "You have not taken this quiz yet." in body


def test_start_records_questions_order_and_hashes(client, quiz, login, student, db):
    login(student)
    attempt = start(client, db)
    assert attempt.number == 1
    assert attempt.is_open
    assert len(attempt.answers) == 7
    assert all(a.question_hash and a.response is None for a in attempt.answers)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=20)
    assert attempt.max_score == Decimal(8)


def test_second_start_or_second_tab_returns_the_open_attempt(client, quiz, login, student, db):
    login(student)
    first = start(client, db)
    assert start(client, db).id == first.id
    assert count(db, QuizAttempt) == 1


def test_take_page_is_no_store_and_has_no_answer_key(client, quiz, login, student, db):
    login(student)
    attempt = start(client, db)
    response = client.get(f"/attempts/{attempt.id}")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    for secret in [
        "Yes.",
        "Everything has an id",
        "Right, ids are permanent",
        "Close; the full",
        "correct",
        "weight",
        "feedback",
        "explanation",
    ]:
        assert secret not in body, secret
    assert 'value="a"' not in body  # options carry attempt tokens, not their ids


def test_saving_keeps_answers_across_pages_and_reloads(
    client, quiz, login, student, db, attempt_form
):
    login(student)
    attempt = start(client, db)
    data = attempt_form(attempt, {"q-short": "Intro", "q-true-false": False}, action="save")
    assert client.post(f"/attempts/{attempt.id}", data=data).status_code == 302
    body = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert 'value="Intro"' in body
    assert re.search(r'value="false"\s+checked', body)


def test_stale_page_never_overwrites_newer_answers(client, quiz, login, student, db, attempt_form):
    login(student)
    attempt = start(client, db)
    old_page = attempt_form(attempt, {"q-short": "Old text"})
    client.post(f"/attempts/{attempt.id}", data=attempt_form(attempt, {"q-short": "Newer text"}))
    response = client.post(f"/attempts/{attempt.id}", data=old_page, follow_redirects=True)
    assert b"out of date" in response.data
    db.session.commit()
    short = next(a for a in db.session.get(QuizAttempt, attempt.id).answers if a.response)
    assert short.response == "Newer text"


def test_autosave_returns_the_next_sequence(client, quiz, login, student, db, attempt_form):
    login(student)
    attempt = start(client, db)
    response = client.post(
        f"/attempts/{attempt.id}/autosave", data=attempt_form(attempt, {"q-numeric": "4"})
    )
    assert response.status_code == 200
    assert response.json["saved"] is True
    assert response.json["sequence"] == 1
    stale = client.post(
        f"/attempts/{attempt.id}/autosave", data=attempt_form(attempt, {}, sequence="0")
    )
    assert stale.status_code == 409
    assert stale.json["stale"] is True


def test_tampered_or_foreign_token_saves_nothing(
    client, quiz, login, student, make_user, db, attempt_form
):
    login(student)
    attempt = start(client, db)
    data = attempt_form(attempt, {"q-short": "x"})
    data["attempt_token"] = data["attempt_token"][:-2] + "xx"
    assert client.post(f"/attempts/{attempt.id}", data=data).status_code == 400
    other_attempt_token = attempt_form(attempt, {})["attempt_token"]
    assert (
        client.post("/attempts/999", data={"attempt_token": other_attempt_token}).status_code == 400
    )
    assert count(db, Answer, response=None) == 7


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_expired_session_keeps_answers_and_returns_after_login(
    app, quiz, student, db, attempt_form, auth_for
):
    browser = app.test_client()
    auth_for(browser).login(student)
    attempt = start_with_csrf(browser, db)
    data = attempt_form(attempt, {"q-short": "Typed for an hour"}, action="next")
    for cookie in ("session", "remember_token"):
        browser.delete_cookie(cookie)  # the session expired during the exam
    response = browser.post(f"/attempts/{attempt.id}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next=/attempts/{attempt.id}")
    db.session.commit()
    assert any(
        a.response == "Typed for an hour" for a in db.session.get(QuizAttempt, attempt.id).answers
    )
    auth_for(browser).login(student)
    assert b"Typed for an hour" in browser.get(f"/attempts/{attempt.id}").data


def start_with_csrf(client, db) -> QuizAttempt:
    page = client.get("/courses/basics/quizzes/basics-quiz").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(START, data={"csrf_token": token})
    assert response.status_code == 302
    db.session.commit()
    return db.session.get(QuizAttempt, int(response.headers["Location"].rsplit("/", 1)[1]))


def submit(client, attempt):
    return client.post(f"/attempts/{attempt.id}/submit")


def test_all_correct_scores_full_marks_and_review_shows_everything(
    client, quiz, login, student, db, attempt_form, all_correct
):
    login(student)
    attempt = start(client, db)
    client.post(f"/attempts/{attempt.id}", data=attempt_form(attempt, all_correct))
    assert submit(client, attempt).headers["Location"] == f"/attempts/{attempt.id}/review"
    db.session.commit()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.score == Decimal(8)
    assert attempt.percent == Decimal(100)
    body = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "100" in body
    assert "Everything has an id." in body
    assert count(db, PracticeItem) == 0


def test_wrong_answers_link_back_to_the_lesson_and_enter_practice(
    client, quiz, login, student, db, attempt_form
):
    login(student)
    attempt = start(client, db)
    client.post(f"/attempts/{attempt.id}", data=attempt_form(attempt, {"q-numeric": "17"}))
    submit(client, attempt)
    body = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert 'href="/courses/basics/lessons/basics-third#numbers"' in body
    assert count(db, PracticeItem) == 7
    practice = client.get("/practice").get_data(as_text=True)
    assert "Check my answers" in practice


def test_double_submit_grades_once(client, quiz, login, student, db, attempt_form, all_correct):
    login(student)
    attempt = start(client, db)
    client.post(f"/attempts/{attempt.id}", data=attempt_form(attempt, all_correct))
    submit(client, attempt)
    db.session.commit()
    first = db.session.get(QuizAttempt, attempt.id).submitted_at
    submit(client, attempt)
    db.session.commit()
    assert db.session.get(QuizAttempt, attempt.id).submitted_at == first
    assert count(db, QuizAttempt) == 1


def test_saving_after_submit_is_refused(client, quiz, login, student, db, attempt_form):
    login(student)
    attempt = start(client, db)
    data = attempt_form(attempt, {"q-short": "late"})
    submit(client, attempt)
    response = client.post(f"/attempts/{attempt.id}", data=data, follow_redirects=True)
    assert b"already submitted" in response.data
    db.session.commit()
    assert "late" not in [a.response for a in db.session.scalars(select(Answer))]


def test_attempt_limit(client, set_quiz, login, student, db):
    set_quiz(attempts=1)
    login(student)
    attempt = start(client, db)
    submit(client, attempt)
    response = client.post(START, follow_redirects=True)
    assert b"You have used every attempt" in response.data
    assert count(db, QuizAttempt) == 1


def test_override_grants_extra_attempts_and_time(client, set_quiz, login, student, db):
    from learnapp.quizzes.models import QuizOverride

    quiz = set_quiz(attempts=1)
    db.session.add(
        QuizOverride(user_id=student.id, quiz_id=quiz.id, extra_attempts=1, extra_minutes=15)
    )
    db.session.commit()
    login(student)
    submit(client, start(client, db))
    second = start(client, db)
    assert second.number == 2
    assert second.deadline_at - second.started_at == timedelta(minutes=35)


def test_deadline_is_judged_by_the_server(client, quiz, login, student, db, attempt_form):
    login(student)
    attempt = start(client, db)
    data = attempt_form(attempt, {"q-short": "in time"})
    with time_machine.travel(attempt.deadline_at + timedelta(seconds=20), tick=False):
        assert client.post(f"/attempts/{attempt.id}", data=data).status_code == 302  # grace
    data = attempt_form(attempt, {"q-short": "too late"})
    with time_machine.travel(attempt.deadline_at + timedelta(seconds=31), tick=False):
        response = client.post(f"/attempts/{attempt.id}", data=data, follow_redirects=True)
    assert b"Time is up" in response.data
    db.session.commit()
    closed = db.session.get(QuizAttempt, attempt.id)
    assert closed.is_submitted
    assert closed.was_closed_by_deadline
    assert closed.submitted_at == closed.deadline_at
    assert any(a.response == "in time" for a in closed.answers)


def test_overdue_attempt_closes_on_next_access(client, quiz, login, student, db):
    login(student)
    attempt = start(client, db)
    with time_machine.travel(attempt.deadline_at + timedelta(minutes=5), tick=False):
        response = client.get(f"/attempts/{attempt.id}")
    assert response.headers["Location"].endswith(f"/attempts/{attempt.id}/review")


def test_close_overdue_command(runner, quiz, student, db):
    attempt = lifecycle.start_attempt(student, quiz)
    db.session.commit()
    with time_machine.travel(attempt.deadline_at + timedelta(hours=1), tick=False):
        result = runner.invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0
    assert "1 overdue attempt(s) closed." in result.output
    db.session.commit()
    assert db.session.get(QuizAttempt, attempt.id).is_submitted


def test_quiz_not_open_yet(client, set_quiz, login, student):
    set_quiz(opens_at=(utcnow() + timedelta(days=1)).isoformat())
    login(student)
    assert b"This quiz is not open now." in client.get("/courses/basics/quizzes/basics-quiz").data
    assert b"not open now" in client.post(START, follow_redirects=True).data


@pytest.mark.parametrize(
    ("review", "shows_answers"),
    [
        ("after_submit", True),
        ("never", False),
        ("after_close", False),
        ("after_last_attempt", False),
    ],
)
def test_review_setting_controls_what_is_shown(
    client, set_quiz, login, student, db, review, shows_answers
):
    set_quiz(review=review)
    login(student)
    attempt = start(client, db)
    submit(client, attempt)
    body = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert ("Everything has an id." in body) is shows_answers
    assert ("Accepted answers:" in body) is shows_answers
    assert ("Correct order:" in body) is shows_answers


def test_review_of_open_attempt_redirects_to_questions(client, quiz, login, student, db):
    login(student)
    attempt = start(client, db)
    assert (
        client.get(f"/attempts/{attempt.id}/review").headers["Location"]
        == f"/attempts/{attempt.id}"
    )


def test_immediate_mode_checks_and_locks_an_answer(
    client, set_quiz, login, student, db, attempt_form
):
    set_quiz(review="immediately")
    login(student)
    attempt = start(client, db)
    single = next(a for a in attempt.answers if a.position == 0)
    client.post(
        f"/attempts/{attempt.id}",
        data=attempt_form(attempt, {"q-single": "correct"}, check=str(single.id)),
    )
    body = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "This answer is locked." in body
    client.post(f"/attempts/{attempt.id}", data=attempt_form(attempt, {"q-single": "b"}))
    db.session.commit()
    assert db.session.get(Answer, single.id).response == "a"


def test_regrade_after_a_key_fix(
    runner, quiz, student, db, attempt_form, client, login, courses_root, edit, sync
):
    login(student)
    attempt = start(client, db)
    client.post(f"/attempts/{attempt.id}", data=attempt_form(attempt, {"q-numeric": "5"}))
    submit(client, attempt)
    db.session.commit()
    before = db.session.get(QuizAttempt, attempt.id).score
    edit("basics/02-more/quiz.md", "  - value: 4\n", "  - value: 5\n")
    assert sync().ok
    result = runner.invoke(args=["quizzes", "regrade", "basics-quiz", "--course", "basics"])
    assert result.exit_code == 0, result.output
    assert "1 score(s) changed." in result.output
    db.session.commit()
    assert db.session.get(QuizAttempt, attempt.id).score == before + Decimal("0.5")


def test_edited_question_keeps_old_attempts_on_their_version(
    quiz, student, db, courses_root, edit, sync, client, login
):
    login(student)
    attempt = start(client, db)
    old_hashes = {a.question_hash for a in attempt.answers}
    edit("basics/02-more/quiz.md", "prompt: How much is two plus two?", "prompt: What is 2 + 2?")
    assert sync().ok
    submit(client, attempt)
    db.session.commit()
    assert {a.question_hash for a in db.session.get(QuizAttempt, attempt.id).answers} == old_hashes
    assert b"How much is two plus two?" in client.get(f"/attempts/{attempt.id}/review").data


def test_practice_moves_a_right_answer_to_the_next_box(
    client, quiz, login, student, db, attempt_form
):
    login(student)
    attempt = start(client, db)
    submit(client, attempt)  # nothing answered: every question enters practice
    item = db.session.scalars(select(PracticeItem)).first()
    page = client.get("/practice").get_data(as_text=True)
    assert f'name="practice_item" value="{item.id}"' in page


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_long_quiz_outlives_session_and_csrf_lifetimes(
    app, set_quiz, student, db, attempt_form, auth_for
):
    """RELIABILITY.md check 7: clock moved past both limits; every answer is kept."""
    set_quiz(time_limit=24 * 60)  # a day-long open-book quiz
    browser = app.test_client()
    auth_for(browser).login(student)
    attempt = start_with_csrf(browser, db)
    data = attempt_form(
        attempt, {"q-short": "Written at hour one", "q-numeric": "4"}, action="next"
    )
    later = utcnow() + app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(minutes=1)
    assert later - utcnow() > timedelta(seconds=app.config["WTF_CSRF_TIME_LIMIT"])
    with time_machine.travel(later, tick=False):
        response = browser.post(f"/attempts/{attempt.id}", data=data)
        assert response.headers["Location"].startswith("/login?next=")
    db.session.commit()
    kept = {a.response for a in db.session.get(QuizAttempt, attempt.id).answers}
    assert {"Written at hour one", "4"} <= kept


def test_another_student_cannot_use_a_leaked_attempt_token(
    client, quiz, login, student, make_user, db, attempt_form
):
    login(student)
    attempt = start(client, db)
    leaked = attempt_form(attempt, {"q-short": "written by someone else"})
    login(make_user())
    assert client.post(f"/attempts/{attempt.id}", data=leaked).status_code == 404
    assert client.post(f"/attempts/{attempt.id}/autosave", data=leaked).status_code == 404
    db.session.commit()
    assert all(a.response is None for a in db.session.get(QuizAttempt, attempt.id).answers)


def test_review_feedback_keeps_its_formatting(
    client, courses_root, edit, sync, login, student, db, attempt_form
):
    edit(
        "basics/02-more/quiz.md",
        "feedback_false: Right, ids are permanent.",
        "feedback_false: Right, ids are *permanent*.",
    )
    sync()
    login(student)
    attempt = start(client, db)
    client.post(f"/attempts/{attempt.id}", data=attempt_form(attempt, {"q-true-false": False}))
    submit(client, attempt)
    body = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "Right, ids are <em>permanent</em>." in body
    assert "&lt;em&gt;" not in body


# --- the per-attempt token saves only for an active owner -----------------------------------


def _post_with_token(app, attempt, data):
    """Both save endpoints, from a browser without a session (the token alone authorises)."""
    browser = app.test_client()
    saved = browser.post(f"/attempts/{attempt.id}", data=data)
    autosaved = browser.post(f"/attempts/{attempt.id}/autosave", data=data)
    return saved.status_code, autosaved.status_code


def _responses(db, attempt):
    db.session.commit()
    db.session.expire_all()
    return {a.response for a in db.session.get(QuizAttempt, attempt.id).answers} - {None}


def test_a_deactivated_accounts_token_saves_nothing(
    app, client, quiz, login, student, admin, db, attempt_form
):
    from learnapp.auth import services as auth_services

    login(student)
    attempt = start(client, db)
    data = attempt_form(attempt, {"q-short": "after deactivation"})
    auth_services.set_active(student, False, actor=admin, reason="left the course")
    db.session.commit()
    assert _post_with_token(app, attempt, data) == (400, 400)
    assert _responses(db, attempt) == set()
    # Re-activated, the owner's token saves again (the attempt is still theirs and open).
    auth_services.set_active(db.session.get(type(student), student.id), True, actor=admin)
    db.session.commit()
    assert _post_with_token(app, attempt, attempt_form(attempt, {"q-short": "back"}))[0] == 302
    assert _responses(db, attempt) == {"back"}


def test_an_anonymised_accounts_token_saves_nothing(
    app, client, quiz, login, student, admin, db, attempt_form
):
    from learnapp.privacy import services as privacy

    login(student)
    attempt = start(client, db)
    data = attempt_form(attempt, {"q-short": "after anonymisation"})
    privacy.anonymise_user(student, actor=admin, reason="request")
    db.session.commit()
    assert _post_with_token(app, attempt, data) == (400, 400)
    assert _responses(db, attempt) == set()


def test_a_role_change_keeps_the_owners_token_saving(
    app, client, quiz, login, student, admin, db, attempt_form
):
    """The role is not the token's business: the attempt stays its active owner's (the
    change ends the sessions; the token, as for an expired session, saves and asks for a
    login)."""
    from learnapp.auth import services as auth_services

    login(student)
    attempt = start(client, db)
    auth_services.set_role(student, "instructor", actor=admin, reason="teaches now")
    db.session.commit()
    browser = app.test_client()
    saved = browser.post(
        f"/attempts/{attempt.id}", data=attempt_form(attempt, {"q-short": "saved"})
    )
    assert saved.status_code == 302
    assert _responses(db, attempt) == {"saved"}
    autosaved = browser.post(
        f"/attempts/{attempt.id}/autosave", data=attempt_form(attempt, {"q-short": "autosaved"})
    )
    assert autosaved.status_code == 200
    assert _responses(db, attempt) == {"autosaved"}
