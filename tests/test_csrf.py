"""CSRF stays on here (the other modules turn it off): every POST needs a valid token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=True)


#: POST routes authorised by the signed per-attempt token instead of the session's CSRF token,
#: so that an expired session loses no quiz answers; the token plays the CSRF token's part.
ATTEMPT_TOKEN_ROUTES = {"quizzes.save", "quizzes.autosave"}
#: RFC 8058 one-click unsubscribe: mail programs POST with no session, authorised by the signed
#: token in the URL (tests/mail check that a forged one is refused).
UNSUBSCRIBE_ROUTES = {"mail.one_click_unsubscribe"}


def post_routes(app, *, csrf_only=True):
    """Every URL rule accepting POST, with sample arguments, from the URL map."""
    samples = {
        "user_id": 1,
        "attempt_id": 1,
        "answer_id": 1,
        "course_id": 1,
        "report_id": 1,
        "token": "x" * 43,
    }
    for rule in app.url_map.iter_rules():
        exempt = ATTEMPT_TOKEN_ROUTES | UNSUBSCRIBE_ROUTES
        if "POST" in rule.methods and (rule.endpoint not in exempt or not csrf_only):
            yield rule.build({arg: samples.get(arg, "x") for arg in rule.arguments})[1]


def test_there_are_post_routes_to_check(app):
    assert {"/login", "/logout", "/register", "/account"} <= set(post_routes(app))


def test_only_the_attempt_save_routes_are_exempt(app):
    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in app.extensions["csrf"]._exempt_views
    }
    assert exempt <= ATTEMPT_TOKEN_ROUTES | UNSUBSCRIBE_ROUTES | {"main.healthz"}


@pytest.mark.parametrize("token", [None, "forged", "eyJhIjoxfQ.bad-signature"])
def test_attempt_save_routes_refuse_a_missing_or_forged_attempt_token(app, client, token):
    exempt_paths = set(post_routes(app, csrf_only=False)) - set(post_routes(app))
    exempt_paths -= {"/unsubscribe/" + "x" * 43 + "/one-click"}
    assert exempt_paths == {"/attempts/1", "/attempts/1/autosave"}
    for path in exempt_paths:
        data = {} if token is None else {"attempt_token": token}
        assert client.post(path, data=data).status_code == 400


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_post_without_token_is_rejected(app, client, admin, password, who):
    if who == "admin":
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/login", data={"email": admin.email, "password": password, "csrf_token": token}
        )
    for path in post_routes(app):
        for token in (None, "forged", "ImFiYyI.ZZZZZZ.bad-signature"):
            data = {} if token is None else {"csrf_token": token}
            response = client.post(path, data=data)
            assert response.status_code == 400, path
            assert b"form has expired" in response.data


def test_valid_token_is_accepted(client, student, password):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": student.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302


def test_token_from_another_session_is_rejected(app, client, student, password):
    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    foreign = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.get("/login")
    response = client.post(
        "/login", data={"email": student.email, "password": password, "csrf_token": foreign}
    )
    assert response.status_code == 400


def test_get_requests_change_no_rows(app, client, admin, db, auth):
    """No GET changes state: row counts of every table stay the same across all GET routes."""
    auth.login(admin)

    def counts():
        db.session.commit()
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }

    before = counts()
    paths = [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    paths = [path for path in paths if "<" not in path]
    for path in [*paths, f"/admin/users/{admin.id}", "/reset/not-a-token"]:
        client.get(path).close()  # closes files streamed by send_file
    assert counts() == before
