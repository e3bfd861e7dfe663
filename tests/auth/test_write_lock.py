"""Password hashing and verifying (argon2, most of a second) never hold SQLite's write lock.

Each hash and verify is wrapped to try ``BEGIN IMMEDIATE`` from a second connection with no
wait: it fails while the request holds the write lock, as every POST's transaction does.
"""

from __future__ import annotations

import sqlite3

import pytest

from learnapp.auth import services
from learnapp.auth.models import User
from learnapp.extensions import db
from tests.auth.test_routes import change_password, register


def _write_lock_is_free() -> bool:
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


@pytest.fixture
def lock_free_during(app, monkeypatch):
    """Record, per password hash and verify in the auth services, whether the lock was free."""
    if db.engine.dialect.name != "sqlite" or db.engine.url.database in (None, "", ":memory:"):
        pytest.skip("needs a file SQLite database")
    seen: list[tuple[str, bool]] = []

    def spy(name, real):
        def wrapped(*args, **kwargs):
            seen.append((name, _write_lock_is_free()))
            return real(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(services, "verify_password", spy("verify", services.verify_password))
    monkeypatch.setattr(services, "hash_password", spy("hash", services.hash_password))
    return seen


def test_the_spy_sees_a_held_write_lock(app, student, lock_free_during):
    """The check itself works: inside a POST's (IMMEDIATE) transaction the lock is taken."""
    db.session.get(User, student.id)  # begins IMMEDIATE outside requests too
    services.verify_password(student.password_hash, "x")
    db.session.rollback()
    assert lock_free_during == [("verify", False)]


def test_login_verifies_without_the_write_lock(auth, client, student, lock_free_during):
    assert auth.login(student).status_code == 302
    assert lock_free_during == [("verify", True)]
    assert b"Sam Student" in client.get("/").data
    assert db.session.get(User, student.id).last_login_at is not None


def test_failed_logins_verify_without_the_write_lock(auth, student, lock_free_during):
    assert auth.login(student, "the wrong passphrase").status_code == 200
    # Unknown account: the dummy verify (timing equalisation) runs unlocked too.
    assert auth.login("nobody@example.com", "a long test passphrase").status_code == 200
    assert [free for name, free in lock_free_during if name == "verify"] == [True, True]


def test_login_with_a_stale_session_cookie_still_verifies_unlocked(
    app, auth, client, student, lock_free_during
):
    """A session naming a user makes the user loader query (and lock) before the view runs."""
    auth.login(student)
    services.end_other_sessions(student)  # the cookie's generation is now stale
    db.session.commit()
    lock_free_during.clear()
    assert auth.login(student).status_code == 302
    assert lock_free_during == [("verify", True)]


def test_deactivated_account_is_still_refused(auth, make_user, lock_free_during):
    user = make_user(is_active=False)
    assert auth.login(user).status_code == 200
    assert b"not correct" in auth.login(user).data


def test_password_changed_during_login_is_checked_again(auth, student, monkeypatch):
    """The hash verified outside the transaction is compared with the row's current one."""
    real_verify = services.verify_password
    student_id = student.id
    calls = []

    def verify_then_change(password_hash, password, profile="strong"):
        calls.append(password_hash)
        if len(calls) == 1:  # another request changes the password meanwhile
            services.set_password(db.session.get(User, student_id), "a completely new phrase")
            db.session.commit()
        return real_verify(password_hash, password, profile)

    monkeypatch.setattr(services, "verify_password", verify_then_change)
    response = auth.login(student)
    assert response.status_code == 200
    assert b"not correct" in response.data
    assert len(calls) == 2


def test_rehash_on_login_hashes_without_the_write_lock(app, auth, make_user, lock_free_during):
    from learnapp.auth.passwords import hash_password

    user = make_user()
    user.password_hash = hash_password("a long test passphrase", "strong")  # another profile
    db.session.commit()
    lock_free_during.clear()
    assert auth.login(user).status_code == 302
    assert lock_free_during == [("verify", True), ("hash", True)]
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$v=19$m=8,")


def test_registration_hashes_without_the_write_lock(client, lock_free_during):
    assert register(client).status_code == 302
    assert lock_free_during == [("hash", True)]


def test_password_change_hashes_without_the_write_lock(login, student, client, lock_free_during):
    login(student)
    lock_free_during.clear()
    assert change_password(client).status_code == 302
    assert lock_free_during == [("verify", True), ("hash", True)]


def test_password_reset_hashes_without_the_write_lock(
    app, client, student, auth_for, lock_free_during
):
    token = services.issue_reset_token(student)
    db.session.commit()
    data = {"new_password": "my fresh passphrase", "confirm": "my fresh passphrase"}
    assert client.post(f"/reset/{token}", data=data).status_code == 302
    assert lock_free_during == [("hash", True)]
    assert client.post(f"/reset/{token}", data=data).status_code == 404
    assert auth_for(app.test_client()).login(student, "my fresh passphrase").status_code == 302


def test_reset_link_used_while_hashing_is_refused(app, client, student, monkeypatch):
    token = services.issue_reset_token(student)
    db.session.commit()
    real_hash = services.hash_password
    data = {"new_password": "my fresh passphrase", "confirm": "my fresh passphrase"}

    def hash_while_another_request_uses_the_link(password, profile="strong"):
        monkeypatch.setattr(services, "hash_password", real_hash)
        assert app.test_client().post(f"/reset/{token}", data=data).status_code == 302
        return real_hash(password, profile)

    monkeypatch.setattr(services, "hash_password", hash_while_another_request_uses_the_link)
    assert client.post(f"/reset/{token}", data=data).status_code == 404


def test_password_change_refused_if_sessions_ended_while_hashing(
    app, login, student, client, monkeypatch
):
    login(student)
    student_id = student.id
    real_hash = services.hash_password

    def hash_while_an_admin_ends_the_sessions(password, profile="strong"):
        monkeypatch.setattr(services, "hash_password", real_hash)
        services.end_other_sessions(db.session.get(User, student_id))
        db.session.commit()
        return real_hash(password, profile)

    monkeypatch.setattr(services, "hash_password", hash_while_an_admin_ends_the_sessions)
    response = change_password(client)
    assert response.status_code == 400
    assert b"changed meanwhile" in response.data
    assert client.get("/account").status_code == 302  # this session ended too
