"""The answer key never reaches the student before the review setting allows it.

Every response a student can fetch during an attempt (overview, each page, summary, autosave
JSON, practice) is read raw, for every review setting, with one question of every type.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import PracticeItem, QuizAttempt

#: Text only the answer key holds: explanations and feedback of the basics quiz.
KEY_TEXT = [
    "Everything has an id.",  # explanation
    "Right, ids are permanent.",  # true/false feedback
    "Close; the full title is Introduction.",  # short-answer feedback
]
#: Words that would show the key's structure.
KEY_WORDS = re.compile(r"\b(correct|weight|feedback|explanation|accepted|is-correct)\b", re.I)
REVIEW_MODES = ["immediately", "after_submit", "after_last_attempt", "after_close", "never"]
START = "/courses/basics/quizzes/basics-quiz/attempts"


def assert_no_key(body: str, where: str) -> None:
    for text in KEY_TEXT:
        assert text not in body, f"{text!r} leaked in {where}"
    visible = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S)
    match = KEY_WORDS.search(visible)
    assert match is None, (
        f"{match.group(0)!r} in {where}: …{visible[max(0, match.start() - 80) : match.end() + 80]}…"
    )


def assert_no_key_in_download(client) -> None:
    """The data download holds no key text, no correct flags and no per-question grade."""
    response = client.get("/account/data")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for text in KEY_TEXT:
        assert text not in body, f"{text!r} leaked in the data download"
    key_fields = {"score", "status", "feedback", "explanation_html", "accepted", "correct_order"}
    key_fields |= {"correct_answer", "correct", "right"}
    for attempt in response.get_json()["quiz_attempts"]:
        assert not attempt["shown"]["correct_answers"], attempt["number"]
        for question in attempt["questions"]:
            parts = [question, *question.get("choices", []), *question.get("prompts", [])]
            parts += question.get("answer", []) if isinstance(question.get("answer"), list) else []
            for part in parts:
                assert not key_fields & set(part), (attempt["number"], part)


def start(client) -> int:
    return int(client.post(START).headers["Location"].rsplit("/", 1)[1])


@pytest.mark.parametrize("review", REVIEW_MODES)
def test_nothing_leaks_during_an_attempt(client, set_quiz, login, student, attempt_form, review):
    set_quiz(review=review, per_page=2, attempts=2)
    login(student)
    assert_no_key(
        client.get("/courses/basics/quizzes/basics-quiz").get_data(as_text=True), "overview"
    )
    attempt_id = start(client)
    attempt = db.session.get(QuizAttempt, attempt_id)
    for page in range(1, 5):
        assert_no_key(
            client.get(f"/attempts/{attempt_id}?page={page}").get_data(as_text=True), f"page {page}"
        )
    saved = client.post(
        f"/attempts/{attempt_id}/autosave", data=attempt_form(attempt, {"q-short": "Intro"})
    )
    assert_no_key(saved.get_data(as_text=True), "autosave JSON")
    assert_no_key(client.get(f"/attempts/{attempt_id}/summary").get_data(as_text=True), "summary")
    for path in ("/static/js/app.js",):
        with client.get(path) as asset:
            assert_no_key(asset.get_data(as_text=True).replace("feedback", ""), path)


@pytest.mark.parametrize("review", ["never", "after_close", "after_last_attempt"])
def test_nothing_leaks_after_submit_while_the_setting_hides_answers(
    client, set_quiz, login, student, attempt_form, review
):
    set_quiz(review=review, attempts=2)
    login(student)
    attempt_id = start(client)
    client.post(f"/attempts/{attempt_id}/submit")
    assert_no_key(client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True), "review")
    # Mistakes do not enter practice while their answers are hidden.
    assert db.session.query(PracticeItem).count() == 0
    assert_no_key(client.get("/practice").get_data(as_text=True), "practice")


def test_answers_show_after_the_last_attempt(client, set_quiz, login, student):
    set_quiz(review="after_last_attempt", attempts=2)
    login(student)
    first = start(client)
    client.post(f"/attempts/{first}/submit")
    second = start(client)
    client.post(f"/attempts/{second}/submit")
    body = client.get(f"/attempts/{first}/review").get_data(as_text=True)
    assert "Everything has an id." in body
    db.session.commit()
    assert db.session.query(PracticeItem).count() == 7


def test_immediate_mode_reveals_only_the_checked_question(
    client, set_quiz, login, student, attempt_form
):
    set_quiz(review="immediately")
    login(student)
    attempt_id = start(client)
    attempt = db.session.get(QuizAttempt, attempt_id)
    true_false = next(a for a in attempt.answers if a.position == 2)
    client.post(
        f"/attempts/{attempt_id}",
        data=attempt_form(attempt, {"q-true-false": False}, check=str(true_false.id)),
    )
    body = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Right, ids are permanent." in body  # the checked question's feedback
    assert "Everything has an id." not in body  # another question's explanation
    assert "Close; the full title is Introduction." not in body


def test_options_are_tokens_and_ordering_items_are_not_in_key_order(client, quiz, login, student):
    login(student)
    attempt_id = start(client)
    body = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    values = set(re.findall(r'<input type="(?:radio|checkbox)"[^>]*value="([^"]+)"', body))
    assert values <= {f"o{n}" for n in range(1, 10)} | {"true", "false"}
    plan, write, review = (body.index(word) for word in ("Plan", "Write", "Review</label>"))
    assert not plan < write < review


# --- an attempt in progress keeps every key of its quiz hidden ---------------------------------


def test_an_open_attempt_keeps_the_key_hidden_after_the_last_attempt_starts(
    client, set_quiz, login, student
):
    """The issue's case: 2 attempts, the first submitted, the second open. Starting the last
    attempt is not using it up: the first attempt's review, the data download and practice
    show no key until the second is submitted."""
    set_quiz(review="after_last_attempt", attempts=2)
    login(student)
    first = start(client)
    client.post(f"/attempts/{first}/submit")
    second = start(client)
    assert_no_key(client.get(f"/attempts/{first}/review").get_data(as_text=True), "review")
    assert_no_key_in_download(client)
    assert_no_key(client.get("/practice").get_data(as_text=True), "practice")
    client.post(f"/attempts/{second}/submit")
    assert "Everything has an id." in client.get(f"/attempts/{first}/review").get_data(as_text=True)


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_a_reopened_attempt_hides_every_key_of_the_quiz_until_submitted_again(
    client, set_quiz, login, student, instructor, quiz, practice_form
):

    set_quiz(review="after_last_attempt", attempts=2)
    login(student)
    first = start(client)
    client.post(f"/attempts/{first}/submit")
    second = start(client)
    client.post(f"/attempts/{second}/submit")
    assert "Everything has an id." in client.get(f"/attempts/{first}/review").get_data(as_text=True)
    items = [item.id for item in db.session.scalars(db.select(PracticeItem))]
    assert items  # the mistakes went into practice with their key
    assert "Check my answers" in client.get("/practice").get_data(as_text=True)

    lifecycle.reopen_attempt(
        db.session.get(QuizAttempt, second), quiz, reason="Browser crashed", actor=instructor
    )
    db.session.commit()
    assert_no_key(client.get(f"/attempts/{first}/review").get_data(as_text=True), "review")
    assert_no_key_in_download(client)
    practice = client.get("/practice").get_data(as_text=True)
    assert "Check my answers" not in practice
    assert_no_key(practice, "practice")
    # Posting the practice form anyway grades nothing and shows no review.
    answered = client.post("/practice", data=practice_form(items)).get_data(as_text=True)
    assert "Your practice results" not in answered
    assert_no_key(answered, "practice answers")

    client.post(f"/attempts/{second}/submit")
    assert "Everything has an id." in client.get(f"/attempts/{first}/review").get_data(as_text=True)
    assert "Check my answers" in client.get("/practice").get_data(as_text=True)


def test_an_attempt_reopened_after_the_close_date_hides_the_key_until_submitted(
    client, set_quiz, login, student, instructor, quiz
):
    from learnapp.database import utcnow

    set_quiz(review="after_close", attempts=2)
    login(student)
    first = start(client)
    client.post(f"/attempts/{first}/submit")
    second = start(client)
    client.post(f"/attempts/{second}/submit")
    set_quiz(closes_at=(utcnow() - timedelta(hours=1)).isoformat())
    assert "Everything has an id." in client.get(f"/attempts/{first}/review").get_data(as_text=True)
    lifecycle.reopen_attempt(
        db.session.get(QuizAttempt, second), quiz, reason="Power cut", actor=instructor, minutes=15
    )
    db.session.commit()
    assert_no_key(client.get(f"/attempts/{first}/review").get_data(as_text=True), "review")
    assert_no_key_in_download(client)
