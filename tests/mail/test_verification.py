"""E-mail verification at registration: required, optional or off."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from learnapp.auth.models import User
from learnapp.database import utcnow
from learnapp.extensions import db
from tests.mail.conftest import sent

PASSWORD = "a long test passphrase"


def register(client, email="new@example.com"):
    data = {"email": email, "display_name": "Nia New", "password": PASSWORD, "confirm": PASSWORD}
    return sent(client.post("/register", data=data))


def verify_link(mail):
    [link] = [url for url in mail.links() if "/verify-email/" in url]
    return link.removeprefix("http://learnapp.test")


def new_user():
    return db.session.scalar(select(User).filter_by(email="new@example.com"))


@pytest.mark.app_config(MAIL_VERIFICATION="required")
def test_required_an_unverified_account_reaches_only_the_page_asking_to_verify(client, inbox):
    response = register(client)
    assert response.headers["Location"] == "/verify-email"
    page = client.get("/verify-email").get_data(as_text=True)
    assert "Confirm your e-mail address" in page
    assert "new@example.com" in page
    for path in ("/", "/courses", "/account", "/account/notifications"):
        assert client.get(path).headers.get("Location") == "/verify-email", path
    assert client.post("/courses/basics/certificate").headers["Location"] == "/verify-email"

    [mail] = inbox.received
    assert mail.recipients == ["new@example.com"]
    assert mail.subject == "Confirm your e-mail address"
    link = verify_link(mail)

    # Opened in another browser, logged out: it verifies the address all the same.
    other = client.application.test_client()
    assert other.get(link).headers["Location"] == "/login"
    assert new_user().email_verified_at is not None
    assert client.get("/courses").status_code == 200
    assert client.get("/verify-email").headers["Location"] == "/"


@pytest.mark.app_config(MAIL_VERIFICATION="required", VERIFICATION_RESEND_LIMITS="2/hour")
def test_resend_sends_a_new_link_and_is_limited(client, inbox):
    register(client)
    statuses = [sent(client.post("/verify-email/resend")).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(inbox.received) == 3
    assert all(mail.recipients == ["new@example.com"] for mail in inbox.received)
    assert client.get(verify_link(inbox.received[-1])).status_code == 302
    assert new_user().email_verified_at is not None


@pytest.mark.app_config(MAIL_VERIFICATION="required", MAIL_VERIFICATION_HOURS=1)
def test_an_expired_or_forged_link_does_not_verify(client, inbox):
    register(client)
    link = verify_link(inbox.received[0])
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=False):
        assert client.get(link).status_code == 404
    assert client.get(link[:-3] + "abc").status_code == 404
    assert new_user().email_verified_at is None


@pytest.mark.app_config(MAIL_VERIFICATION="required")
def test_a_link_sent_to_an_old_address_does_not_verify_the_new_one(client, inbox):
    register(client)
    link = verify_link(inbox.received[0])
    user = new_user()
    user.email = "changed@example.com"
    db.session.commit()
    assert client.get(link).status_code == 404


@pytest.mark.app_config(MAIL_VERIFICATION="optional")
def test_optional_mails_a_link_but_lets_the_account_in(client, inbox):
    assert register(client).headers["Location"] == "/"
    assert client.get("/courses").status_code == 200
    page = client.get("/account").get_data(as_text=True)
    assert "This address is not confirmed yet." in page
    assert "Send the link again" in page
    assert len(inbox.received) == 1
    client.get(verify_link(inbox.received[0]))
    assert "not confirmed" not in client.get("/account").get_data(as_text=True)


@pytest.mark.app_config(MAIL_VERIFICATION="off")
def test_off_sends_nothing(client, inbox):
    assert register(client).headers["Location"] == "/"
    assert client.get("/verify-email").headers["Location"] == "/"
    assert inbox.received == []


@pytest.mark.app_config(MAIL_VERIFICATION="required")
def test_accounts_made_by_staff_are_verified(client, inbox, student, login):
    login(student)
    assert client.get("/courses").status_code == 200


@pytest.mark.app_config(MAIL_VERIFICATION="required")
def test_an_unverified_account_can_log_out_and_in_again(client, inbox, auth):
    register(client)
    assert client.post("/logout").headers["Location"] == "/"
    assert client.get("/courses").status_code == 200  # as a visitor
    assert auth.login("new@example.com", PASSWORD).status_code == 302
    assert client.get("/courses").headers["Location"] == "/verify-email"
