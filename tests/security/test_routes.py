"""Every route from the URL map, as every role: headers, GETs change nothing, CSRF, errors.

RELIABILITY.md checks 6 (CSRF, state-changing GETs), 12 (headers on every response type) and
14 (no internals in errors).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.quizzes.models import QuizAttempt
from learnapp.security import storable
from tests.conftest import csrf_token_from
from tests.security.conftest import (
    OPEN_ATTEMPTS,
    ROLES,
    UNSAFE_METHODS,
    forms_in,
    probes,
    row_counts,
)
from tests.test_csrf import ATTEMPT_TOKEN_ROUTES, UNSUBSCRIBE_ROUTES

#: Responses a logged-in browser may cache: public files, the same for everyone.
CACHEABLE_ENDPOINTS = {"static", "catalog.asset", "main.favicon"}
HSTS_MIN_AGE = 365 * 24 * 3600


def header_violations(response, *, personal: bool) -> list[str]:
    """Missing or weak security headers on one response."""
    h = response.headers
    problems = []
    csp = {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in h.get("Content-Security-Policy", "").split(";")
        if part.strip()
    }
    if "sandbox" in csp:  # a course file: a sandboxed document that runs and loads nothing
        if csp["sandbox"] != "sandbox":
            problems.append(f"CSP {csp['sandbox']!r} lifts sandbox restrictions")
        for directive in ("default-src", "base-uri", "frame-ancestors", "form-action"):
            if csp.get(directive) != f"{directive} 'none'":
                problems.append(f"CSP {directive} is {csp.get(directive)!r}")
        if any(d in csp for d in ("script-src", "object-src", "connect-src")):
            problems.append("CSP of a course file allows scripts, plugins or connections")
    else:
        for directive in ("object-src", "base-uri", "frame-ancestors"):
            if csp.get(directive) != f"{directive} 'none'":
                problems.append(f"CSP {directive} is {csp.get(directive)!r}")
        for directive in ("default-src", "script-src", "style-src"):
            if csp.get(directive) != f"{directive} 'self'":
                problems.append(f"CSP {directive} is {csp.get(directive)!r}")
        if "unsafe-" in h.get("Content-Security-Policy", ""):
            problems.append("CSP allows unsafe-*")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if h.get("Referrer-Policy") not in (
        "no-referrer",
        "strict-origin-when-cross-origin",
        "same-origin",
    ):
        problems.append(f"Referrer-Policy {h.get('Referrer-Policy')!r}")
    if h.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options DENY")
    hsts = re.search(r"max-age=(\d+)", h.get("Strict-Transport-Security", ""))
    if not hsts or int(hsts.group(1)) < HSTS_MIN_AGE:
        problems.append(f"HSTS {h.get('Strict-Transport-Security')!r}")
    if personal and "no-store" not in h.get("Cache-Control", ""):
        problems.append(f"Cache-Control {h.get('Cache-Control')!r} on a personal response")
    return problems


def kind_of(response) -> str:
    if 300 <= response.status_code < 400:
        return "redirect"
    if response.status_code >= 400:
        return f"error {response.mimetype}"
    return response.mimetype


@pytest.mark.app_config(COOKIE_SECURE=True, RATELIMIT_ENABLED=False)
@pytest.mark.parametrize("role", ROLES)
def test_every_response_carries_the_security_headers(app, world, client_as, figure, role):
    """Every route x method as ``role`` (HTML, JSON, static, assets, redirects, errors, PDF)."""
    client = client_as(role, world)
    violations, kinds, public_endpoints = [], {}, set()
    placeholders = sorted({p.endpoint for p in probes(app, world) if p.placeholders})
    figure.set("routes probed with placeholder arguments", ", ".join(placeholders) or "none")
    requests = [(p.method, p.path, p.endpoint) for p in probes(app, world)]
    # Logging out last keeps the rest of the probes personal.
    requests.sort(key=lambda r: (r[2] == "auth.logout", r[0] != "GET"))
    requests[-1:-1] = [
        ("GET", "/no/such/page", None),
        ("GET", "/healthz", "main.healthz"),
        ("OPTIONS", "/login", "auth.login"),
        ("HEAD", "/courses", "catalog.catalogue"),
        ("DELETE", "/login", "auth.login"),  # 405
        ("GET", "/attempts/999999", "quizzes.take"),
    ]
    for method, path, endpoint in requests:
        with client.open(path, method=method) as response:
            kinds.setdefault(kind_of(response), path)
            # A response may declare itself public (the same bytes for everyone: files,
            # published keys); no response a shared cache may store sets a cookie.
            cache = response.cache_control
            # Declared shared: the same bytes for everyone (public), or revalidated each time.
            public = bool(cache.public or cache.no_cache) and not cache.private
            if public:
                public_endpoints.add(endpoint)
                if "/attempts/" in path:
                    violations.append(f"{method} {path}: an attempt response is public")
            storable = not (cache.no_store or cache.private) and (
                cache.public or cache.no_cache or cache.max_age
            )
            if storable and response.headers.get("Set-Cookie"):
                violations.append(f"{method} {path}: Set-Cookie on a response caches may store")
            personal = role != "anonymous" and endpoint not in CACHEABLE_ENDPOINTS
            personal = personal and not public and endpoint != "auth.logout"  # logged out now
            violations += [
                f"{method} {path} -> {response.status_code}: {problem}"
                for problem in header_violations(response, personal=personal)
            ]
    figure.add("check 12 headers: responses probed", len(requests))
    figure.add("check 12 headers: violations", len(violations))
    figure.set(f"check 12 headers: response types seen as {role}", ", ".join(sorted(kinds)))
    figure.set(
        "check 12 headers: endpoints declaring shared caching", ", ".join(sorted(public_endpoints))
    )
    assert violations == []
    expected = {"text/html", "application/json", "redirect", "text/css", "image/png"}
    assert expected <= set(kinds), kinds
    assert any(kind.startswith("error") for kind in kinds)


# --- anonymous responses: cookies and caching (issue 13, item 13) ----------------------------


def anonymous_violations(response, *, has_form: bool) -> list[str]:
    """What is wrong with one anonymous response's cookie and cache headers.

    A page with a form keeps its CSRF session and is stored nowhere; any other response sets
    no cookie (no session is started for a visitor who cannot post anything) and says how it
    may be cached. Storable HTML also serves logged-in users at the same URL, so it varies on
    the cookie.
    """
    problems = []
    cache_control = response.headers.get("Cache-Control")
    cookies = response.headers.getlist("Set-Cookie")
    if not cache_control:
        problems.append("no Cache-Control")
    if has_form:
        if not any(c.startswith("session=") for c in cookies):
            problems.append("a page with a form but no session cookie (its CSRF token)")
        if not response.cache_control.no_store:
            problems.append(f"a page with a form is {cache_control!r}, not no-store")
    elif cookies:
        problems.append(f"Set-Cookie {cookies} on a response without a form")
    varies = {v.lower() for v in response.vary}
    if storable(response) and response.mimetype == "text/html" and "cookie" not in varies:
        problems.append(f"storable HTML without Vary: Cookie ({response.vary})")
    return problems


@pytest.mark.app_config(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
def test_anonymous_responses_set_no_cookie_and_say_how_to_cache(app, world, client_as, figure):
    """Every GET route of the URL map, a valid reset link and error pages, each by a new
    visitor: a cookie only with a form (then no-store), a Cache-Control header always."""
    from learnapp.auth import services as auth_services

    reset_link = "/reset/" + auth_services.issue_reset_token(world.other)
    db.session.commit()
    paths = [(p.endpoint, p.path) for p in probes(app, world, methods=("GET",))]
    paths += [
        ("auth.reset_password", reset_link),
        (None, "/no/such/page"),
        ("static", "/static/no-such-file.css"),
        ("catalog.course", "/courses/no-such-course"),
        ("certificates.verify", "/certificates/" + "x" * 22),
    ]
    violations, forms, policies = [], set(), {}
    for endpoint, path in paths:
        with client_as("anonymous", world).get(path) as response:
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            has_form = any(form.method == "POST" for form in forms_in(html))
            if has_form:
                forms.add(endpoint)
            if response.status_code == 200:
                policies.setdefault(response.headers.get("Cache-Control"), set()).add(endpoint)
            violations += [
                f"GET {path} -> {response.status_code}: {problem}"
                for problem in anonymous_violations(response, has_form=has_form)
            ]
    figure.add("anonymous responses: probed", len(paths))
    figure.add("anonymous responses: cookie or cache violations", len(violations))
    for policy, endpoints in sorted(policies.items(), key=lambda kv: str(kv[0])):
        figure.set(f"anonymous Cache-Control {policy}", ", ".join(sorted(map(str, endpoints))))
    assert violations == []
    assert {"auth.login", "auth.register", "auth.reset_password"} <= forms


@pytest.mark.app_config(ENV="production", COOKIE_SECURE=None, RATELIMIT_ENABLED=False)
def test_production_error_and_json_responses_carry_headers(app, client, figure):
    """Production config (HSTS from COOKIE_SECURE's default), on error and JSON responses."""
    responses = [
        client.get("/missing", base_url="https://learnapp.test"),
        client.get("/missing", headers={"Accept": "application/json"}),
        client.get("/healthz"),
        client.post("/login", data={}, base_url="https://learnapp.test"),  # CSRF 400
    ]
    problems = [p for r in responses for p in header_violations(r, personal=False)]
    figure.add("check 12 headers: violations", len(problems))
    assert problems == []


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_a_row(app, world, client_as, figure, role):
    """Every GET route (with real object ids) as every role leaves every table's row count."""
    client = client_as(role, world)
    before = row_counts()
    paths = [p.path for p in probes(app, world, methods=("GET",))]
    paths += ["/reset/not-a-token", "/search?q=basics", "/admin/users?q=student&page=2"]
    changed = []
    for path in paths:
        with client.get(path) as response:
            assert response.status_code < 500, path
        after = row_counts()
        if after != before:
            changed.append(
                (path, {t: (before[t], after[t]) for t in after if after[t] != before[t]})
            )
            before = after
    figure.add("check 6 CSRF: GET requests probed", len(paths))
    figure.add("check 6 CSRF: state-changing GETs", len(changed))
    assert changed == []


#: What opening an overdue attempt may change: the attempt is closed (graded), and its
#: completion step may schedule practice and issue a certificate (with its audit event).
CLOSING_CHANGES = {OPEN_ATTEMPTS, "practice_items", "certificates", "audit_events"}


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
@pytest.mark.parametrize("role", ROLES)
def test_the_one_state_changing_get_closes_an_overdue_attempt(app, world, client_as, figure, role):
    """The documented exception to "GET changes nothing": the student opening one of their
    attempt's pages after its time is up closes it, once. Every other GET of every role, on
    the same overdue attempt too, changes nothing."""
    overdue = world.open_attempt
    overdue.deadline_at = utcnow() - timedelta(minutes=5)
    client = client_as(role, world)
    before = row_counts()
    paths = [p.path for p in probes(app, world, methods=("GET",))]
    changed = []
    for path in paths:
        with client.get(path) as response:
            assert response.status_code < 500, path
        after = row_counts()
        if after != before:
            changed.append((path, {t for t in after if after[t] != before[t]}))
            before = after
    attempt_pages = {f"/attempts/{overdue.id}{page}" for page in ("", "/summary", "/review")}
    if role == "student":
        ((path, tables),) = changed
        assert path in attempt_pages
        assert OPEN_ATTEMPTS in tables
        assert tables <= CLOSING_CHANGES, tables
        assert db.session.get(QuizAttempt, overdue.id).was_closed_by_deadline
    else:
        assert changed == []
        assert db.session.get(QuizAttempt, overdue.id).is_open
    figure.add(f"check 6 CSRF: state-changing GETs on an overdue attempt ({role})", len(changed))


def _tamper(token: str) -> str:
    """The same token with one character in the middle of its signature changed.

    (Not the last character: its low bits are base64 padding, so changing it may not change
    the decoded signature at all.)
    """
    value, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{value}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


@pytest.mark.app_config(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
@pytest.mark.parametrize("role", ["anonymous", "student", "admin"])
def test_every_unsafe_route_refuses_missing_foreign_and_tampered_tokens(
    app, world, client_as, figure, role
):
    """Each unsafe method of each route, with the real form fields but a bad CSRF token.

    The attempt save routes take the signed per-attempt token instead, and the one-click
    unsubscribe (RFC 8058) its signed token (both in tests/test_csrf.py).
    """
    client = client_as(role, world)
    own = csrf_token_from(client.get("/login" if role == "anonymous" else "/account").text)
    foreign_client = client_as("anonymous", world)
    foreign = csrf_token_from(foreign_client.get("/login").text)
    bad_tokens = {"missing": None, "foreign": foreign, "tampered": _tamper(own), "empty": ""}
    before = row_counts()
    accepted, probed = [], 0
    for probe in probes(app, world, methods=UNSAFE_METHODS):
        if probe.endpoint in ATTEMPT_TOKEN_ROUTES | UNSUBSCRIBE_ROUTES:
            continue
        for name, token in bad_tokens.items():
            data = {"email": world.student.email, "password": "a long test passphrase"}
            data |= {"role-role": "admin", "profile-display_name": "Mallory", "profile-submit": "1"}
            if token is not None:
                data["csrf_token"] = token
            for headers in ({}, {"X-CSRFToken": token or ""}):
                response = client.open(probe.path, method=probe.method, data=data, headers=headers)
                probed += 1
                if response.status_code != 400 or b"form has expired" not in response.data:
                    accepted.append(f"{probe.method} {probe.path} {name}: {response.status_code}")
    after = row_counts()
    figure.add("check 6 CSRF: unsafe requests with a bad token", probed)
    figure.add("check 6 CSRF: unprotected routes", len(accepted))
    assert accepted == []
    assert after == before
    # The real token still works, so the refusals above are about the token.
    if role != "anonymous":
        ok = client.post(
            "/account",
            data={"csrf_token": own, "profile-display_name": "Still Me", "profile-submit": "1"},
        )
        assert ok.status_code == 302


# --- no internals in errors (check 14) --------------------------------------------------------

LEAKS = [
    "Traceback",
    'File "',
    "SELECT ",
    "INSERT ",
    "sqlalchemy",
    "OperationalError",
    "/etc/",
    "/home/",
    "site-packages",
    "learnapp/",
    "Werkzeug Debugger",
    "secret-marker",
]


def leaks_in(body: str) -> list[str]:
    return [leak for leak in LEAKS if leak.lower() in body.lower()]


@pytest.fixture
def broken_database(app):
    """Every SQL statement run by a request fails with an error naming SQL and paths."""
    state = {"on": False}

    def fail(conn, cursor, statement, parameters, context, executemany):
        if state["on"] and has_request_context():  # not the test's own commits
            raise OperationalError(
                statement + " /home/app/learnapp/db.py secret-marker", parameters, Exception()
            )

    event.listen(db.engine, "before_cursor_execute", fail)
    yield state
    state["on"] = False
    event.remove(db.engine, "before_cursor_execute", fail)


@pytest.mark.app_config(RATELIMIT_ENABLED=False, COOKIE_SECURE=True)
@pytest.mark.parametrize(
    ("role", "accept"),
    [("anonymous", "text/html"), ("student", "application/json"), ("admin", "text/html")],
)
def test_forced_errors_show_no_internals(
    app, world, client_as, broken_database, figure, role, accept
):
    """The database fails on every route; no response shows a traceback, SQL or a path."""
    client = client_as(role, world)
    broken_database["on"] = True
    leaking, statuses = [], set()
    for probe in probes(app, world):
        with client.open(probe.path, method=probe.method, headers={"Accept": accept}) as response:
            statuses.add(response.status_code)
            textual = response.mimetype in ("text/html", "application/json", "text/plain")
            body = response.get_data(as_text=True) if textual else ""
            if found := leaks_in(body):
                leaking.append(f"{probe.method} {probe.path}: {found}")
            if found := header_violations(response, personal=False):
                leaking.append(f"{probe.method} {probe.path}: headers {found}")
    broken_database["on"] = False
    figure.add("check 14 errors: leaking responses", len(leaking))
    assert leaking == []
    assert 500 in statuses or 503 in statuses, statuses


MALFORMED = [
    "/.git/HEAD",
    "/.git/config",
    "/.env",
    "/wsgi.py",
    "/pyproject.toml",
    "/instance/secret_key",
    "/static/../learnapp/config.py",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/static/..%2f..%2fwsgi.py",
    "/attempts/99999999999999999999999",
    "/attempts/3000000000",  # past PostgreSQL's 32-bit integer
    "/admin/users/3000000000",
    "/courses/basics/lessons/a%00b",
    "/attempts/-1",
    "/admin/users?page=-5",
    "/admin/users?page=99999999999999999999",
    "/courses/%00",
    "/courses/basics/lessons/%ff%fe",
    "/search?q=" + "%27%22%3C" * 500,
    "/courses/basics/quizzes/basics-quiz?x=" + "a" * 8000,
]


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_probes_for_files_and_malformed_urls_show_nothing(app, world, client_as, figure):
    client = client_as("admin", world)
    leaking = []
    for path in MALFORMED:
        with client.get(path) as response:
            body = response.get_data(as_text=True)
            if response.status_code >= 500 or leaks_in(body) or "ref: refs/" in body:
                leaking.append(f"{path}: {response.status_code} {leaks_in(body)}")
            if path.startswith(("/.git", "/.env", "/wsgi", "/pyproject", "/instance")):
                assert response.status_code == 404, path
    figure.add("check 14 errors: leaking responses", len(leaking))
    assert leaking == []


def test_every_method_of_every_route_is_covered_by_a_probe(app, world):
    """Guard for the probes above: each rule's methods are all probed."""
    probed = {(p.endpoint, p.method) for p in probes(app, world)}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (rule.endpoint, method) in probed
