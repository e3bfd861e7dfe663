"""Regenerate the pictures README.md shows: ``make screenshots`` (docs/screenshots/*.png).

Not a test module (pytest only collects it when named on the command line, as the Makefile
does): it drives the same live server, real CSP and Debian Chromium as the browser tests, with
the shipped NMT course and the class of students from ``nmt_class``, and saves one 1280x800
picture per page type. Each page is also checked with axe first, so a picture never shows a
page with known accessibility problems.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def browser_context_args(browser_context_args: dict, live_server: str) -> dict:
    """Desktop size at scale 1: small files, crisp enough for a README."""
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 800},
        "device_scale_factor": 1,
        "base_url": live_server,
    }


def switch_to(page: Page, log_in, account) -> None:
    """Log in as ``account`` from a fresh start; the "Welcome back" message is shown (and so
    cleared) off-camera."""
    page.context.clear_cookies()
    log_in(page, account)
    page.request.get("/")


def test_screenshots(page: Page, log_in, nmt_class, assert_accessible, console_guard) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    saved: list[str] = []

    def shoot(name: str) -> None:
        page.wait_for_load_state("networkidle")
        assert_accessible(page)
        page.screenshot(path=OUTPUT / f"{name}.png", animations="disabled", caret="initial")
        saved.append(name)

    # A lesson of the second edition at a worked example: heading, text, figure, contents box.
    switch_to(page, log_in, nmt_class.graduate)
    page.goto("/courses/nmt/lessons/nmt-trigger-points")
    page.get_by_role("heading", name="Worked example: the upper trapezius").evaluate(
        "(heading) => heading.scrollIntoView({block: 'start'})"
    )
    shoot("lesson")

    ana = nmt_class.students[4]  # part-way through the course, module 1 quiz taken
    switch_to(page, log_in, ana)
    page.goto("/courses")
    shoot("catalogue")

    page.goto("/dashboard")
    shoot("dashboard")

    # The same dashboard for a browser that prefers Spanish: the interface, dates and
    # percentages in Spanish, the course (which declares language: en) as its author wrote it.
    page.set_extra_http_headers({"Accept-Language": "es-ES,es;q=0.9"})
    page.goto("/dashboard")
    shoot("dashboard-es")
    page.set_extra_http_headers({})

    page.goto("/courses/nmt/quizzes/nmt-m1-quiz")
    page.get_by_role("link", name="Review attempt 1").click()
    # Start at the first question the student missed, with its feedback and lesson link.
    page.locator(
        ".review-item", has=page.locator(".grade-wrong")
    ).first.scroll_into_view_if_needed()
    page.get_by_role("heading", level=1).scroll_into_view_if_needed()
    shoot("review")

    page.goto("/courses/nmt/quizzes/nmt-final-exam")
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("timer")).to_have_text(re.compile("minutes left"))
    # One answer given, so the picture shows a checked choice and the autosave status.
    page.locator("main form fieldset.question input[type=radio]").first.check()
    expect(page.locator("[data-save-status]")).to_have_text(re.compile("^All answers saved"))
    shoot("quiz")

    page.context.clear_cookies()
    page.goto(f"/certificates/{nmt_class.certificate_id}")
    shoot("certificate")

    switch_to(page, log_in, nmt_class.instructor)
    page.goto("/instruct/courses/nmt/gradebook")
    shoot("gradebook")

    page.goto("/instruct/courses/nmt/quizzes/nmt-m1-quiz/analysis?attempts=all")
    expect(page.get_by_role("img", name="Score distribution")).to_be_visible()
    shoot("item-analysis")

    console_guard.assert_clean()
    print(f"saved {len(saved)} pictures in {OUTPUT}: {', '.join(saved)}")
