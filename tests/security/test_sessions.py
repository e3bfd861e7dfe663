"""Sessions end when they should, cookies carry every flag, ``next`` never leaves the site.

RELIABILITY.md checks 9 (open redirects), 10 (session lifecycle) and 11 (cookie flags).
Already covered elsewhere and not repeated here: the session rotates at login and a planted
value does not survive (tests/auth/test_routes.py::test_login_starts_a_fresh_session), other
sessions end on logout and password change, deactivation ends sessions (same file), login
``next`` payloads (tests/test_security.py::test_login_never_redirects_off_site).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from learnapp.auth import services as auth_services
from learnapp.extensions import db
from tests.conftest import AuthActions
from tests.test_security import EVIL_NEXT

NEW_PASSWORD = "another long passphrase"

#: More spellings browsers read as another site (PYSEC-2021-123, Open edX #31256).
REDIRECT_PAYLOADS = [
    *EVIL_NEXT,
    "/%2F/evil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "\\\\\\evil.example",
    "/\\/evil.example",
    "//evil.example/%2F..",
    "https:/evil.example",
    "http:evil.example",
    "HTTPS://evil.example",
    "\x00//evil.example",
    " //evil.example",
    "/\r\n/evil.example",
    "//evil.example@learnapp.test",
    "/login?next=//evil.example",
    "data:text/html,<script>alert(1)</script>",
    "JaVaScRiPt:alert(1)",
    "//ⓔvil.example",
    "/\uff0e/evil.example",
]


OUR_HOSTS = ("localhost", "learnapp.test")


def external(location: str | None) -> bool:
    """True when a browser would leave the site following ``location``.

    Browsers drop tabs and newlines, read ``\\`` as ``/``, and take ``https:evil`` or
    ``http:/evil`` as ``https://evil``.
    """
    if not location:
        return False
    cleaned = "".join(ch for ch in location if ch not in "\t\r\n").strip().replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme:
        if parts.scheme.lower() not in ("http", "https"):
            return True
        host = parts.netloc or parts.path.lstrip("/").split("/")[0]
        return host.rsplit("@", 1)[-1].split(":")[0].lower() not in OUR_HOSTS
    return cleaned.startswith("//")


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_no_redirect_leaves_the_site(app, client, student, password, figure):
    """Every payload on login (GET and POST), register and logout ``next``."""
    offsite, probed = [], 0
    for target in REDIRECT_PAYLOADS:
        query = {"next": target}
        responses = [
            client.post(
                "/login", query_string=query, data={"email": student.email, "password": password}
            ),
            client.get("/login", query_string=query),  # logged in now: redirects at once
            client.post("/logout", query_string=query, data={"next": target}),
            client.get("/register", query_string=query),
            client.post(
                "/register",
                query_string=query,
                data={
                    "email": f"new{probed}@example.com",
                    "display_name": "New Person",
                    "password": "a brand new passphrase",
                    "confirm": "a brand new passphrase",
                    "next": target,
                },
            ),
            client.get("/register", query_string=query),
            client.post("/logout", query_string=query),
            client.get("/account", query_string=query),  # login_required's own next
        ]
        for response in responses:
            probed += 1
            if external(response.headers.get("Location")):
                offsite.append((target, response.request.path, response.headers["Location"]))
    figure.add("check 9 redirects: probes", probed)
    figure.add("check 9 redirects: external Location headers", len(offsite))
    assert offsite == []


def test_the_external_check_itself_recognises_other_sites():
    for target in (
        "//evil.example",
        "https:evil.example",
        "http:/evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "https://learnapp.test@evil.example/",
    ):
        assert external(target), target
    for target in ("/account", "http://localhost/account", "/login?next=//evil.example"):
        assert not external(target), target


# --- session lifecycle (check 10) -----------------------------------------------------------


def cookies_of(client) -> dict[str, str]:
    return {
        name: client.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.get_cookie(name)
    }


def replay(app, cookies: dict[str, str]):
    """A new browser presenting stolen cookies; returns the status of /account."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/account").status_code


def change_password(client, current: str, new: str = NEW_PASSWORD):
    return client.post(
        "/account",
        data={
            "password-current_password": current,
            "password-new_password": new,
            "password-confirm": new,
            "password-submit": "Change password",
        },
    )


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_session_lifecycle(app, client, student, password, figure):
    """Rotation at login; old session and remember cookies dead after logout, password change
    and deactivation (each cookie replayed from a fresh browser)."""
    auth = AuthActions(client)
    with client.session_transaction() as session:
        session["before_login"] = "anonymous visit"
    anonymous = client.get_cookie("session").value
    auth.login(student, password, remember="y")
    passes, replays_accepted = 0, 0

    # 1. The cookie rotates at login.
    logged_in = cookies_of(client)
    assert set(logged_in) == {"session", "remember_token"}
    passes += logged_in["session"] != anonymous

    # 2. Logout: the session and the remember cookie are both dead.
    assert replay(app, logged_in) == 200  # a copy works while the session lives
    auth.logout()
    for stolen in (
        {"session": logged_in["session"]},
        {"remember_token": logged_in["remember_token"]},
        logged_in,
    ):
        replays_accepted += replay(app, stolen) == 200
    passes += replays_accepted == 0

    # 3. Password change: cookies from before the change are dead; the new session lives.
    auth.login(student, password, remember="y")
    before_change = cookies_of(client)
    assert change_password(client, password).status_code == 302
    assert client.get("/account").status_code == 200
    accepted = sum(
        replay(app, stolen) == 200
        for stolen in (
            {"session": before_change["session"]},
            {"remember_token": before_change["remember_token"]},
            before_change,
        )
    )
    replays_accepted += accepted
    passes += accepted == 0

    # 4. Deactivation by an admin takes effect on the next request, remember cookie included.
    auth.logout()
    auth.login(student, NEW_PASSWORD, remember="y")
    live = cookies_of(client)
    auth_services.set_active(student, False)
    db.session.commit()
    accepted = sum(
        replay(app, stolen) == 200 for stolen in (live, {"remember_token": live["remember_token"]})
    )
    replays_accepted += accepted
    passes += accepted == 0 and client.get("/account").status_code == 302

    figure.add("check 10 sessions: lifecycle checks passed (of 4)", passes)
    figure.add("check 10 sessions: replayed cookies accepted", replays_accepted)
    assert replays_accepted == 0
    assert passes == 4


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_reset_link_ends_existing_sessions(app, client, student, password, figure):
    """A password set through a reset link also kills cookies issued before it."""
    auth = AuthActions(client)
    auth.login(student, password, remember="y")
    stolen = cookies_of(client)
    token = auth_services.issue_reset_token(student)
    db.session.commit()
    other = app.test_client()
    data = {"new_password": "my fresh passphrase", "confirm": "my fresh passphrase"}
    assert other.post(f"/reset/{token}", data=data).status_code == 302
    accepted = replay(app, stolen) == 200
    figure.add("check 10 sessions: replayed cookies accepted", int(accepted))
    assert not accepted


# --- cookie flags (check 11) ----------------------------------------------------------------


@pytest.mark.app_config(ENV="production", COOKIE_SECURE=None, RATELIMIT_ENABLED=False)
def test_every_cookie_of_a_whole_visit_has_every_flag(app, client, student, password, figure):
    """Production config: every Set-Cookie of a visit (anonymous form, login with remember,
    pages, account change, logout) is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/,
    host-only."""
    https = {"base_url": "https://learnapp.test"}
    seen: list[str] = []

    def go(method: str, path: str, **kw):
        response = client.open(path, method=method, **https, **kw)
        seen.extend(response.headers.getlist("Set-Cookie"))
        return response

    go("GET", "/login")
    go("POST", "/login", data={"email": student.email, "password": password, "remember": "y"})
    go("GET", "/")
    go("GET", "/account")
    go("POST", "/account", data={"profile-display_name": "Sam S", "profile-submit": "1"})
    go("POST", "/logout")
    missing = []
    for header in seen:
        name = header.split("=", 1)[0]
        attributes = {
            part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]
        }
        for flag in ("secure", "httponly", "samesite", "path"):
            if flag not in attributes:
                missing.append(f"{name}: {flag}")
        if attributes.get("samesite", "").lower() not in ("samesite=lax", "samesite=strict"):
            missing.append(f"{name}: {attributes.get('samesite')}")
        if attributes.get("path") != "Path=/":
            missing.append(f"{name}: {attributes.get('path')}")
        if "domain" in attributes:
            missing.append(f"{name}: Domain set (must be host-only)")
        if not name.startswith("__Host-"):
            missing.append(f"{name}: no __Host- prefix")
    figure.add("check 11 cookies: Set-Cookie headers checked", len(seen))
    figure.add("check 11 cookies: missing attributes", len(missing))
    assert len(seen) >= 3
    assert missing == []
