"""The e-mail pages in a browser, with axe: forgot password, e-mail preferences, confirming
the address, unsubscribe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from learnapp.auth.models import User
from learnapp.extensions import db
from learnapp.mail import notices

VIEWPORT_SIZES = ["desktop", "phone"]
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def log_in(page: Page, account) -> None:
    token = CSRF_INPUT.search(page.request.get("/login").text())
    assert token, "no CSRF token on /login"
    response = page.request.post(
        "/login",
        form={"csrf_token": token.group(1), "email": account.email, "password": account.password},
        max_redirects=0,
    )
    assert response.status == 302, response.text()


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_forgot_password_from_the_login_form(
    page: Page, student_account, assert_accessible, console_guard, viewport: str
) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_title(re.compile("^Forgot password"))
    assert_accessible(page)

    page.get_by_role("button", name="Send reset link").click()  # empty: an announced error
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.get_by_label("E-mail").fill(student_account.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(student_account.email)
    assert_accessible(page)
    console_guard.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_preferences_page_saves_the_choices(
    page: Page, student_account, assert_accessible, console_guard, viewport: str
) -> None:
    log_in(page, student_account)
    page.goto("/account")
    page.get_by_role("link", name="E-mail preferences").click()
    expect(page).to_have_title(re.compile("^E-mail preferences"))
    assert_accessible(page)

    digest = page.get_by_label("A daily reminder when practice questions are due for review")
    expect(digest).not_to_be_checked()
    digest.check()
    page.get_by_label("When a certificate is issued to me").uncheck()
    page.get_by_role("button", name="Save preferences").click()

    expect(page.get_by_role("status")).to_contain_text("Your e-mail preferences have been saved.")
    expect(digest).to_be_checked()
    expect(page.get_by_label("When a certificate is issued to me")).not_to_be_checked()
    assert_accessible(page)
    console_guard.assert_clean()


def test_unsubscribe_page_works_logged_out(
    page: Page, app, student_account, assert_accessible, console_guard
) -> None:
    user = db.session.scalar(db.select(User).filter_by(email=student_account.email))
    token = notices.unsubscribe_token(user, notices.Notice.ATTEMPT_GRADED)
    db.session.commit()  # the live server's requests need SQLite's write lock
    page.goto(f"/unsubscribe/{token}")
    assert_accessible(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert_accessible(page)
    console_guard.assert_clean()


@pytest.mark.app_config(MAIL_VERIFICATION="required")
def test_the_page_asking_to_confirm_the_address(
    page: Page, assert_accessible, console_guard
) -> None:
    page.goto("/register")
    page.get_by_label("E-mail").fill("nora@example.com")
    page.get_by_label("Full name").fill("Nora Newcomer")
    page.get_by_label("Password", exact=True).fill("plum kettle harbour seven")
    page.get_by_label("Repeat password").fill("plum kettle harbour seven")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/verify-email$"))
    expect(page.get_by_role("heading", name="Confirm your e-mail address")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a new link to nora@example.com")
    assert_accessible(page)
    console_guard.assert_clean()
