"""Each quiz setting, as students meet it."""

from __future__ import annotations

import re
from decimal import Decimal

from learnapp.catalog.models import Question
from learnapp.extensions import db
from learnapp.quizzes import lifecycle, services
from learnapp.quizzes.models import PracticeItem, QuizAttempt

START = "/courses/basics/quizzes/basics-quiz/attempts"


def start(client) -> QuizAttempt:
    attempt_id = int(client.post(START).headers["Location"].rsplit("/", 1)[1])
    db.session.commit()
    return db.session.get(QuizAttempt, attempt_id)


def slugs(attempt: QuizAttempt) -> list[str]:
    return [db.session.get(Question, a.question_id).slug for a in attempt.answers]


def test_questions_per_page(client, set_quiz, login, student):
    set_quiz(per_page=3)
    login(student)
    attempt = start(client)
    first = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "Page 1 of 3" in first
    assert first.count('<fieldset class="question"') == 3
    last = client.get(f"/attempts/{attempt.id}?page=3").get_data(as_text=True)
    assert last.count('<fieldset class="question"') == 1
    assert "Finish attempt" in last
    assert "Next page" not in last


def test_next_saves_and_moves_on_without_javascript(client, set_quiz, login, student, attempt_form):
    set_quiz(per_page=3)
    login(student)
    attempt = start(client)
    response = client.post(
        f"/attempts/{attempt.id}",
        data=attempt_form(attempt, {"q-single": "correct"}, action="next"),
    )
    assert response.headers["Location"] == f"/attempts/{attempt.id}?page=2"


def test_file_order_unless_questions_are_shuffled(client, set_quiz, login, student):
    login(student)
    assert slugs(start(client))[0] == "q-single"
    set_quiz(shuffle_questions=True)
    orders = set()
    for _ in range(6):
        attempt = start(client)
        orders.add(tuple(slugs(attempt)))
        lifecycle.submit_attempt(attempt)
        db.session.commit()
        set_quiz(attempts=None)
    assert len(orders) > 1


def test_draw_n_questions_from_the_pool(client, set_quiz, login, student):
    set_quiz(draw=3)
    login(student)
    attempt = start(client)
    assert len(attempt.answers) == 3
    assert len(set(slugs(attempt))) == 3
    assert attempt.max_score == sum(a.max_points for a in attempt.answers)


def test_grading_method_picks_the_score_kept(
    client, set_quiz, login, student, attempt_form, all_correct
):
    quiz = set_quiz(attempts=None, grading="latest")
    login(student)
    good = start(client)
    client.post(f"/attempts/{good.id}", data=attempt_form(good, all_correct))
    client.post(f"/attempts/{good.id}/submit")
    bad = start(client)
    client.post(f"/attempts/{bad.id}/submit")
    db.session.commit()
    assert services.result_for(student, quiz).best == Decimal(0)
    set_quiz(grading="highest")
    assert services.result_for(student, quiz).best == Decimal(100)
    set_quiz(grading="first")
    assert services.result_for(student, quiz).best == Decimal(100)
    body = client.get("/courses/basics/quizzes/basics-quiz").get_data(as_text=True)
    assert "Score kept: <strong>100%</strong>" in body


def test_practice_round_moves_questions_between_boxes(client, quiz, login, student, practice_form):
    login(student)
    attempt = start(client)
    client.post(f"/attempts/{attempt.id}/submit")  # nothing answered: all 7 enter practice
    assert db.session.query(PracticeItem).count() == 7
    page = client.get("/practice").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'name="practice_item" value="(\d+)"', page)]
    assert len(shown) == 5  # a batch at a time
    result = client.post("/practice", data=practice_form(shown)).get_data(as_text=True)
    assert result.count("grade-right") == 5
    db.session.commit()
    moved = [db.session.get(PracticeItem, i) for i in shown]
    assert {item.box for item in moved} == {2}
    assert all((item.due_at - item.reviewed_at).days == 1 for item in moved)
    remaining = re.findall(r'name="practice_item" value="(\d+)"', result)
    assert len(remaining) == 2  # the two not yet practised are still due


def test_grant_command_gives_extra_time_and_attempts(runner, set_quiz, student, client, login):
    set_quiz(attempts=1)
    result = runner.invoke(
        args=[
            "quizzes",
            "grant",
            "basics-quiz",
            "--course",
            "basics",
            "--email",
            student.email,
            "--extra-minutes",
            "10",
            "--extra-attempts",
            "1",
            "--reason",
            "Documented need",
        ]
    )
    assert result.exit_code == 0, result.output
    login(student)
    first = start(client)
    assert (first.deadline_at - first.started_at).total_seconds() == 30 * 60
    client.post(f"/attempts/{first.id}/submit")
    assert start(client).number == 2


def test_close_date_caps_the_deadline_and_closes_the_quiz(client, set_quiz, login, student):
    from datetime import timedelta

    import time_machine

    from learnapp.database import utcnow

    closes = utcnow() + timedelta(minutes=5)
    set_quiz(closes_at=closes.isoformat())  # before the 20-minute limit would end
    login(student)
    attempt = start(client)
    assert attempt.deadline_at == closes
    client.post(f"/attempts/{attempt.id}/submit")
    with time_machine.travel(closes + timedelta(seconds=1), tick=False):
        assert (
            b"This quiz is not open now." in client.get("/courses/basics/quizzes/basics-quiz").data
        )
        assert b"not open now" in client.post(START, follow_redirects=True).data
