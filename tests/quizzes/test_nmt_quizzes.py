"""The shipped NMT course's quizzes work end to end through the attempt pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from learnapp.catalog.models import Question, Quiz
from learnapp.extensions import db
from learnapp.quizzes.models import QuizAttempt

COURSES = Path(__file__).resolve().parents[2] / "courses"
NMT_QUIZZES = [
    "nmt-m1-quiz",
    "nmt-m2-quiz",
    "nmt-m3-quiz",
    "nmt-m4-quiz",
    "nmt-m5-quiz",
    "nmt-final-exam",
]


@pytest.fixture
def nmt(app, sync):
    app.config["COURSES_DIR"] = str(COURSES)
    report = sync()
    assert report.ok, report.problems


@pytest.mark.parametrize("quiz_slug", NMT_QUIZZES)
def test_nmt_quiz_scores_full_marks_with_correct_answers(
    nmt, client, login, student, attempt_form, quiz_slug
):
    login(student)
    response = client.post(f"/courses/nmt/quizzes/{quiz_slug}/attempts")
    assert response.status_code == 302
    db.session.commit()
    attempt = db.session.get(QuizAttempt, int(response.headers["Location"].rsplit("/", 1)[1]))
    slugs = [db.session.get(Question, a.question_id).slug for a in attempt.answers]
    pages = client.get(f"/attempts/{attempt.id}")
    assert pages.status_code == 200
    client.post(
        f"/attempts/{attempt.id}", data=attempt_form(attempt, dict.fromkeys(slugs, "correct"))
    )
    client.post(f"/attempts/{attempt.id}/submit")
    db.session.commit()
    graded = db.session.get(QuizAttempt, attempt.id)
    assert graded.percent == Decimal(100), [
        (a.question_id, a.points, a.max_points) for a in graded.answers
    ]
    review = client.get(f"/attempts/{attempt.id}/review")
    assert review.status_code == 200


def test_final_exam_has_exam_settings(nmt):
    exam = db.session.scalar(db.select(Quiz).filter_by(slug="nmt-final-exam"))
    assert exam.settings["time_limit"] == 30
    assert exam.settings["attempts"] == 2
    assert exam.settings["review"] == "after_last_attempt"


def test_final_exam_review_hides_answers_until_the_last_attempt(nmt, client, login, student):
    login(student)
    for number in (1, 2):
        location = client.post("/courses/nmt/quizzes/nmt-final-exam/attempts").headers["Location"]
        attempt_id = location.rsplit("/", 1)[1]
        client.post(f"/attempts/{attempt_id}/submit")
        body = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
        assert ("Accepted answers:" in body) is (number == 2)
    assert (
        b"You have used every attempt"
        in client.post("/courses/nmt/quizzes/nmt-final-exam/attempts", follow_redirects=True).data
    )
