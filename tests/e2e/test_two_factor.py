"""Two-factor sign-in in a real browser: a required admin sets it up, then logs in with a code.

The codes are computed with pyotp from the setup key the page shows, as an authenticator app
would. Every page of the journey passes axe, its error state included.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.app_config(TWO_FACTOR_REQUIRED_ROLES="admin,instructor")


def log_in_through_form(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_admin_sets_up_two_factor_then_logs_in_with_a_code(
    page: Page, admin_account, assert_accessible
) -> None:
    log_in_through_form(page, admin_account.email, admin_account.password)

    # Required and not set up: every page leads to the setup.
    expect(page).to_have_url(re.compile(r"/account/two-factor/setup$"))
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/account/two-factor/setup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator("figure svg.qr-code")).to_be_visible()
    assert_accessible(page)

    code = page.get_by_label("Authentication code")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    totp = pyotp.TOTP(page.locator("#setup-key").inner_text().replace(" ", ""))
    code.fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator("ol.recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("Recovery codes left")).to_be_visible()
    assert_accessible(page)

    page.locator("header.site-header details.menu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have been logged out.")

    log_in_through_form(page, admin_account.email, admin_account.password)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    assert_accessible(page)

    # A wrong code is announced on the field.
    field = page.get_by_label("Authentication code")
    accepted = {totp.at(time.time() + 30 * steps) for steps in range(-2, 3)}
    field.fill(next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in accepted))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields.")
    field = page.get_by_label("Authentication code")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # The setup code was used; the app's next one signs in.
    field.fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Welcome back, {admin_account.display_name}."
    )
    page.goto("/admin/users")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Users"))


@pytest.mark.parametrize("viewport", ["phone"])
def test_setup_page_fits_a_phone(
    page: Page, admin_account, assert_accessible, has_horizontal_scroll
) -> None:
    log_in_through_form(page, admin_account.email, admin_account.password)
    expect(page).to_have_url(re.compile(r"/account/two-factor/setup$"))
    expect(page.locator("figure svg.qr-code")).to_be_visible()
    assert not has_horizontal_scroll(page)
    assert_accessible(page)
