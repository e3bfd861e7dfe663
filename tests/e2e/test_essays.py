"""Essays in a real browser: a student writes one (autosaved, counted, kept on reload), an
instructor grades it from the queue by rubric and by points, the student reads the grade. axe
(WCAG 2.2 A/AA) on the attempt, review, queue and grading pages, with the real CSP."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from learnapp.auth.models import Role
from learnapp.catalog import services
from learnapp.extensions import db
from tests.quizzes.essays import add_essay_quiz

RUBRIC_PROMPT = "A patient has night pain. What would you ask, and would you treat?"
FREE_PROMPT = "Describe a trigger point in your own words."
ESSAY = "Night pain is a red flag.\nAsk about fever and weight loss, then refer before treating."


@pytest.fixture
def essay_course(courses_root) -> None:
    add_essay_quiz(courses_root)
    report = services.sync_courses()
    db.session.commit()
    assert report.ok, report.problems


def question(page: Page, prompt: str) -> Locator:
    return page.get_by_role("group", name=re.compile(re.escape(prompt)))


def switch_to(page: Page, account, log_in) -> None:
    page.context.clear_cookies()
    log_in(page, account)


def test_write_grade_and_review_an_essay(
    page: Page, essay_course, student_account, account, log_in, assert_accessible
) -> None:
    teacher = account(email="instructor@example.com", role=Role.INSTRUCTOR, display_name="Ivy")
    log_in(page, student_account)
    page.goto("/courses/basics/quizzes/essay-quiz")
    page.get_by_role("button", name=re.compile(r"^Start (the quiz|attempt \d+)$")).click()
    essay = question(page, RUBRIC_PROMPT).get_by_label("Your answer")
    essay.fill(ESSAY)
    expect(question(page, RUBRIC_PROMPT).get_by_text("16 words")).to_be_visible()
    expect(page.locator("[data-save-status]")).to_have_text(
        re.compile(r"^All answers saved at "), timeout=5000
    )
    assert_accessible(page)
    page.reload()
    expect(question(page, RUBRIC_PROMPT).get_by_label("Your answer")).to_have_value(ESSAY)
    question(page, FREE_PROMPT).get_by_label("Your answer").fill("A tender, taut band.")
    question(page, "Red flags come first.").get_by_label("True").check()
    page.get_by_role("button", name="Finish attempt…").click()
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    expect(page.get_by_text("Awaiting grading.", exact=False).first).to_be_visible()
    expect(page.locator(".essay-answer").first).to_have_text(ESSAY)
    assert_accessible(page)

    switch_to(page, teacher, log_in)
    page.goto("/instruct")
    page.get_by_role(
        "link", name=re.compile(r"1 attempt awaiting grading in Course basics")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting grading")
    page.get_by_role("link", name="Hide student names (blind grading)").click()
    expect(page.get_by_text("Sam Student")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Grade Submission \d+")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grade Case studies: Submission")
    assert_accessible(page)
    first = page.locator(".grading-card").first
    first.get_by_role("group", name=re.compile("Asks about red flags")).get_by_label(
        re.compile("^All that matter")
    ).check()
    first.get_by_role("group", name=re.compile("^Decision")).get_by_label(
        re.compile("^Reasoned")
    ).check()
    first.get_by_label("Comment for the student").fill("Safe and complete.")
    first.get_by_role("button", name="Save grade").click()
    expect(page.get_by_text("Grade saved.")).to_be_visible()
    second = page.locator(".grading-card").nth(1)
    second.get_by_label("Points").fill("3")
    second.get_by_role("button", name="Save grade").click()
    expect(page.get_by_text(re.compile("is fully graded"))).to_be_visible()
    assert_accessible(page)

    switch_to(page, student_account, log_in)
    page.goto("/dashboard")
    page.get_by_role("link", name=re.compile("Review Case studies attempt 1")).click()
    expect(page.locator(".score")).to_contain_text("90.91%")
    expect(page.get_by_text("Safe and complete.")).to_be_visible()
    expect(page.get_by_role("table", name="Rubric").first).to_contain_text("Given:")
    assert_accessible(page)
