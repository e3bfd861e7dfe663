"""A database outage answers 503 with Retry-After, not 500 (RELIABILITY.md check 29).

Found by ``make loadtest FAULTS=1``: while PostgreSQL restarted, pages and autosaves answered
500 without Retry-After (only /healthz said 503).
"""

import pytest
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from learnapp.extensions import db


@pytest.fixture
def database_down(app):
    """Every SQL statement a request runs fails as when the server refuses connections."""
    state = {"down": True}

    def fail(conn, cursor, statement, parameters, context, executemany):
        if state["down"] and has_request_context():
            raise OperationalError(statement, parameters, ConnectionRefusedError("refused"))

    event.listen(db.engine, "before_cursor_execute", fail)
    yield state
    event.remove(db.engine, "before_cursor_execute", fail)


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_pages_answer_503_with_retry_after_while_the_database_is_down(
    client, database_down, accept
):
    response = client.get("/courses", headers={"Accept": accept})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert "OperationalError" not in response.get_data(as_text=True)


def test_pages_work_again_when_the_database_is_back(client, database_down):
    assert client.get("/courses").status_code == 503

    database_down["down"] = False

    assert client.get("/courses").status_code == 200


def test_logged_in_pages_answer_503_too(client, login, student, database_down):
    """The after-request hook must not load the user (a second failing query) on a 503."""
    database_down["down"] = False
    login(student)
    database_down["down"] = True

    response = client.get("/dashboard", headers={"Accept": "application/json"})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert response.headers["Cache-Control"] == "no-store"
