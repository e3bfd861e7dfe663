"""The attempt lifecycle: every way an attempt closes runs the one completion step, once.

A student who finished every lesson and saved a passing exam whose time ran out has the
certificate as soon as the attempt is closed, whichever path closes it, and exactly one
certificate when the paths race (threads here on the test database, SQLite file or PostgreSQL;
processes in :func:`test_hosts_closing_while_the_student_opens_the_page_issue_one_certificate`).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from learnapp.catalog.models import Course, Lesson, Module
from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.jobs import tasks
from learnapp.progress import services as progress
from learnapp.quizzes import lifecycle, services
from learnapp.quizzes.models import PracticeItem, QuizAttempt
from learnapp.quizzes.questions import best_answer
from tests.jobs.test_close_overdue import HOST

ROOT = Path(__file__).resolve().parents[2]


def certificates(db, user_id: int) -> int:
    db.session.commit()
    return db.session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.user_id == user_id)
    )


@pytest.fixture
def finished(db, quiz) -> Callable[..., QuizAttempt]:
    """``finished(user, passing=True, overdue=True)``: every lesson done and an attempt at the
    exam with every answer saved (right or left empty), its deadline a minute past."""

    def make(user, *, passing: bool = True, overdue: bool = True) -> QuizAttempt:
        course = db.session.get(Course, quiz.course_id)
        progress.enroll(user, course)
        for lesson in db.session.scalars(
            select(Lesson).join(Lesson.module).order_by(Module.position, Lesson.position)
        ):
            progress.complete_lesson(user, course, lesson)
        attempt = lifecycle.start_attempt(user, quiz)
        if passing:
            for answer in attempt.answers:
                spec = services.question_spec(answer.question_id, answer.question_hash)
                answer.response = best_answer(spec)
        db.session.flush()
        if overdue:
            db.session.execute(
                update(QuizAttempt)
                .where(QuizAttempt.id == attempt.id)
                .values(deadline_at=utcnow() - timedelta(minutes=1))
            )
        db.session.commit()
        db.session.refresh(attempt)
        return attempt

    return make


# --- each closing path -----------------------------------------------------------------------


def _form(attempt: QuizAttempt) -> dict[str, str]:
    return {
        "attempt_token": services.attempt_token(attempt),
        "sequence": str(attempt.sequence),
        "page": "1",
    }


def _close_by_command(runner, client, attempt):
    result = runner.invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0, result.output


def _close_by_job(runner, client, attempt):
    assert tasks.close_overdue.delay().get() == 1  # eager: no broker configured


def _close_by_job_with_the_queue_down(runner, client, attempt):
    """The follow-up job cannot be queued (Redis down): the closing has completed already."""

    def broker_down(*_args, **_kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    real = tasks.attempt_closed.delay
    tasks.attempt_closed.delay = broker_down
    try:
        with pytest.raises(ConnectionError):
            tasks.close_overdue.delay().get(propagate=True)
    finally:
        tasks.attempt_closed.delay = real


def _close_by_opening(page):
    def close(runner, client, attempt):
        response = client.get(f"/attempts/{attempt.id}{page}")
        assert response.status_code in (200, 302)

    return close


def _close_by_saving(runner, client, attempt):
    response = client.post(f"/attempts/{attempt.id}/autosave", data=_form(attempt))
    assert response.status_code == 409
    assert response.json["closed"] is True


def _close_by_saving_the_page(runner, client, attempt):
    response = client.post(f"/attempts/{attempt.id}", data=_form(attempt) | {"action": "save"})
    assert response.headers["Location"] == f"/attempts/{attempt.id}/review"


def _close_by_submitting(runner, client, attempt):
    response = client.post(f"/attempts/{attempt.id}/submit")
    assert response.headers["Location"] == f"/attempts/{attempt.id}/review"


CLOSING_PATHS = {
    "command": _close_by_command,
    "job": _close_by_job,
    "job, queue down": _close_by_job_with_the_queue_down,
    "opening the attempt": _close_by_opening(""),
    "opening its summary": _close_by_opening("/summary"),
    "opening its review": _close_by_opening("/review"),
    "next autosave": _close_by_saving,
    "next save": _close_by_saving_the_page,
    "submit after the deadline": _close_by_submitting,
}


@pytest.mark.parametrize("path", CLOSING_PATHS, ids=list(CLOSING_PATHS))
def test_a_passing_exam_closed_at_time_out_earns_the_certificate_at_once(
    path, db, client, runner, login, student, finished
):
    attempt = finished(student)
    login(student)
    CLOSING_PATHS[path](runner, client, attempt)
    assert certificates(db, student.id) == 1
    closed = db.session.get(QuizAttempt, attempt.id)
    assert closed.is_submitted
    assert closed.was_closed_by_deadline
    assert closed.submitted_at == closed.deadline_at
    assert closed.percent == 100


def test_a_failing_exam_closed_at_time_out_earns_nothing_but_practice(
    db, client, login, student, finished
):
    attempt = finished(student, passing=False)
    login(student)
    client.get(f"/attempts/{attempt.id}")
    assert certificates(db, student.id) == 0
    assert db.session.get(QuizAttempt, attempt.id).is_submitted
    # The review shows the key after submit (the quiz's default), so every miss is practised.
    practised = db.session.scalar(select(func.count()).select_from(PracticeItem))
    assert practised == len(attempt.answers)


# --- races -----------------------------------------------------------------------------------


def _request(base: str, path: str, data: dict[str, str] | None, cookie: str) -> int:
    body = None if data is None else urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(  # noqa: S310 - the test server on 127.0.0.1
        base + path, data=body, method="GET" if data is None else "POST"
    )
    request.add_header("Cookie", cookie)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _race(app, db, threaded_server, client, attempt) -> list[int]:
    """Every closing path at once: 18 requests and the closing job, from 19 threads."""
    db_form = _form(attempt)
    cookie = f"session={client.get_cookie('session').value}"
    path = f"/attempts/{attempt.id}"
    # End the test's transaction: a lazy load here would hold SQLite's write lock meanwhile.
    db.session.commit()
    requests = [
        (path, None),
        (f"{path}/summary", None),
        (f"{path}/review", None),
        (f"{path}/autosave", db_form),
        (path, db_form | {"action": "save"}),
        (f"{path}/submit", {}),
    ] * 3
    statuses: list[int] = []
    barrier = threading.Barrier(len(requests) + 1)

    def send(target: str, data: dict[str, str] | None) -> None:
        barrier.wait()
        statuses.append(_request(threaded_server, target, data, cookie))

    def job() -> None:
        with app.app_context():
            barrier.wait()
            tasks.close_overdue.delay().get()

    threads = [threading.Thread(target=send, args=r) for r in requests]
    threads.append(threading.Thread(target=job))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.conc
def test_every_closing_path_at_once_issues_one_certificate(
    app, db, client, login, student, finished, threaded_server
):
    attempt = finished(student)
    login(student)
    statuses = _race(app, db, threaded_server, client, attempt)
    assert len(statuses) == 18
    assert all(status < 500 for status in statuses), statuses
    assert certificates(db, student.id) == 1
    closed = db.session.get(QuizAttempt, attempt.id)
    assert closed.is_submitted
    assert closed.percent == 100
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


@pytest.mark.conc
def test_hosts_closing_while_the_student_opens_the_page_issue_one_certificate(
    database_url, tmp_path, db, client, login, make_user, finished, threaded_server
):
    """Two processes run the closing job while 12 threads open and save the attempts."""
    students = [make_user(email=f"racer{n}@example.com") for n in range(4)]
    attempt_ids = [finished(user).id for user in students]
    go = tmp_path / "go"
    procs, ready = [], []
    for number in range(2):
        ready.append(tmp_path / f"ready-{number}")
        env = os.environ | {
            "URL": database_url,
            "INSTANCE": str(tmp_path / f"instance-{number}"),
            "READY": str(ready[-1]),
            "GO": str(go),
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", HOST],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    cookies = []
    for user in students:
        login(user)
        cookies.append(f"session={client.get_cookie('session').value}")
    db.session.commit()
    deadline = time.monotonic() + 120
    while not all(path.exists() for path in ready):
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "hosts did not start"
        time.sleep(0.01)
    statuses: list[int] = []

    def open_page(attempt_id: int, cookie: str, suffix: str) -> None:
        while not go.exists():
            time.sleep(0.001)
        statuses.append(_request(threaded_server, f"/attempts/{attempt_id}{suffix}", None, cookie))

    threads = [
        threading.Thread(target=open_page, args=(attempt_id, cookie, suffix))
        for attempt_id, cookie in zip(attempt_ids, cookies, strict=True)
        for suffix in ("", "/review", "/summary")
    ]
    for thread in threads:
        thread.start()
    go.touch()
    for thread in threads:
        thread.join(timeout=120)
    closed_by_hosts = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        closed_by_hosts += json.loads(out.strip().splitlines()[-1])
    assert all(status < 500 for status in statuses), statuses
    assert len(closed_by_hosts) == len(set(closed_by_hosts))
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == len(students)
    assert db.session.scalar(select(func.count(func.distinct(Certificate.user_id)))) == len(
        students
    )


# --- the page's own short write transaction --------------------------------------------------


def test_opening_an_overdue_attempt_closes_it_in_a_write_transaction_of_its_own(
    db, client, login, student, finished, sql_statements
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN modes are SQLite's")
    attempt_id = finished(student).id
    login(student)
    with sql_statements() as seen:
        response = client.get(f"/attempts/{attempt_id}")
    assert response.headers["Location"] == f"/attempts/{attempt_id}/review"
    verbs = [statement.split()[0].upper() for statement in seen]
    begins = [s.upper() for s in seen if s.upper().startswith("BEGIN")]
    assert begins[:2] == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"], begins
    writes = [i for i, verb in enumerate(verbs) if verb in {"UPDATE", "INSERT", "DELETE"}]
    assert writes
    assert min(writes) > [s.upper() for s in seen].index("BEGIN IMMEDIATE")
    assert certificates(db, student.id) == 1


def test_a_page_whose_attempt_is_in_time_writes_nothing(
    db, client, login, student, finished, sql_statements
):
    attempt_id = finished(student, overdue=False).id
    login(student)
    with sql_statements() as seen:
        assert client.get(f"/attempts/{attempt_id}").status_code == 200
    assert not [s for s in seen if s.split()[0].upper() in {"UPDATE", "INSERT", "DELETE"}]
    assert db.session.get(QuizAttempt, attempt_id).is_open


# --- the lifecycle's rules -------------------------------------------------------------------


def test_submit_grades_and_completes_once(db, student, finished):
    attempt = finished(student, overdue=False)
    certificate = lifecycle.submit_attempt(attempt)
    assert certificate is not None
    assert certificate.user_id == student.id
    points = [answer.points for answer in attempt.answers]
    assert lifecycle.submit_attempt(attempt) is None  # repeated: nothing graded, nothing issued
    assert [answer.points for answer in attempt.answers] == points
    assert certificates(db, student.id) == 1


def test_close_if_overdue_leaves_an_attempt_in_time_alone(db, student, finished):
    attempt = finished(student, overdue=False)
    assert lifecycle.close_if_overdue(attempt) is False
    assert attempt.is_open
    assert attempt.score is None
    assert certificates(db, student.id) == 0


def test_a_save_after_the_deadline_closes_with_what_was_saved_before(db, student, finished):
    attempt = finished(student)
    first = attempt.answers[0]
    with pytest.raises(lifecycle.AttemptClosed):
        lifecycle.save_answers(attempt, {first.id: None}, attempt.sequence)
    db.session.commit()
    assert first.response is not None  # the late answer was not stored
    assert attempt.percent == 100
    assert certificates(db, student.id) == 1


def test_completion_needs_the_whole_course(db, student, finished, quiz):
    attempt = finished(student, overdue=False)
    course = db.session.get(Course, quiz.course_id)
    assert lifecycle.complete(student, course) is None  # the exam is not graded yet
    assert lifecycle.submit_attempt(attempt) is not None
    assert lifecycle.complete(student, course) is None  # issued once already


def test_a_manual_pass_completes_the_course(db, student, finished, quiz, admin):
    attempt = finished(student, passing=False, overdue=False)
    assert lifecycle.submit_attempt(attempt) is None
    issued = lifecycle.set_manual_score(student, quiz, Decimal(95), reason="oral", actor=admin)
    assert issued is not None
    assert lifecycle.clear_manual_score(student, quiz, reason="oops", actor=admin) is True
    assert certificates(db, student.id) == 1  # clearing changes no certificate


def test_a_regrade_that_passes_a_student_completes_the_course(db, student, finished, quiz):
    attempt = finished(student, overdue=False)
    lifecycle.submit_attempt(attempt)
    db.session.execute(delete(Certificate))
    for answer in attempt.answers:
        answer.points = Decimal(0)
    attempt.score = attempt.percent = Decimal(0)
    db.session.commit()
    changed = lifecycle.regrade_quiz(quiz)
    assert [(a.id, new) for a, _old, new in changed] == [(attempt.id, attempt.max_score)]
    assert certificates(db, student.id) == 1


def test_reopen_then_discard(db, student, finished, quiz, admin):
    attempt = finished(student, overdue=False)
    lifecycle.submit_attempt(attempt)
    lifecycle.reopen_attempt(attempt, quiz, reason="network", actor=admin, minutes=5)
    assert attempt.is_open
    assert attempt.percent is None
    with pytest.raises(lifecycle.ActionRefused):
        lifecycle.reopen_attempt(attempt, quiz, reason="again", actor=admin, minutes=5)
    lifecycle.discard_attempt(attempt, quiz, reason="cheating", actor=admin)
    assert attempt.is_discarded
    assert lifecycle.close_if_overdue(attempt, utcnow() + timedelta(days=1)) is False


def test_certificates_are_issued_only_by_the_completion_step():
    """``issue_if_complete`` is called from the lifecycle's completion step and nowhere else
    (the manual award has its own function): a sixth route cannot forget the certificate."""
    callers = []
    for path in (ROOT / "learnapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "issue_if_complete":
                callers.append(path.relative_to(ROOT).as_posix())
    assert callers == ["learnapp/quizzes/lifecycle.py"]


# --- spaced practice after grading -----------------------------------------------------------


def test_missed_questions_enter_practice_in_constant_statements(
    db, student, finished, sql_statements, monkeypatch
):
    """The submit wave of an exam: scheduling reads and writes in batches, whatever the number
    of missed questions; one already practised goes back to box 1; a row a parallel request
    inserted first is skipped, the others still go in."""
    attempt = finished(student, passing=False, overdue=False)
    answers = list(attempt.answers)
    old = utcnow() - timedelta(days=30)
    db.session.add(
        PracticeItem(user_id=student.id, question_id=answers[0].question_id, box=4, due_at=old)
    )
    db.session.commit()
    now = utcnow()
    for answer in answers:
        db.session.refresh(answer)  # loaded, as the grading step has them
        answer.points = Decimal(0)
    db.session.flush()
    user_id = student.id
    with sql_statements() as seen:
        lifecycle._schedule_practice(user_id, answers, now)
        db.session.flush()
    work = [s for s in seen if s.split(" ", 1)[0] in {"SELECT", "INSERT", "UPDATE"}]
    assert len(work) <= 3, work
    db.session.commit()
    items = {i.question_id: i for i in db.session.scalars(select(PracticeItem))}
    assert set(items) == {a.question_id for a in answers}
    assert items[answers[0].question_id].box == 1

    # A parallel request inserted one of them between the read and the insert.
    db.session.execute(
        delete(PracticeItem).where(PracticeItem.question_id != answers[0].question_id)
    )
    db.session.commit()
    real_scalars = db.session.scalars

    def stale_read(statement, *args, **kwargs):  # the read sees nothing scheduled yet
        result = real_scalars(statement, *args, **kwargs)
        if getattr(statement, "column_descriptions", [{}])[0].get("entity") is PracticeItem:
            result.all()
            return real_scalars(select(PracticeItem).where(PracticeItem.id < 0))
        return result

    monkeypatch.setattr(db.session, "scalars", stale_read)
    lifecycle._schedule_practice(user_id, answers, now)
    monkeypatch.undo()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PracticeItem)) == len(answers)
