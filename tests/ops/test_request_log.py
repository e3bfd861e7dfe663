"""One JSON line per request, with the request id the proxy passed or a new one."""

from __future__ import annotations

import io
import json
import logging

import pytest

from learnapp.ops import JsonFormatter, request_log


@pytest.fixture
def lines():
    """The request log's lines during the test, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    request_log.addHandler(handler)
    level = request_log.level
    request_log.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    request_log.removeHandler(handler)
    request_log.setLevel(level)


@pytest.mark.app_config(REQUEST_LOG=True)
def test_one_json_line_per_request(client, lines, login, student):
    login(student)
    response = client.get("/courses?q=secret-token-in-query")
    (entry,) = [e for e in lines() if e["endpoint"] == "catalog.catalogue"]
    assert entry["request_id"] == response.headers["X-Request-Id"]
    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert entry["user_id"] == student.id
    assert entry["time"].endswith("+00:00")
    text = json.dumps(lines())
    assert "secret-token-in-query" not in text  # no query strings
    assert student.email not in text  # no e-mail addresses


@pytest.mark.app_config(REQUEST_LOG=True)
def test_anonymous_and_unmatched_requests_are_logged(client, lines):
    client.get("/no/such/page")
    (entry,) = lines()
    assert entry["endpoint"] == "unmatched"
    assert entry["status"] == 404
    assert entry["user_id"] is None


def test_the_request_log_is_off_in_tests_by_default(client, lines):
    client.get("/healthz")
    assert lines() == []


def test_the_request_log_is_on_in_production_by_default(make_app, lines):
    make_app(ENV="production", RATELIMIT_ENABLED=False).test_client().get("/healthz")
    (entry,) = lines()
    assert entry["endpoint"] == "main.healthz"


@pytest.mark.app_config(PROXY_HOPS=1, REQUEST_LOG=True)
def test_the_trusted_proxy_sets_the_request_id(app, client, lines):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/_boom", headers={"X-Request-ID": "c0ffee-42.1"})
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "c0ffee-42.1"
    assert "c0ffee-42.1" in response.get_data(as_text=True)  # the 500 page's reference
    assert lines()[-1]["request_id"] == "c0ffee-42.1"


@pytest.mark.app_config(PROXY_HOPS=1)
@pytest.mark.parametrize("given", ["", "a" * 65, "x y", 'a"b', "id\tforged", "<script>"])
def test_a_malformed_request_id_is_replaced(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["X-Request-Id"] != given
    assert len(response.headers["X-Request-Id"]) == 12


def test_without_a_trusted_proxy_the_header_is_ignored(client):
    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-client"})
    assert response.headers["X-Request-Id"] != "chosen-by-client"


@pytest.mark.app_config(REQUEST_LOG=True)
def test_logging_a_post_reads_nothing_after_its_commit(
    client, lines, login, student, basics, lesson, sql_statements
):
    """The log line's user id comes from the loaded row's identity: no second transaction
    (on SQLite a second BEGIN IMMEDIATE, the write lock taken again per POST)."""
    from tests.conftest import csrf_token_from

    login(student)
    client.post(
        "/courses/basics/enroll",
        data={"csrf_token": csrf_token_from(client.get("/courses/basics").get_data(as_text=True))},
    )
    token = csrf_token_from(
        client.get("/courses/basics/lessons/basics-intro").get_data(as_text=True)
    )
    with sql_statements() as seen:
        response = client.post(
            "/courses/basics/lessons/basics-intro/complete", data={"csrf_token": token}
        )
    assert response.status_code == 302
    begins = [s for s in seen if s.strip().upper().startswith("BEGIN")]
    commits = [s for s in seen if s.strip().upper().startswith("COMMIT")]
    assert len(commits) <= 1, seen
    # SQLite begins explicitly (one BEGIN IMMEDIATE); PostgreSQL's driver begins implicitly.
    assert len(begins) <= 1, seen
    tail = seen[seen.index(commits[0]) + 1 :] if commits else []
    assert tail == [], tail
    (entry,) = [e for e in lines() if e["endpoint"] == "progress.complete"]
    assert entry["user_id"] == student.id
