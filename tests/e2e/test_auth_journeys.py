"""Account journeys in a real browser: register, log out and in, errors, keyboard, phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

NEW_NAME = "Nora Newcomer"
NEW_EMAIL = "nora@example.com"
NEW_PASSWORD = "plum kettle harbour seven"


def header(page: Page):
    return page.locator("header.site-header")


def log_in_through_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def register_through_form(page: Page) -> None:
    page.get_by_label("E-mail").fill(NEW_EMAIL)
    page.get_by_label("Full name").fill(NEW_NAME)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_visitor_registers_logs_out_and_logs_back_in(page: Page) -> None:
    page.goto("/")
    header(page).get_by_role("link", name="Register").click()
    expect(page).to_have_title(re.compile("^Create an account"))

    register_through_form(page)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    account_menu = header(page).locator("details.menu")
    expect(account_menu.locator("summary")).to_have_text(NEW_NAME)

    account_menu.locator("summary").click()
    expect(account_menu).to_have_attribute("open", "")
    account_menu.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("status")).to_contain_text("You have been logged out.")
    expect(header(page).get_by_text(NEW_NAME)).to_have_count(0)

    header(page).get_by_role("link", name="Log in").click()
    log_in_through_form(page, NEW_EMAIL, NEW_PASSWORD)

    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {NEW_NAME}.")
    expect(header(page).locator("details.menu summary")).to_have_text(NEW_NAME)


def test_wrong_password_shows_an_announced_field_error(page: Page, student_account) -> None:
    page.goto("/login")
    log_in_through_form(page, student_account.email, "not the right passphrase")

    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields.")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile(r"\bpassword-error\b"))
    expect(password).to_have_accessible_description(
        "The e-mail address or password is not correct."
    )
    expect(page.get_by_label("E-mail")).to_have_value(student_account.email)
    expect(header(page).get_by_role("link", name="Log in")).to_be_visible()


def test_register_form_errors_are_announced(page: Page) -> None:
    page.goto("/register")
    page.get_by_label("E-mail").fill(NEW_EMAIL)
    page.get_by_label("Full name").fill(NEW_NAME)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat password").fill(NEW_PASSWORD + " typo")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields.")
    confirm = page.get_by_label("Repeat password")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(confirm).to_have_accessible_description("The passwords do not match.")
    # The help text stays linked next to no error: only the wrong field is marked invalid.
    expect(page.get_by_label("Full name")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_accessible_description(
        "Printed on your certificates."
    )


def active_element(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => {
             const el = document.activeElement;
             return {tag: el.tagName.toLowerCase(), id: el.id, text: el.textContent.trim()};
           }"""
    )


def test_keyboard_only_login(page: Page, student_account) -> None:
    page.goto("/login")

    page.keyboard.press("Tab")
    assert active_element(page)["text"] == "Skip to main content"
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert active_element(page)["id"] == "main"

    page.keyboard.press("Tab")
    assert active_element(page)["id"] == "email"
    page.keyboard.type(student_account.email)
    page.keyboard.press("Tab")
    assert active_element(page)["id"] == "password"
    page.keyboard.type(student_account.password)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text(
        f"Welcome back, {student_account.display_name}."
    )
    expect(header(page).locator("details.menu summary")).to_have_text(student_account.display_name)


def test_account_menu_works_with_the_keyboard(page: Page, student_account) -> None:
    page.goto("/login")
    log_in_through_form(page, student_account.email, student_account.password)
    summary = header(page).locator("details.menu summary")
    expect(summary).to_be_visible()
    # The menu is visible before the deferred app.js has run; Escape needs its handler.
    page.wait_for_load_state("load")

    summary.focus()
    page.keyboard.press("Enter")
    menu = header(page).locator("details.menu")
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")  # app.js closes the menu and returns focus to its toggle
    expect(menu).not_to_have_attribute("open", "")
    assert active_element(page)["tag"] == "summary"

    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")  # wait for it before moving on (slow machines)
    focused = page.locator(":focus")
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Account settings")
    page.keyboard.press("Tab")
    expect(focused).to_have_text("Log out")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("You have been logged out.")


# --- phone ---------------------------------------------------------------------------------------


def assert_fits_viewport(page: Page, has_horizontal_scroll) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert width == 390
    assert not has_horizontal_scroll(page), (
        f"{page.url} scrolls sideways: scrollWidth "
        f"{page.evaluate('document.scrollingElement.scrollWidth')} > {width}"
    )


def assert_within_viewport(page: Page, locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box["x"] >= 0, f"{locator} starts left of the screen: {box}"
    assert box["x"] + box["width"] <= width, f"{locator} ends right of the screen: {box}"


@pytest.mark.parametrize("viewport", ["phone"])
def test_phone_home_and_login_fit_and_register_works(page: Page, has_horizontal_scroll) -> None:
    page.goto("/")
    assert_fits_viewport(page, has_horizontal_scroll)
    assert_within_viewport(page, header(page).get_by_role("link", name="LearnApp"))
    assert_within_viewport(page, header(page).get_by_role("link", name="Log in"))
    assert_within_viewport(page, header(page).get_by_role("link", name="Register"))

    header(page).get_by_role("link", name="Log in").click()
    expect(page).to_have_title(re.compile("^Log in"))
    assert_fits_viewport(page, has_horizontal_scroll)
    assert_within_viewport(page, page.get_by_role("button", name="Log in"))

    header(page).get_by_role("link", name="Register").click()
    assert_fits_viewport(page, has_horizontal_scroll)
    register_through_form(page)

    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    assert_fits_viewport(page, has_horizontal_scroll)
    summary = header(page).locator("details.menu summary")
    assert_within_viewport(page, summary)
    summary.click()
    assert_within_viewport(page, header(page).get_by_role("link", name="Account settings"))
    assert_within_viewport(page, header(page).get_by_role("button", name="Log out"))
    header(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have been logged out.")


@pytest.mark.parametrize("viewport", ["phone"])
def test_phone_admin_nav_and_pages_fit(
    page: Page, admin_account, student_account, has_horizontal_scroll
) -> None:
    page.goto("/login")
    log_in_through_form(page, admin_account.email, admin_account.password)
    assert_fits_viewport(page, has_horizontal_scroll)

    admin_link = header(page).get_by_role("link", name="Admin")
    assert_within_viewport(page, admin_link)
    admin_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    assert_fits_viewport(page, has_horizontal_scroll)

    page.get_by_role("link", name=student_account.email).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(student_account.display_name)
    assert_fits_viewport(page, has_horizontal_scroll)

    page.goto("/account")
    assert_fits_viewport(page, has_horizontal_scroll)
