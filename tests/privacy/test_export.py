"""Downloading one's own data: contents, no secrets, no early answer keys, only one's own."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from learnapp.auth import services as auth_services
from learnapp.auth.models import PasswordResetToken, User
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import QuizAttempt


def download(client):
    response = client.get("/account/data")
    assert response.status_code == 200, response.status_code
    return response, json.loads(response.get_data(as_text=True))


def test_download_is_a_json_attachment_of_ones_own_profile(client, student, login):
    login(student)
    response, data = download(client)
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="learnapp-data-{student.id}-' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert data["format"] == "learnapp-personal-data"
    assert data["profile"]["email"] == "student@example.com"
    assert data["profile"]["display_name"] == "Sam Student"
    assert data["profile"]["role"] == "student"
    assert data["profile"]["created_at"]


def test_export_has_progress_attempts_overrides_practice_and_certificates(
    client, student, login, learn, take_quiz, quiz, make_certificate, db
):
    learn(student)
    quizzes.grant_override(student, quiz, 10, 1, "broken laptop")
    db.session.commit()
    attempt = take_quiz(student)
    certificate = make_certificate(student)
    login(student)
    _, data = download(client)

    [enrollment] = data["enrollments"]
    assert enrollment["course"] == "basics"
    assert enrollment["unenrolled_at"] is None
    assert enrollment["progress"]["done"] >= 1
    assert 0 < enrollment["progress"]["percent"] <= 100

    [completion] = data["lesson_completions"]
    assert completion["lesson"] == "basics-intro"
    assert completion["completed_at"]

    [exported] = data["quiz_attempts"]
    assert exported["quiz"] == "basics-quiz"
    assert exported["number"] == attempt.number
    assert exported["status"] == "submitted"
    assert exported["percent"] == "100.00"
    assert exported["shown"] == {
        "score": True,
        "responses": True,
        "correct_answers": True,
        "feedback": True,
    }
    assert len(exported["questions"]) == 7
    single = next(q for q in exported["questions"] if q["id"] == "q-single")
    assert single["status"] == "right"
    assert any(choice.get("picked") for choice in single["choices"])

    [override] = data["quiz_overrides"]
    assert override == {
        "course": "basics",
        "quiz": "basics-quiz",
        "extra_minutes": 10,
        "extra_attempts": 1,
        "reason": "broken laptop",
        "created_at": override["created_at"],
    }
    assert isinstance(data["practice_schedule"], list)

    [exported_certificate] = data["certificates"]
    assert exported_certificate["public_id"] == certificate.public_id
    assert exported_certificate["name"] == "Sam Student"
    assert exported_certificate["verify_url"].endswith(f"/certificates/{certificate.public_id}")


def test_export_contains_no_secrets(client, app, student, login, take_quiz, db):
    attempt = take_quiz(student, submit=False)
    token = auth_services.issue_reset_token(student)
    db.session.commit()
    user = db.session.get(User, student.id)
    secrets = [
        user.password_hash,
        attempt.token_nonce,
        quizzes.attempt_token(attempt),
        token,
        db.session.scalar(db.select(PasswordResetToken.token_hash)),
        app.config["SECRET_KEY"],
    ]
    login(student)
    response, _data = download(client)
    body = response.get_data(as_text=True)
    for secret in secrets:
        assert secret not in body
    for key in ("password_hash", "session_generation", "token_nonce", "token_hash"):
        assert f'"{key}"' not in body


@pytest.mark.parametrize(
    ("review", "closes_in_days"),
    [("never", None), ("after_close", 7), ("after_last_attempt", None)],
)
def test_answer_keys_stay_out_until_review_allows(
    client, student, login, take_quiz, set_quiz, review, closes_in_days
):
    closes_at = (utcnow() + timedelta(days=closes_in_days)).isoformat() if closes_in_days else None
    set_quiz(review=review, closes_at=closes_at, attempts=3)
    take_quiz(student)
    login(student)
    response, data = download(client)
    body = response.get_data(as_text=True)
    [attempt] = data["quiz_attempts"]
    assert attempt["shown"]["correct_answers"] is False
    assert attempt["shown"]["feedback"] is False
    for question in attempt["questions"]:
        assert not {"score", "status", "feedback", "explanation_html"} & set(question)
        for choice in question.get("choices", []):
            assert "correct" not in choice
            assert "feedback_html" not in choice
    # Texts only the key reveals: a choice's feedback, an explanation, a feedback message.
    for revealing in ("Everything has an id", "Right, ids are permanent", '"correct"'):
        assert revealing not in body
    if review == "never":
        assert attempt["shown"]["responses"] is False
        assert "picked" not in body
        assert "percent" in attempt  # the score itself is shown
    else:
        assert attempt["shown"]["responses"] is True


def test_open_attempt_shows_own_answers_but_no_score_or_key(client, student, login, take_quiz):
    take_quiz(student, submit=False)
    login(student)
    response, data = download(client)
    [attempt] = data["quiz_attempts"]
    assert attempt["status"] == "open"
    assert "percent" not in attempt
    assert "score" not in attempt
    assert "picked" in response.get_data(as_text=True)
    assert '"correct"' not in response.get_data(as_text=True)


def test_export_holds_nobody_elses_data(
    client, student, make_user, login, learn, take_quiz, make_certificate
):
    other = make_user(email="someone.else@example.com", display_name="Olga Other")
    learn(other)
    take_quiz(other)
    make_certificate(other)
    login(student)
    response, data = download(client)
    body = response.get_data(as_text=True)
    assert "someone.else@example.com" not in body
    assert "Olga Other" not in body
    assert data["enrollments"] == []
    assert data["quiz_attempts"] == []
    assert data["certificates"] == []


def test_audit_events_about_the_account_name_no_staff(client, admin, student, login, db):
    auth_services.set_role(student, "instructor", actor=admin, reason="teaches now")
    db.session.commit()
    login(db.session.get(User, student.id))
    response, data = download(client)
    body = response.get_data(as_text=True)
    role_change = next(e for e in data["audit_events"] if e["action"] == "user.role_changed")
    assert role_change["by"] == "staff"
    assert role_change["details"]["reason"] == "teaches now"
    assert "ip_address" not in role_change
    assert admin.email not in body
    assert "Ada Admin" not in body


def test_query_count_does_not_grow_with_attempts(
    client, student, login, take_quiz, quiz, db, sql_statements
):
    quizzes.grant_override(student, quiz, 0, 5, "more practice")
    db.session.commit()
    take_quiz(student)
    login(student)

    def queries():
        with sql_statements() as seen:
            download(client)
        return len([s for s in seen if not s.startswith("BEGIN")])

    one = queries()
    for _ in range(4):
        take_quiz(db.session.get(User, student.id))
    assert queries() == one


def test_anonymous_is_sent_to_login(client):
    response = client.get("/account/data")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.app_config(DATA_EXPORT_LIMITS="2/minute")
def test_downloads_are_rate_limited_per_account(client, student, make_user, login):
    login(student)
    assert client.get("/account/data").status_code == 200
    assert client.get("/account/data").status_code == 200
    limited = client.get("/account/data")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"]
    login(make_user())  # another account has its own allowance
    assert client.get("/account/data").status_code == 200


def test_account_page_links_to_the_download_and_privacy_page(client, student, login):
    login(student)
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/data"' in page
    assert "Download my data" in page
    assert 'href="/privacy"' in page


def test_export_has_the_question_problems_one_reported(client, student, login, take_quiz, db):
    from learnapp.reports import services as reports

    attempt = take_quiz(student)
    answer = attempt.answers[0]
    reports.file_report(student, attempt, answer, reason="key", comment="B is right too")
    db.session.commit()
    login(student)
    _, data = download(client)
    [report] = data["question_reports"]
    assert report["reason"] == "The answer key looks wrong"
    assert report["comment"] == "B is right too"
    assert report["status"] == "open"
    assert report["question"]


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_a_discarded_attempt_is_not_a_used_attempt_in_the_download_either(
    client, student, instructor, login, take_quiz, set_quiz, quiz
):
    """after_last_attempt, 2 attempts, the first discarded and the second submitted: one
    attempt is left, so the review page and the download both keep the key out."""
    set_quiz(review="after_last_attempt", attempts=2)
    first = take_quiz(student)
    lifecycle.discard_attempt(first, quiz, reason="Started by mistake", actor=instructor)
    second = take_quiz(db.session.get(User, student.id))
    login(student)
    review = client.get(f"/attempts/{second.id}/review").get_data(as_text=True)
    response, data = download(client)
    body = response.get_data(as_text=True)
    for revealing in ("Everything has an id", "Right, ids are permanent", "Close; the full"):
        assert revealing not in review
        assert revealing not in body
    exported = {attempt["number"]: attempt for attempt in data["quiz_attempts"]}
    assert exported[1]["status"] == "discarded"
    assert not any(exported[1]["shown"].values())
    assert exported[2]["shown"] == {
        "score": True,
        "responses": True,
        "correct_answers": False,
        "feedback": False,
    }
    for question in exported[2]["questions"]:
        assert not {"score", "status", "feedback", "explanation_html", "accepted"} & set(question)
        assert not {"correct", "right"} & {k for c in question.get("choices", []) for k in c}


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
@pytest.mark.parametrize("review", ["after_submit", "after_last_attempt", "after_close", "never"])
def test_download_and_review_page_show_the_same_for_each_attempt(
    client, student, instructor, login, take_quiz, set_quiz, quiz, review
):
    """One rule for both: whatever the history (discarded, submitted, reopened, open), each
    attempt's download shows the key exactly when its review page does."""
    set_quiz(review=review, attempts=3, closes_at=(utcnow() + timedelta(days=1)).isoformat())
    first = take_quiz(student)
    lifecycle.discard_attempt(first, quiz, reason="x", actor=instructor)
    take_quiz(db.session.get(User, student.id))
    third = take_quiz(db.session.get(User, student.id))
    login(student)
    states = []
    for step in ("two submitted", "closed", "third reopened"):
        if step == "closed":
            set_quiz(closes_at=(utcnow() - timedelta(minutes=1)).isoformat())
        if step == "third reopened":
            lifecycle.reopen_attempt(third, quiz, reason="x", actor=instructor, minutes=9)
            db.session.commit()
        _response, data = download(client)
        for attempt in data["quiz_attempts"]:
            if attempt["status"] != "submitted":
                continue
            page = client.get(f"/attempts/{attempt_id(student, attempt['number'])}/review")
            shows_key = "Everything has an id." in page.get_data(as_text=True)
            assert attempt["shown"]["correct_answers"] is shows_key, (step, attempt["number"])
            states.append((step, attempt["number"], shows_key))
    # The history reaches every answer the mode can give, or the test proves nothing.
    expected = {"never": {False}, "after_submit": {True}}.get(review, {False, True})
    assert {shown for *_, shown in states} == expected


def attempt_id(user: User, number: int) -> int:
    return db.session.scalar(db.select(QuizAttempt.id).filter_by(user_id=user.id, number=number))
