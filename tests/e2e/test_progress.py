"""Progress in a real browser: dashboard, course page with progress, a locked lesson, a journey.

Uses the fixture course in ``tests/data/courses`` (``basics``: intro → second (needs intro),
module 2 (needs module 1) with the third lesson and the quiz).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

VIEWPORT_SIZES = ["desktop", "phone"]
COURSE = "/courses/basics"


pytestmark = pytest.mark.usefixtures("synced_courses")


def enroll_and_complete_intro(page: Page) -> None:
    page.goto(COURSE)
    page.get_by_role("button", name="Enroll in Course basics").click()
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    page.goto(f"{COURSE}/lessons/basics-intro")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page).to_have_url(re.compile(r"/lessons/basics-second$"))


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_empty_dashboard_is_accessible(
    page: Page, log_in, student_account, assert_accessible, has_horizontal_scroll, viewport: str
) -> None:
    log_in(page, student_account)
    page.goto("/dashboard")
    expect(page.get_by_text("You are not enrolled in any course yet.")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)
    page.get_by_role("link", name="Browse the courses").click()
    expect(page).to_have_url(re.compile(r"/courses$"))


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_dashboard_and_course_page_with_progress_are_accessible(
    page: Page, log_in, student_account, assert_accessible, has_horizontal_scroll, viewport: str
) -> None:
    log_in(page, student_account)
    enroll_and_complete_intro(page)
    page.goto("/dashboard")
    expect(page.get_by_role("progressbar", name="Progress in Course basics")).to_have_attribute(
        "value", "25"
    )
    assert_accessible(page)
    assert not has_horizontal_scroll(page)
    page.goto(COURSE)
    expect(page.get_by_role("progressbar", name="Course progress")).to_have_attribute("value", "25")
    expect(page.get_by_role("heading", name="Still to do")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)
    page.goto("/courses")
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_locked_lesson_page_is_accessible(
    page: Page, log_in, student_account, assert_accessible, has_horizontal_scroll, viewport: str
) -> None:
    log_in(page, student_account)
    page.goto(COURSE)
    page.get_by_role("button", name="Enroll in Course basics").click()
    response = page.goto(f"{COURSE}/lessons/basics-third")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Third lesson is locked")
    expect(
        page.get_by_text("To unlock this, complete the lessons of “Getting started”.")
    ).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)


def test_student_enrolls_completes_a_lesson_and_continues(
    page: Page, log_in, student_account, console_guard
) -> None:
    log_in(page, student_account)
    page.goto("/courses")
    page.get_by_role("button", name="Enroll in Course basics").click()
    bar = page.get_by_role("progressbar", name="Course progress")
    expect(bar).to_have_attribute("value", "0")
    page.get_by_role("link", name=re.compile(r"^Continue")).click()
    expect(page).to_have_url(re.compile(r"/lessons/basics-intro$"))
    page.get_by_role("button", name="Mark as complete").click()
    expect(page).to_have_url(re.compile(r"/lessons/basics-second$"))
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("progressbar", name="Progress in Course basics")).to_have_attribute(
        "value", "25"
    )
    expect(page.get_by_text("Next step: Second lesson")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Continue")).click()
    expect(page).to_have_url(re.compile(r"/lessons/basics-second$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Second lesson")
    console_guard.assert_clean()
