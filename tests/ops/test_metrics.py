"""/metrics: bearer token, bounded labels, answer saves, open attempts, server errors."""

from __future__ import annotations

import re

import pytest

from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quizzes

TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a text exposition (0 if absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match[3])
    return 0.0


def scrape(client) -> str:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_metrics_do_not_exist_without_a_configured_token(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=AUTH).status_code == 404


@pytest.mark.app_config(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"]
)
def test_metrics_refuse_a_missing_or_wrong_token(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "learnapp_" not in response.get_data(as_text=True)


@pytest.mark.app_config(METRICS_TOKEN=12345)  # LEARNAPP_METRICS_TOKEN=12345 parses as a number
def test_a_numeric_token_works(client):
    assert client.get("/metrics", headers={"Authorization": "Bearer 12345"}).status_code == 200


@pytest.mark.app_config(METRICS_TOKEN=TOKEN)
def test_requests_are_counted_by_endpoint_never_by_url(client, basics):
    before = scrape(client)
    client.get("/courses/basics")
    client.get("/courses/basics")
    client.get("/no/such/page/8f3a")
    text = scrape(client)
    labels = {"endpoint": "catalog.course", "method": "GET", "status": "200"}
    assert (
        sample(text, "learnapp_http_requests_total", **labels)
        == sample(before, "learnapp_http_requests_total", **labels) + 2
    )
    assert sample(text, "learnapp_http_request_duration_seconds_count", endpoint="catalog.course")
    assert sample(text, "learnapp_http_requests_total", endpoint="unmatched", status="404")
    assert "/courses/basics" not in text
    assert "8f3a" not in text


@pytest.mark.app_config(METRICS_TOKEN=TOKEN)
def test_open_attempts_and_saves(client, login, student, quiz, db):
    before = scrape(client)
    assert sample(before, "learnapp_open_attempts") == 0
    attempt = lifecycle.start_attempt(student, quiz)
    db.session.commit()
    login(student)
    response = client.post(
        f"/attempts/{attempt.id}/autosave",
        data={"attempt_token": quizzes.attempt_token(attempt), "sequence": attempt.sequence},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    text = scrape(client)
    assert sample(text, "learnapp_open_attempts") == 1
    assert sample(text, "learnapp_overdue_open_attempts") == 0
    assert sample(text, "learnapp_answer_saves_total") == (
        sample(before, "learnapp_answer_saves_total") + 1
    )


def test_server_errors_are_counted(make_app):
    app = make_app(METRICS_TOKEN=TOKEN, SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent/x.db")

    @app.get("/_boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    before = client.get("/healthz")  # 503: the database is unreachable
    assert before.status_code == 503
    assert client.get("/_boom").status_code == 500
    from learnapp.ops import metrics

    text = metrics.generate_latest(metrics.REGISTRY).decode()
    assert sample(text, "learnapp_http_server_errors_total", endpoint="boom") >= 1
    assert sample(text, "learnapp_http_server_errors_total", endpoint="main.healthz") >= 1
