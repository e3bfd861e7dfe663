"""The Spanish interface in a real browser: axe (WCAG A/AA) on Spanish pages, the page's
``lang``, and the attempt page's script speaking Spanish (its messages come from the page)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from learnapp.auth.models import User
from learnapp.extensions import db

pytestmark = pytest.mark.usefixtures("synced_courses")

SPANISH_PAGES = [
    ("/courses", "Cursos"),
    ("/courses/basics", "Course basics"),
    ("/courses/basics/lessons/basics-intro", "Introduction"),
    ("/dashboard", "Tu panel"),
    ("/practice", "Repasar mis errores"),
    ("/account", "Ajustes de la cuenta"),
]


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    """A browser whose preferred language is Spanish (Accept-Language: es-ES)."""
    return {**browser_context_args, "locale": "es-ES"}


def test_spanish_pages_are_accessible(
    page: Page, log_in, student_account, assert_accessible, console_guard
) -> None:
    log_in(page, student_account)
    for path, heading in SPANISH_PAGES:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", level=1).first).to_have_text(heading)
        assert_accessible(page)
    console_guard.assert_clean()


def test_the_attempt_page_script_speaks_spanish(
    page: Page, log_in, student_account, assert_accessible, console_guard
) -> None:
    log_in(page, student_account)
    page.goto("/courses/basics/quizzes/basics-quiz")
    page.get_by_role("button", name="Empezar el cuestionario").click()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^Quedan (20|19) minutos\.$"))
    page.locator("main form fieldset.question input[type=radio]").first.check()
    expect(page.locator("[data-save-status]")).to_have_text(
        re.compile(r"^Todas las respuestas guardadas a las \d{1,2}:\d\d:\d\d UTC\.$")
    )
    assert_accessible(page)
    console_guard.assert_clean()


def test_the_account_setting_overrides_the_browser(
    page: Page, log_in, student_account, console_guard
) -> None:
    user = db.session.get(User, student_account.id)
    user.locale = "en"
    db.session.commit()
    log_in(page, student_account)
    page.goto("/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your dashboard")
    page.goto("/account")
    page.get_by_label("Interface language").select_option("es")
    page.get_by_role("button", name="Save language").click()
    expect(page.locator(".flash")).to_have_text("Se ha guardado tu idioma.")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    console_guard.assert_clean()
