""" "Forgot password?": a reset link by e-mail, the same answer for every address, limited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from learnapp.auth.models import PasswordResetToken
from learnapp.extensions import db
from tests.mail.conftest import sent

NEW_PASSWORD = "another long passphrase"


def ask(client, email):
    return sent(client.post("/forgot-password", data={"email": email}))


def reset_link(mail):
    [link] = [url for url in mail.links() if "/reset/" in url]
    return link.removeprefix("http://learnapp.test")


def test_the_login_form_links_to_forgot_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page
    assert "Forgot password?" in page


def test_a_known_and_an_unknown_address_get_the_same_answer_and_only_one_gets_mail(
    client, inbox, student
):
    known = ask(client, "Student@Example.com")
    unknown = ask(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    strip = lambda r, email: r.get_data(as_text=True).replace(email, "EMAIL")  # noqa: E731
    assert strip(known, "Student@Example.com") == strip(unknown, "nobody@example.com")
    assert "Check your e-mail" in known.get_data(as_text=True)
    [mail] = inbox.received
    assert mail.recipients == ["student@example.com"]
    assert mail.subject == "Reset your password"
    assert re.search(r"http://learnapp\.test/reset/[\w-]{43}", mail.text)
    assert reset_link(mail) in mail.html


def test_a_deactivated_account_gets_no_mail(client, inbox, make_user):
    make_user(email="gone@example.com", is_active=False)
    assert ask(client, "gone@example.com").status_code == 200
    assert inbox.received == []


def test_the_mailed_link_sets_a_new_password_once_and_ends_the_other_links(
    client, inbox, student, auth
):
    ask(client, student.email)
    ask(client, student.email)
    first, second = (reset_link(mail) for mail in inbox.received)
    assert first != second

    assert client.get(second).status_code == 200
    response = client.post(second, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    assert client.get(second).status_code == 404  # used
    assert client.get(first).status_code == 404  # the password changed: every link ends
    assert auth.login(student.email, NEW_PASSWORD).status_code == 302


def test_changing_the_password_ends_a_mailed_link(client, inbox, student, password):
    from learnapp.auth import services

    ask(client, student.email)
    link = reset_link(inbox.received[0])
    services.change_password(student, password, NEW_PASSWORD)
    db.session.commit()
    assert client.get(link).status_code == 404


def test_the_token_is_stored_hashed_and_the_sent_body_is_blanked(client, inbox, student):
    from learnapp.mail.models import OutboxMessage

    ask(client, student.email)
    token = reset_link(inbox.received[0]).rsplit("/", 1)[1]
    row = db.session.scalar(select(PasswordResetToken))
    assert row.token_hash != token
    mail = db.session.scalar(select(OutboxMessage))
    assert token not in mail.text_body + mail.html_body


@pytest.mark.app_config(FORGOT_PASSWORD_LIMITS_PER_ACCOUNT="2/hour")
def test_limited_per_address_the_same_way_whether_or_not_it_has_an_account(client, inbox, student):
    for email in (student.email, "nobody@example.com"):
        assert [ask(client, email).status_code for _ in range(3)] == [200, 200, 429]
    assert len(inbox.received) == 2


@pytest.mark.app_config(FORGOT_PASSWORD_LIMITS_PER_ADDRESS="3/minute")
def test_limited_per_client_ip(client, inbox):
    statuses = [ask(client, f"someone{n}@example.com").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_malformed_address_is_shown_the_form_again(client, inbox):
    response = client.post("/forgot-password", data={"email": "not an address"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert inbox.received == []
