"""Security baseline that every page inherits: headers, redirects, CSRF, sizes, error pages."""

from __future__ import annotations

import pytest
from flask import abort

from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from tests.conftest import csrf_token_from

EVIL_NEXT = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/login",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "///evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_never_redirects_off_site(client, student, password, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": student.email, "password": password},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_keeps_a_same_site_next(client, student, password):
    response = client.post(
        "/login?next=/admin/users?q=a", data={"email": student.email, "password": password}
    )
    assert response.headers["Location"] == "/admin/users?q=a"


def test_logged_in_visit_to_login_ignores_evil_next(login, student, client):
    login(student)
    response = client.get("/login", query_string={"next": "//evil.example"})
    assert response.headers["Location"] == "/"


CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
]


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    for part in CSP_PARTS:
        assert part in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/healthz", "/static/css/app.css", "/static/js/app.js", "/missing", "/reset/x"],
)
def test_headers_on_every_response_type(client, path):
    with client.get(path) as response:  # closes streamed static files
        assert_security_headers(response)


def test_headers_on_method_not_allowed_and_server_errors(app, client):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    assert_security_headers(client.get("/logout"))
    response = client.get("/_boom")
    assert response.status_code == 500
    assert_security_headers(response)


def test_personal_pages_are_not_stored(login, student, client):
    login(student)
    assert client.get("/account").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_static_files_are_cacheable_even_when_logged_in(login, student, client):
    login(student)
    with client.get("/static/css/app.css") as response:
        assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.app_config(COOKIE_SECURE=True)
def test_hsts_when_cookies_are_secure(client):
    assert "max-age=31536000" in client.get("/").headers["Strict-Transport-Security"]


def test_server_error_page_shows_no_internals(app, client):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd SELECT * FROM users")

    response = client.get("/_boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    for leak in ("Traceback", "RuntimeError", "/etc/passwd", "SELECT", "learnapp/"):
        assert leak not in body
    assert response.headers["X-Request-Id"] in body


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (400, "Bad request"),
        (403, "Access denied"),
        (404, "Page not found"),
        (405, "Method not allowed"),
        (413, "Request too large"),
        (429, "Too many requests"),
        (500, "Something went wrong"),
        (503, "Service unavailable"),
    ],
)
def test_error_pages_use_the_site_layout(app, client, status, title):
    @app.get("/_status")
    def fail():
        abort(status)

    response = client.get("/_status")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert title in body
    assert 'id="main"' in body
    assert "Skip to main content" in body


def test_json_clients_get_json_errors(client):
    response = client.get("/missing", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"] == "Page not found"


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1024)
def test_oversized_bodies_get_413(client):
    response = client.post("/login", data={"email": "a@b.c", "password": "x" * 5000})
    assert response.status_code == 413
    assert b"Request too large" in response.data


def test_default_body_limit_is_about_one_mebibyte(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_no_debugger_or_tracebacks_in_any_environment(app):
    assert not app.debug
    assert not app.config.get("PROPAGATE_EXCEPTIONS")


@pytest.mark.app_config(ENV="production", COOKIE_SECURE=None)
def test_production_cookies_have_every_flag(app, client, student, password):
    """RELIABILITY.md check 11, read from the real Set-Cookie headers."""
    response = client.post(
        "/login",
        data={"email": student.email, "password": password, "remember": "y"},
        base_url="https://learnapp.test",
    )
    cookies = {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"__Host-session", "__Host-remember"}
    for header in cookies.values():
        attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert {"secure", "httponly", "samesite", "path"} <= attributes, header
        assert "SameSite=Lax" in header
        assert "Path=/" in header
        assert "domain" not in attributes  # __Host- cookies must be host-only


def test_denials_are_logged(client, login, student, caplog):
    import logging

    caplog.set_level(logging.WARNING, logger="learnapp.errors")
    login(student)
    assert client.get("/admin/users").status_code == 403
    assert any(
        "access denied" in r.getMessage() and f"user_id={student.id}" in r.getMessage()
        for r in caplog.records
    )


def test_ten_thousand_fields_are_refused(client):
    fields = {f"f{n}": "x" for n in range(10_000)}
    assert client.post("/login", data=fields).status_code == 413


def test_a_five_megabyte_answer_is_refused(client, sync, login, student, db):
    from learnapp.catalog.models import Quiz
    from learnapp.quizzes import services

    sync()
    login(student)
    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))
    attempt = lifecycle.start_attempt(student, quiz)
    db.session.commit()
    token = services.attempt_token(attempt)
    response = client.post(
        f"/attempts/{attempt.id}/autosave",
        data={"attempt_token": token, "sequence": "0", "q_1": "x" * (5 * 1024 * 1024)},
    )
    assert response.status_code == 413


# --- anonymous pages: no session, explicit caching (issue 13, item 13) -------------------------


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_certificate_page_starts_no_session_and_revalidates(app, client, basics, student, admin):
    """The verification page builds staff forms (revoke, restore) for every visitor: their CSRF
    token must not start a session for an anonymous one, and a revocation shows at once."""
    from learnapp.certificates import services as certificates

    certificate = certificates.award(student, basics, reason="probe", actor=admin)
    db.session.commit()
    url = f"/certificates/{certificate.public_id}"
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers.getlist("Set-Cookie") == []
    assert first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"]
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert client.head(url, headers={"If-None-Match": etag}).status_code == 304
    certificates.revoke(certificate, reason="issued in error", actor=admin)
    db.session.commit()
    revoked = client.get(url, headers={"If-None-Match": etag})
    assert revoked.status_code == 200
    assert b"Revoked." in revoked.data
    assert revoked.headers["ETag"] != etag


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_public_page_showing_a_flash_is_stored_nowhere(client, auth, student):
    """After logging out, the home page shows "You have been logged out.": that page is this
    visitor's, so it is no-store, and the emptied session is sent back."""
    auth.login(student)
    client.post("/logout", data={"csrf_token": _csrf(client)})
    page = client.get("/")
    assert b"You have been logged out." in page.data
    assert page.headers["Cache-Control"] == "no-store"
    assert any(c.startswith("session=") for c in page.headers.getlist("Set-Cookie"))
    later = client.get("/")
    assert b"You have been logged out." not in later.data
    assert later.headers["Cache-Control"] == "no-cache"
    assert later.headers.getlist("Set-Cookie") == []


def _csrf(client) -> str:
    return csrf_token_from(client.get("/account").text)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_public_page_keeps_an_existing_session_as_it_is(client, basics, student, password):
    """A visitor who opened the login form, then read a course page, still logs in with the
    form's token: the page neither resent nor changed the session."""
    login_page = client.get("/login")
    assert any(c.startswith("session=") for c in login_page.headers.getlist("Set-Cookie"))
    token = csrf_token_from(login_page.text)
    course = client.get("/courses/basics")
    assert course.status_code == 200
    assert course.headers.getlist("Set-Cookie") == []
    data = {"csrf_token": token, "email": student.email, "password": password}
    assert client.post("/login", data=data).status_code == 302


def test_logged_in_users_get_public_pages_unstored(login, student, client, basics):
    login(student)
    for path in ("/", "/courses", "/courses/basics", "/privacy"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in response.headers, path


def test_the_way_to_the_login_page_starts_no_session(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers.getlist("Set-Cookie") == []
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get(response.headers["Location"])
    assert b"Please log in to open this page." in page.data
    assert b"Please log in to open this page." not in client.get("/login").data
