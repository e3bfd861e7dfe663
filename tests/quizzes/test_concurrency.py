"""Invariants under 20 parallel HTTP requests, held by the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from learnapp.quizzes.models import QuizAttempt

PARALLEL = 20


@pytest.fixture
def server(app) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def session_cookie(client) -> str:
    return f"session={client.get_cookie('session').value}"


def fire(db, url: str, cookie: str, times: int = PARALLEL) -> list[int]:
    """POST ``url`` from ``times`` threads released at the same moment; their statuses.

    The test's own transaction ends first: a lazy attribute load would otherwise hold SQLite's
    write lock in this thread while the server threads wait for it.
    """
    db.session.commit()
    barrier = threading.Barrier(times)
    statuses: list[int] = []

    def one() -> None:
        request = urllib.request.Request(  # noqa: S310 - the test server on 127.0.0.1
            url, data=b"", method="POST", headers={"Cookie": cookie}
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@pytest.fixture(autouse=True)
def _no_redirects() -> Iterator[None]:
    opener = urllib.request.build_opener(NoRedirect)
    urllib.request.install_opener(opener)
    yield
    urllib.request.install_opener(urllib.request.build_opener())


def attempts(db) -> list[QuizAttempt]:
    db.session.commit()
    return list(db.session.scalars(select(QuizAttempt)))


@pytest.mark.conc
def test_twenty_parallel_starts_respect_the_attempt_limit(
    server, set_quiz, client, login, student, db
):
    set_quiz(attempts=1)
    login(student)
    statuses = fire(
        db, f"{server}/courses/basics/quizzes/basics-quiz/attempts", session_cookie(client)
    )
    assert len(statuses) == PARALLEL
    assert set(statuses) <= {302}, statuses  # every tab lands on the same attempt; no 5xx
    assert len(attempts(db)) == 1


@pytest.mark.conc
def test_twenty_parallel_submits_grade_once(server, quiz, client, login, student, db):
    from learnapp.quizzes import services

    login(student)
    attempt = services.start_attempt(student, quiz)
    db.session.commit()
    statuses = fire(db, f"{server}/attempts/{attempt.id}/submit", session_cookie(client))
    assert set(statuses) == {302}, statuses
    (graded,) = attempts(db)
    assert graded.is_submitted
    assert graded.score is not None
    stamps = db.session.scalar(
        select(func.count(func.distinct(QuizAttempt.submitted_at))).where(
            QuizAttempt.id == attempt.id
        )
    )
    assert stamps == 1


@pytest.mark.conc
def test_parallel_starts_after_a_submitted_attempt_make_one_new_attempt(
    server, set_quiz, client, login, student, db
):
    from learnapp.quizzes import services

    quiz = set_quiz(attempts=3)
    first = services.start_attempt(student, quiz)
    services.submit_attempt(first)
    db.session.commit()
    login(student)
    statuses = fire(
        db, f"{server}/courses/basics/quizzes/basics-quiz/attempts", session_cookie(client)
    )
    assert set(statuses) <= {302}, statuses
    numbers = sorted(a.number for a in attempts(db))
    assert numbers == [1, 2]
