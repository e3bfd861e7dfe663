import re

from learnapp.auth.models import PasswordResetToken, User
from learnapp.extensions import db


def register(client, **fields):
    data = {
        "email": "new@example.com",
        "display_name": "Nora New",
        "password": "a brand new passphrase",
        "confirm": "a brand new passphrase",
        **fields,
    }
    return client.post("/register", data=data)


def test_register_creates_a_student_and_logs_in(client):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="new@example.com"))
    assert user.role == "student"
    assert user.password_hash.startswith("$argon2id$")
    assert b"Nora New" in client.get("/").data


def test_register_normalises_email_case(client):
    register(client, email="  MiXed@Example.COM ")
    assert db.session.scalar(db.select(User.email)) == "mixed@example.com"


def test_register_rejects_duplicate_email_with_a_field_error(client, student):
    response = register(client, email="Student@example.com")
    assert response.status_code == 400
    assert b"already exists" in response.data
    assert b'aria-invalid="true"' in response.data


def test_register_rejects_common_password(client):
    response = register(client, password="password123", confirm="password123")
    assert response.status_code == 400
    assert b"too common" in response.data


def test_register_rejects_mismatched_confirmation(client):
    response = register(client, confirm="something else entirely")
    assert response.status_code == 400
    assert b"do not match" in response.data


def test_login_and_logout(auth, client, student):
    assert auth.login(student).status_code == 302
    assert b"Sam Student" in client.get("/").data
    assert auth.logout().status_code == 302
    assert b"Sam Student" not in client.get("/").data


def test_login_error_does_not_reveal_whether_account_exists(auth, student):
    unknown = auth.login("nobody@example.com", "a long test passphrase")
    wrong = auth.login(student, "the wrong passphrase")
    assert unknown.status_code == wrong.status_code == 200
    message = b"The e-mail address or password is not correct."
    assert message in unknown.data
    assert message in wrong.data

    def normalise(body: bytes) -> bytes:
        for email in (b"nobody@example.com", b"student@example.com"):
            body = body.replace(email, b"")
        return re.sub(rb'value="[^"]*"', b"", body)

    assert normalise(unknown.data) == normalise(wrong.data)


def test_deactivated_user_cannot_log_in(auth, make_user):
    user = make_user(is_active=False)
    response = auth.login(user)
    assert response.status_code == 200
    assert b"not correct" in response.data


def test_login_redirects_to_safe_next(student, client, password):
    response = client.post(
        "/login?next=/account", data={"email": student.email, "password": password}
    )
    assert response.headers["Location"] == "/account"


def test_remember_me_sets_a_long_lived_httponly_cookie(auth, student, client):
    auth.login(student, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.expires is not None


def test_login_starts_a_fresh_session(auth, client, student):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("session").value
    auth.login(student)
    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_required_redirects_to_login_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_is_post_only(client):
    assert client.get("/logout").status_code == 405


def test_display_name_can_be_changed(login, student, client):
    login(student)
    response = client.post(
        "/account", data={"profile-display_name": "Samira Student", "profile-submit": "Save name"}
    )
    assert response.status_code == 302
    db.session.refresh(student)
    assert student.display_name == "Samira Student"


def test_display_name_cannot_be_empty(login, student, client):
    login(student)
    response = client.post("/account", data={"profile-display_name": "", "profile-submit": "1"})
    assert response.status_code == 400
    assert b"This field is required" in response.data


def change_password(client, current="a long test passphrase", new="another long passphrase"):
    return client.post(
        "/account",
        data={
            "password-current_password": current,
            "password-new_password": new,
            "password-confirm": new,
            "password-submit": "Change password",
        },
    )


def test_change_password_requires_current_password(login, student, client):
    login(student)
    response = change_password(client, current="not my password")
    assert response.status_code == 400
    assert b"current password is not correct" in response.data


def test_change_password_keeps_this_session_and_ends_others(app, login, student, client, auth_for):
    other = app.test_client()
    auth_for(other).login(student)
    assert b"Sam Student" in other.get("/").data
    login(student)
    assert change_password(client).status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    assert auth_for(app.test_client()).login(student, "another long passphrase").status_code == 302


def test_logout_ends_other_sessions_and_old_cookie_is_dead(app, auth, client, student, auth_for):
    auth.login(student)
    stolen = client.get_cookie("session").value
    other = app.test_client()
    auth_for(other).login(student)
    auth.logout()
    assert other.get("/account").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/account").status_code == 302  # sent to the login page


def test_deactivation_ends_sessions(app, login, student, client):
    from learnapp.auth import services

    login(student)
    services.set_active(student, False)
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_reset_link_sets_password_once(app, client, student, auth_for):
    from learnapp.auth import services

    token = services.issue_reset_token(student)
    db.session.commit()
    url = f"/reset/{token}"
    assert client.get(url).status_code == 200
    data = {"new_password": "my fresh passphrase", "confirm": "my fresh passphrase"}
    assert client.post(url, data=data).status_code == 302
    assert client.get(url).status_code == 404
    assert client.post(url, data=data).status_code == 404
    assert auth_for(app.test_client()).login(student, "my fresh passphrase").status_code == 302


def test_expired_reset_link_is_refused(client, student):
    from datetime import timedelta

    from learnapp.auth import services
    from learnapp.database import utcnow

    token = services.issue_reset_token(student)
    row = db.session.scalar(db.select(PasswordResetToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/reset/{token}").status_code == 404


def test_unknown_reset_link_is_404(client):
    assert client.get("/reset/not-a-token").status_code == 404
