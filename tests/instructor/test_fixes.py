"""Fixing things for one student: extra time and attempts, reopening and discarding attempts,
manual scores. Each needs a reason and leaves an audit event; the invariants hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from learnapp.audit.models import AuditEvent
from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.instructor import services
from learnapp.progress import services as progress
from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import DISCARDED, OPEN, SUBMITTED, QuizAttempt, ScoreOverride


@pytest.fixture
def student(people, enroll, basics_course):
    enroll(people["student"], basics_course)
    return people["student"]


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).filter_by(action=action)))


def student_url(student, suffix: str = "") -> str:
    return f"/instruct/courses/basics/students/{student.id}{suffix}"


def used_up(student, quiz) -> list[QuizAttempt]:
    """The quiz allows 3 attempts: take them all."""
    made = []
    for _ in range(3):
        attempt = lifecycle.start_attempt(student, quiz)
        lifecycle.submit_attempt(attempt)
        made.append(attempt)
    db.session.commit()
    return made


# --- extra attempts and time ------------------------------------------------------------------


def test_extra_attempt_lets_the_student_start_again(client, login, instructor, student, quiz):
    used_up(student, quiz)
    with pytest.raises(lifecycle.AttemptLimitReached):
        lifecycle.start_attempt(student, quiz)
    db.session.rollback()
    login(instructor)
    response = client.post(
        student_url(student, "/quizzes/basics-quiz/allowance"),
        data={
            "allow-basics-quiz-extra_minutes": "0",
            "allow-basics-quiz-extra_attempts": "1",
            "allow-basics-quiz-reason": "Power cut during attempt 3",
        },
    )
    assert response.status_code == 302
    assert lifecycle.start_attempt(student, quiz).number == 4
    (event,) = events("quiz.override_granted")
    assert event.actor_id == instructor.id
    assert event.details["reason"] == "Power cut during attempt 3"
    assert event.details["user_id"] == student.id


def test_extra_time_lengthens_an_attempt_in_progress(instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    before = attempt.deadline_at
    assert before == attempt.started_at + timedelta(minutes=20)
    services.grant_allowance(
        student, quiz, extra_minutes=30, extra_attempts=0, reason="Accessibility", actor=instructor
    )
    assert attempt.deadline_at == before + timedelta(minutes=30)
    # A smaller grant later never shortens the running attempt.
    services.grant_allowance(
        student, quiz, extra_minutes=5, extra_attempts=0, reason="Correction", actor=instructor
    )
    assert attempt.deadline_at == before + timedelta(minutes=30)
    assert len(events("attempt.deadline_extended")) == 1


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        (
            "/quizzes/basics-quiz/allowance",
            {"allow-basics-quiz-extra_minutes": "10", "allow-basics-quiz-extra_attempts": "1"},
        ),
        ("/quizzes/basics-quiz/score", {"score-basics-quiz-percent": "80"}),
    ],
)
def test_a_reason_is_required(client, login, instructor, student, suffix, data):
    login(instructor)
    response = client.post(student_url(student, suffix), data=data)
    assert response.status_code == 400
    assert "Give a reason." in response.get_data(as_text=True)
    assert not events("quiz.override_granted")
    assert not events("quiz.score_set")
    assert not db.session.scalars(db.select(ScoreOverride)).all()


@pytest.mark.parametrize("percent", ["101", "-1", "abc"])
def test_a_score_outside_0_to_100_is_refused(client, login, instructor, student, percent):
    login(instructor)
    response = client.post(
        student_url(student, "/quizzes/basics-quiz/score"),
        data={"score-basics-quiz-percent": percent, "score-basics-quiz-reason": "x"},
    )
    assert response.status_code == 400
    assert not db.session.scalars(db.select(ScoreOverride)).all()


# --- reopening -----------------------------------------------------------------------------------


def test_reopen_opens_a_submitted_attempt_again_and_it_is_graded_once(instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(attempt)
    assert attempt.percent == Decimal("0.00")
    lifecycle.reopen_attempt(attempt, quiz, reason="Browser crashed", actor=instructor)
    assert attempt.status == OPEN
    assert attempt.score is None
    assert attempt.percent is None
    assert attempt.submitted_at is None
    assert attempt.deadline_at > utcnow() + timedelta(minutes=19)
    assert quizzes.attempts_used(student.id, quiz.id) == 1  # no attempt used
    # The student carries on in the same attempt and submits; it is graded, once.
    assert lifecycle.start_attempt(student, quiz).id == attempt.id
    lifecycle.submit_attempt(attempt)
    first_grade = attempt.submitted_at
    lifecycle.submit_attempt(attempt)
    assert attempt.status == SUBMITTED
    assert attempt.submitted_at == first_grade
    (event,) = events("attempt.reopened")
    assert event.details["old_percent"] == "0.00"
    assert event.details["reason"] == "Browser crashed"


def test_reopen_is_refused_while_another_attempt_is_open(instructor, student, quiz):
    first = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(first)
    lifecycle.start_attempt(student, quiz)  # attempt 2, open
    with pytest.raises(lifecycle.ActionRefused, match="another attempt open"):
        lifecycle.reopen_attempt(first, quiz, reason="x", actor=instructor)
    db.session.refresh(first)
    assert first.status == SUBMITTED
    assert first.percent is not None


def test_only_submitted_attempts_can_be_reopened(instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    with pytest.raises(lifecycle.ActionRefused, match="Only a submitted"):
        lifecycle.reopen_attempt(attempt, quiz, reason="x", actor=instructor)


def test_reopen_after_the_quiz_closed_needs_minutes(instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(attempt)
    quiz.settings = {**quiz.settings, "closes_at": (utcnow() - timedelta(days=1)).isoformat()}
    with pytest.raises(lifecycle.ActionRefused, match="minutes"):
        lifecycle.reopen_attempt(attempt, quiz, reason="x", actor=instructor)
    lifecycle.reopen_attempt(attempt, quiz, reason="x", actor=instructor, minutes=15)
    assert attempt.is_open
    assert abs(attempt.deadline_at - (utcnow() + timedelta(minutes=15))) < timedelta(seconds=5)


def test_reopen_through_the_page(client, login, instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(attempt)
    login(instructor)
    response = client.post(
        f"/instruct/courses/basics/attempts/{attempt.id}/reopen",
        data={"reopen-basics-quiz-1-reason": "Lost connection", "reopen-basics-quiz-1-minutes": ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "is open again" in response.get_data(as_text=True)
    db.session.refresh(attempt)
    assert attempt.is_open


# --- discarding -----------------------------------------------------------------------------------


def test_discard_gives_the_attempt_back_and_stops_it_counting(instructor, student, quiz, lesson):
    attempts = used_up(student, quiz)
    for slug in ("basics-intro", "basics-second", "basics-third"):
        progress.complete_lesson(student, quiz.module.course, lesson(slug))
    best = attempts[1]
    best.percent = Decimal(90)  # the one that passes
    db.session.commit()
    assert progress.course_progress(student, quiz.module.course).is_complete
    lifecycle.discard_attempt(best, quiz, reason="Copied answers", actor=instructor)
    state = progress.course_progress(student, quiz.module.course)
    assert state.quiz(quiz.id).best == Decimal("0.00")
    assert not state.is_complete
    assert quizzes.attempts_used(student.id, quiz.id) == 2
    fourth = lifecycle.start_attempt(student, quiz)
    assert fourth.number == 4  # numbers go on past the discarded one
    lifecycle.submit_attempt(fourth)
    with pytest.raises(lifecycle.AttemptLimitReached):  # three counted attempts again
        lifecycle.start_attempt(student, quiz)
    (event,) = events("attempt.discarded")
    assert event.details["percent"] == "90.00"
    assert event.details["previous_status"] == SUBMITTED


def test_a_discarded_open_attempt_frees_the_slot_and_is_never_graded(instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    lifecycle.discard_attempt(attempt, quiz, reason="Started by mistake", actor=instructor)
    lifecycle.submit_attempt(attempt)
    assert attempt.status == DISCARDED
    assert attempt.score is None
    assert lifecycle.start_attempt(student, quiz).number == 2
    with pytest.raises(lifecycle.ActionRefused):
        lifecycle.discard_attempt(attempt, quiz, reason="again", actor=instructor)
    with pytest.raises(lifecycle.ActionRefused):
        lifecycle.reopen_attempt(attempt, quiz, reason="again", actor=instructor)


def test_the_student_no_longer_sees_a_discarded_attempt(client, login, instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(attempt)
    lifecycle.discard_attempt(attempt, quiz, reason="x", actor=instructor)
    db.session.commit()
    login(student)
    response = client.get(f"/attempts/{attempt.id}/review")
    assert response.status_code == 404
    assert "discarded" in response.get_data(as_text=True)
    overview = client.get("/courses/basics/quizzes/basics-quiz").get_data(as_text=True)
    assert f"Review attempt {attempt.number}" not in overview
    result = quizzes.result_for(student, quiz)
    assert (result.used, result.remaining, result.best) == (0, 3, None)


# --- manual scores ---------------------------------------------------------------------------


def test_a_manual_score_counts_for_progress_and_completion(
    client, login, instructor, student, quiz, lesson
):
    for slug in ("basics-intro", "basics-second", "basics-third"):
        progress.complete_lesson(student, quiz.module.course, lesson(slug))
    attempt = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(attempt)  # 0 %
    db.session.commit()
    assert not progress.course_progress(student, quiz.module.course).is_complete
    login(instructor)
    response = client.post(
        student_url(student, "/quizzes/basics-quiz/score"),
        data={"score-basics-quiz-percent": "72.5", "score-basics-quiz-reason": "Oral exam"},
        follow_redirects=True,
    )
    assert "issued a certificate" in response.get_data(as_text=True)
    state = progress.course_progress(student, quiz.module.course)
    item = state.quiz(quiz.id)
    assert (item.best, item.is_overridden, item.is_done) == (Decimal("72.50"), True, True)
    assert state.is_complete
    assert db.session.scalar(db.select(Certificate).filter_by(user_id=student.id)) is not None
    (event,) = events("quiz.score_set")
    assert (event.details["old"], event.details["new"]) == (None, "72.50")
    # A later attempt does not change it.
    lifecycle.submit_attempt(lifecycle.start_attempt(student, quiz))
    db.session.commit()
    assert progress.course_progress(student, quiz.module.course).quiz(quiz.id).best == Decimal(
        "72.50"
    )
    # Removing it brings back the attempts' score.
    response = client.post(
        student_url(student, "/quizzes/basics-quiz/score/clear"),
        data={"clear-basics-quiz-reason": "Entered for the wrong student"},
    )
    assert response.status_code == 302
    item = progress.course_progress(student, quiz.module.course).quiz(quiz.id)
    assert (item.best, item.is_overridden) == (Decimal("0.00"), False)
    assert events("quiz.score_cleared")[0].details["old"] == "72.50"


def test_the_student_page_lists_every_attempt_with_review_links(
    client, login, instructor, student, quiz
):
    first = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(first)
    lifecycle.discard_attempt(first, quiz, reason="x", actor=instructor)
    second = lifecycle.start_attempt(student, quiz)
    db.session.commit()
    login(instructor)
    page = client.get(student_url(student)).get_data(as_text=True)
    assert f"/instruct/courses/basics/attempts/{first.id}" in page
    assert f"/instruct/courses/basics/attempts/{second.id}" in page
    assert "Discarded (does not count)" in page
    assert "In progress" in page
    assert "1 used of 3" in page


def test_staff_review_shows_the_answers_and_the_key(client, login, instructor, student, quiz):
    attempt = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(attempt)
    db.session.commit()
    login(instructor)
    page = client.get(f"/instruct/courses/basics/attempts/{attempt.id}").get_data(as_text=True)
    assert "What does everything have?" in page
    assert "Correct answer" in page
    assert "0% (0 of 8 points)" in page
