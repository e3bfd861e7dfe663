"""Password reset links end with the account state they were issued for (issue 13, item 6).

A link is bound to the account's password hash, session generation, role, e-mail and status
when it was issued, so whatever changes one of them (a used link, a password change by any
path, deactivation, a role change, anonymisation, "log out everywhere") ends every link.
"""

from __future__ import annotations

import pytest

from learnapp.auth import services
from learnapp.auth.models import Role
from learnapp.extensions import db

NEW = {"new_password": "my fresh passphrase", "confirm": "my fresh passphrase"}


def links(user, count=2):
    tokens = [services.issue_reset_token(user) for _ in range(count)]
    db.session.commit()
    return tokens


def is_open(client, token) -> bool:
    status = client.get(f"/reset/{token}").status_code
    assert status in (200, 404)
    return status == 200


def test_a_fresh_link_opens(client, student):
    (token,) = links(student, 1)
    assert is_open(client, token)


def test_using_one_link_ends_the_others(client, student):
    first, second = links(student)
    assert client.post(f"/reset/{first}", data=NEW).status_code == 302
    assert not is_open(client, second)
    again = {"new_password": "another fresh passphrase", "confirm": "another fresh passphrase"}
    assert client.post(f"/reset/{second}", data=again).status_code == 404
    db.session.expire_all()
    assert services.authenticate(student.email, "my fresh passphrase") is not None


def test_changing_the_password_ends_every_link(client, login, student, password):
    first, second = links(student)
    login(student)
    response = client.post(
        "/account",
        data={
            "password-current_password": password,
            "password-new_password": "a changed passphrase",
            "password-confirm": "a changed passphrase",
            "password-submit": "1",
        },
    )
    assert response.status_code == 302
    assert not is_open(client, first)
    assert not is_open(client, second)


def test_setting_the_password_ends_every_link(client, student):
    (token,) = links(student, 1)
    services.set_password(student, "an admin chosen passphrase")
    db.session.commit()
    assert not is_open(client, token)


def test_a_password_changed_by_any_path_ends_every_link(client, student):
    """Even a path that forgets the session generation (a script, a future service)."""
    (token,) = links(student, 1)
    student.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
    db.session.commit()
    assert not is_open(client, token)


def test_deactivation_ends_links_for_good(client, student):
    (token,) = links(student, 1)
    services.set_active(student, False)
    db.session.commit()
    assert not is_open(client, token)
    services.set_active(student, True)
    db.session.commit()
    assert not is_open(client, token)


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.ADMIN])
def test_a_role_change_ends_every_link(client, student, role):
    (token,) = links(student, 1)
    services.set_role(student, role)
    db.session.commit()
    assert not is_open(client, token)


def test_a_role_changed_by_any_path_ends_every_link(client, student):
    (token,) = links(student, 1)
    student.role = Role.ADMIN.value
    db.session.commit()
    assert not is_open(client, token)


def test_anonymisation_ends_every_link(client, student, admin):
    from learnapp.privacy.services import anonymise_user

    (token,) = links(student, 1)
    anonymise_user(student, actor=admin, reason="holder's request")
    db.session.commit()
    assert not is_open(client, token)


def test_logging_out_everywhere_ends_every_link(client, auth, student):
    """Logout ends all of the account's sessions; a pending link goes with them."""
    auth.login(student)
    (token,) = links(student, 1)
    auth.logout()
    assert not is_open(client, token)


def test_a_link_posted_after_the_account_changed_sets_nothing(client, student, password):
    """The check also holds when the form was opened before the change."""
    (token,) = links(student, 1)
    assert is_open(client, token)
    services.set_role(student, Role.INSTRUCTOR)
    db.session.commit()
    assert client.post(f"/reset/{token}", data=NEW).status_code == 404
    db.session.expire_all()
    assert services.authenticate(student.email, password) is not None


def test_links_used_at_once_set_one_password(app, threaded_server, student):
    """Ten links of one account posted in parallel: one sets the password, nine are refused."""
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    from tests.conftest import _NoRedirect

    tokens = links(student, 10)
    opener = urllib.request.build_opener(_NoRedirect)
    barrier = threading.Barrier(len(tokens))
    statuses: list[int] = []

    def use(number: int, token: str) -> None:
        phrase = f"parallel passphrase number {number}"
        data = urllib.parse.urlencode({"new_password": phrase, "confirm": phrase}).encode()
        request = urllib.request.Request(  # noqa: S310 - the test server on 127.0.0.1
            f"{threaded_server}/reset/{token}", data=data, method="POST"
        )
        barrier.wait()
        try:
            with opener.open(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=use, args=pair) for pair in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [302] + [404] * 9
    db.session.expire_all()
    assert db.session.get(type(student), student.id).session_generation == 1
