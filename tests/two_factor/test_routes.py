"""The code step of a login, setup, settings, the admin reset page and the CLI command."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from learnapp.audit.models import AuditEvent
from learnapp.auth.models import Role
from learnapp.two_factor import services
from tests.conftest import AuthActions

REQUIRED = pytest.mark.app_config(TWO_FACTOR_REQUIRED_ROLES="admin,instructor")


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


# --- login -------------------------------------------------------------------------------------


def test_password_alone_does_not_sign_in_an_enrolled_account(client, auth, student, enrol):
    enrol(student)
    response = auth.login(student)
    assert response.headers["Location"] == "/login/code"
    assert not signed_in(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_the_code_finishes_the_login(client, student, enrol, login_with_code):
    secret = enrol(student)
    response = login_with_code(student, secret)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in(client)


def test_the_code_step_keeps_where_the_login_was_going(client, student, enrol, code, password):
    secret = enrol(student)
    client.post("/login?next=/dashboard", data={"email": student.email, "password": password})
    response = client.post("/login/code", data={"code": code(secret)})
    assert response.headers["Location"] == "/dashboard"


def test_a_wrong_code_is_refused(client, auth, student, enrol, wrong_code):
    secret = enrol(student)
    auth.login(student)
    response = client.post("/login/code", data={"code": wrong_code(secret)})
    assert response.status_code == 400
    assert b"That code is not right" in response.data
    assert not signed_in(client)


def test_a_code_used_once_cannot_sign_in_again(app, client, auth, student, enrol, code):
    secret = enrol(student)
    used = code(secret)
    auth.login(student)
    assert client.post("/login/code", data={"code": used}).status_code == 302
    other = app.test_client()
    AuthActions(other).login(student)
    response = other.post("/login/code", data={"code": used})
    assert response.status_code == 400
    assert other.get("/account").status_code == 302


def test_the_pending_login_expires(client, auth, student, enrol, code):
    secret = enrol(student)
    auth.login(student)
    with time_machine.travel(time.time() + 301, tick=False):
        response = client.post("/login/code", data={"code": code(secret)})
    assert response.headers["Location"] == "/login"
    assert not signed_in(client)


def test_ending_the_accounts_sessions_ends_its_pending_login(
    db, client, auth, student, enrol, code
):
    from learnapp.auth import services as auth_services

    secret = enrol(student)
    auth.login(student)
    auth_services.set_active(student, False)
    db.session.commit()
    response = client.post("/login/code", data={"code": code(secret)})
    assert response.headers["Location"] == "/login"


def test_the_code_step_without_a_password_step_goes_to_the_login(client):
    assert client.get("/login/code").headers["Location"] == "/login"
    assert client.post("/login/code", data={"code": "123456"}).headers["Location"] == "/login"


def test_two_factor_logins_are_not_remembered_beyond_the_session(client, student, enrol, code):
    secret = enrol(student)
    AuthActions(client).login(student, remember="y")
    response = client.post("/login/code", data={"code": code(secret)})
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    assert client.get_cookie("remember_token") is None


def test_a_recovery_code_signs_in_once(app, client, auth, student, enrol, recovery_codes, password):
    enrol(student)
    first = recovery_codes(student, password)[0]
    auth.login(student)
    response = client.post("/login/recovery", data={"code": first})
    assert response.status_code == 302
    assert signed_in(client)
    other = app.test_client()
    AuthActions(other).login(student)
    response = other.post("/login/recovery", data={"code": first})
    assert response.status_code == 400
    assert b"not right, or was used already" in response.data


def test_codes_share_the_login_limit_of_the_account(client, auth, student, enrol, wrong_code):
    secret = enrol(student)
    for _ in range(5):
        client.post("/login", data={"email": student.email, "password": "wrong passphrase"})
    auth.login(student)  # the sixth attempt on the account
    statuses = [
        client.post("/login/code", data={"code": wrong_code(secret)}).status_code for _ in range(5)
    ]
    assert statuses == [400] * 4 + [429]


def test_recovery_codes_are_rate_limited_too(client, auth, student, enrol):
    enrol(student)
    auth.login(student)
    statuses = [
        client.post("/login/recovery", data={"code": f"wrong-{n}"}).status_code for n in range(10)
    ]
    assert statuses == [400] * 9 + [429]


# --- setup ----------------------------------------------------------------------------------


def setup_secret(html: str) -> str:
    match = re.search(r'id="setup-key">([A-Z2-7 ]+)<', html)
    assert match, "no setup key on the page"
    return match.group(1).replace(" ", "")


def test_setup_shows_a_qr_code_and_the_key_and_turns_it_on(db, client, login, student):
    login(student)
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page
    assert 'class="qr-code"' in page
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    secret = setup_secret(page)
    # The key stays the same while the setup is unfinished (the app may be slow to scan).
    assert setup_secret(client.get("/account/two-factor/setup").get_data(as_text=True)) == secret
    response = client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    shown = re.findall(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>", response.get_data(True))
    assert len(shown) == 10
    assert services.is_enrolled(student)
    # This session continues; the codes are not kept anywhere to be shown again.
    assert signed_in(client)
    assert not any(c in client.get("/account/two-factor").get_data(True) for c in shown)
    assert services.use_recovery_code(student, shown[0])


def test_a_wrong_setup_code_leaves_it_off(client, login, student, wrong_code):
    login(student)
    secret = setup_secret(client.get("/account/two-factor/setup").get_data(as_text=True))
    response = client.post("/account/two-factor/setup", data={"code": wrong_code(secret)})
    assert response.status_code == 400
    assert not services.is_enrolled(student)


def test_setup_when_on_already_goes_to_the_settings(client, student, enrol, login_with_code):
    login_with_code(student, enrol(student))
    response = client.get("/account/two-factor/setup")
    assert response.headers["Location"] == "/account/two-factor"


@REQUIRED
@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.ADMIN])
def test_required_staff_sign_in_then_must_set_it_up(client, make_user, login, role):
    user = make_user(role=role)
    login(user)
    response = client.get("/")
    assert response.headers["Location"] == "/account/two-factor/setup"
    page = client.get("/account/two-factor/setup")
    assert b"must sign in with a code" in page.data
    secret = setup_secret(page.get_data(as_text=True))
    client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/").status_code == 200


@REQUIRED
def test_students_are_not_asked_to_set_it_up(client, login, student):
    login(student)
    assert client.get("/").status_code == 200


@REQUIRED
def test_enrolled_staff_reach_their_pages_after_the_code(client, admin, enrol, login_with_code):
    secret = enrol(admin)
    login_with_code(admin, secret)
    assert client.get("/admin/users").status_code == 200


# --- settings -----------------------------------------------------------------------------


def test_settings_turn_it_off_with_password_and_code(client, student, enrol, login_with_code, code):
    secret = enrol(student)
    login_with_code(student, secret)
    response = client.post(
        "/account/two-factor/disable",
        data={"disable-password": "a long test passphrase", "disable-code": code(secret, 1)},
    )
    assert response.headers["Location"] == "/account/two-factor"
    assert not services.is_enrolled(student)


def test_turning_it_off_with_a_wrong_password_fails(client, student, enrol, login_with_code, code):
    secret = enrol(student)
    login_with_code(student, secret)
    response = client.post(
        "/account/two-factor/disable",
        data={"disable-password": "not it at all", "disable-code": code(secret, 1)},
    )
    assert response.status_code == 400
    assert services.is_enrolled(student)


@REQUIRED
def test_required_staff_are_not_offered_to_turn_it_off(
    client, instructor, enrol, login_with_code, code
):
    secret = enrol(instructor)
    login_with_code(instructor, secret)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "disable-password" not in page
    assert "cannot be turned" in page
    response = client.post(
        "/account/two-factor/disable",
        data={"disable-password": "a long test passphrase", "disable-code": code(secret, 1)},
    )
    assert response.headers["Location"] == "/account/two-factor"
    assert services.is_enrolled(instructor)


def test_new_recovery_codes_are_shown_once(client, student, enrol, login_with_code, password):
    secret = enrol(student)
    login_with_code(student, secret)
    response = client.post(
        "/account/two-factor/recovery-codes", data={"regenerate-password": password}
    )
    assert response.status_code == 200
    assert len(re.findall(r"<code>[a-z2-7-]{19}</code>", response.get_data(as_text=True))) == 10
    assert b"Recovery codes left</dt><dd>10 of 10" in client.get("/account/two-factor").data


# --- the lost-phone path --------------------------------------------------------------------


@REQUIRED
def test_admin_resets_a_lost_phone(db, app, client, admin, instructor, enrol, login_with_code):
    secret = enrol(admin)
    enrol(instructor)
    login_with_code(admin, secret)
    page = client.get(f"/admin/users/{instructor.id}").get_data(as_text=True)
    assert "Reset two-factor sign-in" in page
    response = client.post(
        f"/admin/users/{instructor.id}/two-factor/reset",
        data={"two-factor-reason": "lost phone; called back on the staff number"},
    )
    assert response.status_code == 302
    assert not services.is_enrolled(instructor)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset")
    ).one()
    assert (event.actor_id, event.target_id) == (admin.id, str(instructor.id))
    # The instructor signs in with the password and is sent to set it up again.
    other = app.test_client()
    assert AuthActions(other).login(instructor).headers["Location"] == "/"
    assert other.get("/instruct").headers["Location"] == "/account/two-factor/setup"


def test_the_reset_needs_a_reason(client, admin, student, enrol, login):
    enrol(student)
    login(admin)
    response = client.post(f"/admin/users/{student.id}/two-factor/reset", data={})
    assert response.status_code == 400
    assert services.is_enrolled(student)


def test_admins_cannot_reset_their_own(client, admin, enrol, login_with_code):
    secret = enrol(admin)
    login_with_code(admin, secret)
    client.post(f"/admin/users/{admin.id}/two-factor/reset", data={"two-factor-reason": "mine"})
    assert services.is_enrolled(admin)


def test_cli_resets_two_factor_with_an_audit_entry(db, runner, student, enrol):
    enrol(student)
    result = runner.invoke(
        args=["users", "reset-two-factor", "--email", student.email, "--reason", "lost phone"]
    )
    assert result.exit_code == 0, result.output
    assert "is reset" in result.output
    assert not services.is_enrolled(student)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset")
    ).one()
    assert event.actor_id is None
    assert event.details == {"reason": "lost phone"}


def test_cli_reset_fails_for_an_account_without_it(runner, student):
    result = runner.invoke(
        args=["users", "reset-two-factor", "--email", student.email, "--reason", "x"]
    )
    assert result.exit_code != 0
    assert "no two-factor sign-in" in result.output
