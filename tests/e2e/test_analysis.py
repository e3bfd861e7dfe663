"""Item analysis and question reports in a real browser, with the real CSP: axe on the item
analysis, question and course report pages (desktop and phone), the SVG charts named for
screen readers, a student reporting a question from the attempt page (pending answers are
autosaved first) and the review page, and an instructor closing the report with a note."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import Page, expect

from learnapp.auth.models import Role, User
from learnapp.catalog.models import Question, Quiz
from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.questions import best_answer

ANALYSIS = "/instruct/courses/basics/quizzes/basics-quiz/analysis"
QUESTION = "/instruct/courses/basics/questions/q-single/reports"
REPORTS = "/instruct/courses/basics/reports"


pytestmark = pytest.mark.usefixtures("synced_courses")


def submitted_attempts(account, count: int) -> None:
    """``count`` students with graded attempts (varied answers), committed."""
    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))
    rnd = random.Random(7)
    for n in range(count):
        user = db.session.get(User, account(email=f"analysed{n}@example.com").id)
        attempt = lifecycle.start_attempt(user, quiz)
        for answer in attempt.answers:
            slug = db.session.get(Question, answer.question_id).slug
            spec = quizzes.question_spec(answer.question_id, answer.question_hash)
            if rnd.random() < 0.6:
                answer.response = best_answer(spec)
            elif slug == "q-single":
                answer.response = "b"
        lifecycle.submit_attempt(attempt)
        db.session.commit()


@pytest.fixture
def instructor_account(account):
    return account(
        email="instructor@example.com", role=Role.INSTRUCTOR, display_name="Ivy Instructor"
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_item_analysis_pages_are_accessible(
    page: Page,
    account,
    instructor_account,
    log_in,
    assert_accessible,
    has_horizontal_scroll,
    viewport,
) -> None:
    submitted_attempts(account, 12)
    log_in(page, instructor_account)
    page.goto(ANALYSIS + "?attempts=all")
    expect(page.get_by_role("heading", level=1)).to_have_text("Item analysis: Basics quiz")
    # Each chart is an image named by its title.
    expect(page.get_by_role("img", name="Score distribution")).to_be_visible()
    expect(page.get_by_role("img", name="Facility index per question")).to_be_visible()
    expect(page.get_by_role("img", name="Choices picked in question 1")).to_be_visible()
    expect(page.get_by_role("table", name="Statistics per question")).to_be_visible()
    page.get_by_text("How these figures are computed").click()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)

    page.get_by_label("Attempts to count").select_option("first")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"attempts=first"))
    expect(page.get_by_text("12 (first attempt of each student)")).to_be_visible()

    page.get_by_role("link", name=re.compile(r"^Q1\. What does everything have\?")).click()
    expect(page).to_have_url(re.compile(re.escape(QUESTION)))
    expect(page.get_by_role("table", name="Statistics of this question")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)

    page.goto(REPORTS)
    assert_accessible(page)


def test_student_reports_and_instructor_closes(
    page: Page, student_account, instructor_account, log_in, assert_accessible, browser
) -> None:
    log_in(page, student_account)
    page.goto("/courses/basics/quizzes/basics-quiz")
    page.get_by_role("button", name=re.compile(r"^Start (the quiz|attempt \d+)$")).click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    attempt_url = page.url

    page.get_by_text("Report a problem with a question on this page").click()
    reports = page.locator("#question-reports")
    reports.get_by_label("Question", exact=True).select_option(label="Question 1")
    reports.get_by_label("What is wrong?").select_option(
        label="The question is unclear or ambiguous"
    )
    reports.get_by_label("Comment").fill("Everything? Even a colour?")
    assert_accessible(page)
    # Change an answer and send the report at once, before the autosave's delay: the answer
    # is saved before the page reloads.
    single = page.get_by_role("group", name=re.compile("What does everything have"))
    single.locator("label", has_text="An id").click()
    reports.get_by_role("button", name="Send report").click()
    expect(
        page.get_by_text("your report on question 1 was received", exact=False).first
    ).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(attempt_url) + r"\?page=1#question-reports$"))
    expect(
        page.get_by_role("group", name=re.compile("What does everything have")).get_by_label(
            "An id"
        )
    ).to_be_checked()
    # Question 1 is no longer offered; the others are.
    options = page.locator("#report-answer option").all_text_contents()
    assert "Question 1" not in options
    assert "Question 2" in options

    # Submit and report another question from the review page.
    page.get_by_role("button", name="Finish attempt…").click()
    page.get_by_role("button", name=re.compile("^Submit")).click()
    expect(page).to_have_url(re.compile(r"/review$"))
    page.get_by_text("Report a problem with question 3").click()
    page.get_by_label("What is wrong with question 3?").select_option("key")
    page.get_by_role("textbox", name="Comment").first.fill(
        "The key says false; I think it is true."
    )
    page.get_by_role("button", name="Send report on question 3").click()
    expect(
        page.get_by_text("your report on question 3 was received", exact=False).first
    ).to_be_visible()
    assert_accessible(page)
    review_url = page.url.split("#")[0]

    # The instructor closes the first report with a note.
    staff = browser.new_context(base_url=page.url.split("/attempts")[0])
    staff_page = staff.new_page()
    log_in(staff_page, instructor_account)
    staff_page.goto(REPORTS)
    assert_accessible(staff_page)
    card = staff_page.locator("article", has_text="Everything? Even a colour?")
    card.get_by_label("Note to the student (optional)").fill("Only things in a course have ids.")
    card.get_by_role("button", name=re.compile(r"^Close report")).click()
    expect(staff_page.get_by_text(re.compile(r"Report \d+ closed\."))).to_be_visible()
    # The question's page: its statistics, then its reports (the closed one can be reopened).
    staff_page.goto(QUESTION)
    expect(staff_page.get_by_role("button", name=re.compile(r"^Reopen report"))).to_be_visible()
    assert_accessible(staff_page)
    staff.close()

    page.goto(review_url)
    expect(page.get_by_text("Only things in a course have ids.", exact=False)).to_be_visible()
