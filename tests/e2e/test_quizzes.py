"""Quizzes in a real browser: axe on every quiz page, the attempt flow by mouse and by keyboard,
autosave (also racing a button press), Enter in a text field, an expired session in the middle
of an exam, a stale second tab, the timer, and one shipped module quiz.

The fixture course in ``tests/data/courses`` (the ``app`` fixture's default COURSES_DIR) has the
quiz ``basics-quiz``: one question of every type, 3 attempts, a 20-minute limit, review after
submit. Choices are shuffled per attempt, so controls are found by their labels, never by order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from learnapp.catalog import services
from learnapp.catalog.models import Quiz
from learnapp.extensions import db

VIEWPORT_SIZES = ["desktop", "phone"]
OVERVIEW = "/courses/basics/quizzes/basics-quiz"
ATTEMPT_URL = re.compile(r"/attempts/(\d+)(\?page=\d+)?$")
SHIPPED_COURSES = Path(__file__).resolve().parents[2] / "courses"

# The prompts of basics-quiz (tests/data/courses/basics/02-more/quiz.md), one per type.
SINGLE = "What does everything have?"
MULTIPLE = "Which are lessons of this course?"
TRUE_FALSE = "Ids may change when a file is renamed."
SHORT = "What is the name of the first lesson?"
NUMERIC = "How much is two plus two?"
MATCHING = "Match each lesson with its topic."
ORDERING = "Put the steps in order."
PROMPTS = [SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERIC, MATCHING, ORDERING]

# Scores print without trailing zeros ("100% (8 of 8 points)"), as screen readers say them.
FULL_MARKS = re.compile(r"^100% \(8 of 8 points\)")


# --- helpers --------------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("synced_courses")


def question(page: Page, prompt: str) -> Locator:
    """A question's fieldset, named by its legend and prompt."""
    return page.get_by_role("group", name=re.compile(re.escape(prompt)))


def start_attempt(page: Page, overview: str = OVERVIEW) -> str:
    """Start an attempt from the overview by mouse; returns the attempt page's path."""
    page.goto(overview)
    page.get_by_role("button", name=re.compile(r"^Start (the quiz|attempt \d+)$")).click()
    expect(page).to_have_url(ATTEMPT_URL)
    return "/attempts/" + ATTEMPT_URL.search(page.url).group(1)


def answer_correctly_by_mouse(page: Page) -> None:
    """Click labels and pick options for a full-marks answer to every question."""
    question(page, SINGLE).locator("label", has_text="An id").click()
    multiple = question(page, MULTIPLE)
    multiple.locator("label", has_text="Introduction").click()
    multiple.locator("label", has_text="Second lesson").click()
    question(page, TRUE_FALSE).locator("label", has_text="False").click()
    question(page, SHORT).get_by_label("Your answer").click()
    question(page, SHORT).get_by_label("Your answer").fill("Introduction")
    question(page, NUMERIC).get_by_label("Your answer").click()
    question(page, NUMERIC).get_by_label("Your answer").fill("4")
    matching = question(page, MATCHING)
    matching.get_by_label("Introduction", exact=True).select_option(label="What you will learn")
    matching.get_by_label("Third lesson", exact=True).select_option(label="Ordering things")
    ordering = question(page, ORDERING)
    for position, item in enumerate(["Plan", "Write", "Review"], 1):
        ordering.get_by_label(item, exact=True).select_option(str(position))


def answer_mostly_wrongly_by_mouse(page: Page) -> None:
    """Right choices, wrong everything else: the five missed questions (one practice batch)
    then include the matching and ordering ones with their selects."""
    question(page, SINGLE).locator("label", has_text="An id").click()
    multiple = question(page, MULTIPLE)
    multiple.locator("label", has_text="Introduction").click()
    multiple.locator("label", has_text="Second lesson").click()
    question(page, TRUE_FALSE).locator("label", has_text="True").click()
    question(page, SHORT).get_by_label("Your answer").fill("Chapter one")
    question(page, NUMERIC).get_by_label("Your answer").fill("17")
    matching = question(page, MATCHING)
    matching.get_by_label("Introduction", exact=True).select_option(label="Cooking")
    matching.get_by_label("Third lesson", exact=True).select_option(label="What you will learn")
    ordering = question(page, ORDERING)
    for position, item in enumerate(["Review", "Write", "Plan"], 1):
        ordering.get_by_label(item, exact=True).select_option(str(position))


def saved_status(page: Page) -> Locator:
    return page.locator("[data-save-status]")


def wait_for_autosave(page: Page) -> None:
    expect(saved_status(page)).to_have_text(re.compile(r"^All answers saved at "), timeout=5000)


def sequence(page: Page) -> int:
    return int(page.locator("input[name=sequence]").input_value())


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const label = el && el.labels && el.labels[0] ? el.labels[0].textContent.trim() : "";
          return {tag: el ? el.tagName : "", type: el ? (el.type || "") : "",
                  id: el ? el.id : "", text: el ? el.textContent.trim() : "", label,
                  checked: !!(el && el.checked)};
        }"""
    )


def tab_until(
    page: Page, found: Callable[[dict[str, Any]], bool], key: str = "Tab", limit: int = 40
) -> dict[str, Any]:
    """Press ``key`` until the focused element satisfies ``found``; return its description."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if found(now):
            return now
    raise AssertionError(f"{key} never reached the element; focus is on {focused(page)}")


def in_question(fid_prefix: str) -> Callable[[dict[str, Any]], bool]:
    return lambda el: el["id"].startswith(fid_prefix)


def field_id(page: Page, prompt: str) -> str:
    """The field name base (``q_<answer id>``) of a question; its controls' ids start with it."""
    return question(page, prompt).get_attribute("id").removeprefix("question-")


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


# --- 1. accessibility -----------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_quiz_pages_have_no_wcag_violations(
    page: Page,
    log_in,
    student_account,
    axe_violations,
    has_horizontal_scroll,
    console_guard,
    viewport: str,
) -> None:
    """axe on every quiz page and state, collected so one run lists every page's problems."""
    problems: dict[str, list[dict[str, Any]]] = {}
    scrolls: list[str] = []

    def check(name: str, *, no_scroll: bool = False) -> None:
        found = axe_violations(page)
        if found:
            problems[name] = found
        if no_scroll and viewport == "phone" and has_horizontal_scroll(page):
            scrolls.append(name)

    page.goto(OVERVIEW)
    expect(page.get_by_role("link", name="Log in to take this quiz")).to_be_visible()
    check("overview, logged out")

    log_in(page, student_account)
    start_attempt(page)
    for prompt in PROMPTS:
        expect(question(page, prompt)).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"minutes left"))
    check("attempt page", no_scroll=True)

    answer_mostly_wrongly_by_mouse(page)
    wait_for_autosave(page)
    check("attempt page after autosave", no_scroll=True)

    page.get_by_role("button", name="Finish attempt…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ready to submit?")
    check("summary", no_scroll=True)

    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    expect(page.get_by_text("Your answer: right")).to_have_count(3)  # single and multiple
    expect(page.get_by_text("Your answer: True")).to_be_visible()
    expect(page.get_by_text("Your answer: Chapter one")).to_be_visible()
    expect(page.get_by_text("Your answer: 17")).to_be_visible()
    expect(page.get_by_role("table", name="Your matches")).to_be_visible()
    check("review", no_scroll=True)

    page.get_by_role("link", name="Back to the quiz").click()
    expect(page.get_by_role("table", name="Your attempts at this quiz")).to_be_visible()
    expect(page.get_by_role("button", name="Start attempt 2")).to_be_visible()
    check("overview with attempt history")

    page.get_by_role("link", name="Review attempt 1").click()
    page.get_by_role("link", name="Review my mistakes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review my mistakes")
    practice = page.locator("main form")
    expect(practice.get_by_role("group")).to_have_count(5)
    expect(question(page, MATCHING)).to_be_visible()
    expect(question(page, ORDERING)).to_be_visible()
    check("practice with due questions", no_scroll=True)

    question(page, TRUE_FALSE).locator("label", has_text="False").click()
    question(page, NUMERIC).get_by_label("Your answer").fill("4")
    page.get_by_role("button", name="Check my answers").click()
    results = page.get_by_role("region", name="Your practice results")
    expect(results).to_be_visible()
    expect(results.get_by_text("Right", exact=True)).to_have_count(2)
    check("practice results", no_scroll=True)

    report = "\n".join(f"{name}:\n{describe(found)}" for name, found in problems.items())
    assert not problems, f"axe violations at {viewport} size:\n{report}"
    assert not scrolls, f"pages that scroll sideways at phone size: {scrolls}"
    console_guard.assert_clean()


# --- 2. the whole flow by mouse -------------------------------------------------------------


def test_student_answers_every_question_right_by_mouse(
    page: Page, log_in, student_account, console_guard
) -> None:
    log_in(page, student_account)
    start_attempt(page)
    expect(page.get_by_text("Page 1 of 1 · 0 of 7 answered")).to_be_visible()
    answer_correctly_by_mouse(page)
    page.get_by_role("button", name="Finish attempt…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ready to submit?")
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()
    expect(page.get_by_role("cell", name="Answered")).to_have_count(7)
    page.get_by_role("button", name="Submit attempt").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    result = page.get_by_role("region", name="Result")
    expect(result.locator(".score")).to_contain_text(FULL_MARKS)
    expect(result.get_by_role("progressbar", name="Score")).to_have_attribute(
        "value", re.compile(r"^100(\.0+)?$")
    )
    expect(page.locator(".review-item .grade-right")).to_have_count(7)
    console_guard.assert_clean()


# --- 3. the flow by keyboard only -----------------------------------------------------------


def choose_radio_by_keyboard(page: Page, prompt: str, label: str) -> None:
    """Tab into a radio group, then arrow to the choice (Space if Tab landed on it)."""
    prefix = field_id(page, prompt) + "-"
    now = tab_until(page, in_question(prefix))
    assert now["type"] == "radio", now
    for _ in range(5):
        if now["label"] == label:
            if not now["checked"]:
                page.keyboard.press("Space")
            break
        page.keyboard.press("ArrowDown")  # moves focus and checks the next radio
        now = focused(page)
    expect(question(page, prompt).get_by_label(label, exact=True)).to_be_checked()


def test_student_takes_the_quiz_by_keyboard_only(
    page: Page, log_in, student_account, console_guard
) -> None:
    log_in(page, student_account)
    page.goto(OVERVIEW)
    start = tab_until(page, lambda el: el["text"] == "Start the quiz")
    assert start["tag"] == "BUTTON"
    page.keyboard.press("Enter")
    expect(page).to_have_url(ATTEMPT_URL)
    expect(question(page, SINGLE)).to_be_visible()

    # Single choice: arrows (or Space) inside the radio group.
    choose_radio_by_keyboard(page, SINGLE, "An id")

    # Multiple choice: Tab from box to box, Space on the right ones.
    multiple = question(page, MULTIPLE)
    prefix = field_id(page, MULTIPLE) + "-"
    for _ in range(3):
        now = tab_until(page, in_question(prefix), limit=1)
        assert now["type"] == "checkbox", now
        if now["label"] in ("Introduction", "Second lesson"):
            page.keyboard.press("Space")
    expect(multiple.get_by_label("Introduction", exact=True)).to_be_checked()
    expect(multiple.get_by_label("Second lesson", exact=True)).to_be_checked()
    expect(multiple.get_by_label("Cooking", exact=True)).not_to_be_checked()

    # True/false: Tab lands on "True", an arrow moves to "False" and checks it.
    choose_radio_by_keyboard(page, TRUE_FALSE, "False")

    # Texts: type; Shift+Tab back to correct a typo, Tab forward again.
    short_id = field_id(page, SHORT) + "-text"
    numeric_id = field_id(page, NUMERIC) + "-text"
    tab_until(page, lambda el: el["id"] == short_id, limit=1)
    page.keyboard.type("Intro")
    tab_until(page, lambda el: el["id"] == numeric_id, limit=1)
    page.keyboard.type("4")
    tab_until(page, lambda el: el["id"] == short_id, key="Shift+Tab", limit=1)
    page.keyboard.press("End")
    page.keyboard.type("duction")
    tab_until(page, lambda el: el["id"] == numeric_id, limit=1)
    expect(page.locator(f"#{short_id}")).to_have_value("Introduction")
    expect(page.locator(f"#{numeric_id}")).to_have_value("4")

    # Selects: focus with Tab, choose by typing the start of the option (type-ahead).
    matching_prefix = field_id(page, MATCHING) + "-"
    wanted = {"Introduction": "What you will learn", "Third lesson": "Ordering things"}
    for _ in range(2):
        now = tab_until(page, in_question(matching_prefix), limit=1)
        page.keyboard.type(wanted[now["label"]][:4])
    matching = question(page, MATCHING)
    for prompt, option in wanted.items():
        select = matching.get_by_label(prompt, exact=True)
        expect(select.locator("option:checked")).to_have_text(option)

    ordering_prefix = field_id(page, ORDERING) + "-"
    positions = {"Plan": "1", "Write": "2", "Review": "3"}
    for _ in range(3):
        now = tab_until(page, in_question(ordering_prefix), limit=1)
        page.keyboard.type(positions[now["label"]])
    for item, position in positions.items():
        expect(question(page, ORDERING).get_by_label(item, exact=True)).to_have_value(position)

    tab_until(page, lambda el: el["text"] == "Finish attempt…", limit=3)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ready to submit?")
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()

    tab_until(page, lambda el: el["text"] == "Submit attempt")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    expect(page.locator(".score")).to_contain_text(FULL_MARKS)
    console_guard.assert_clean()


# --- 4. autosave ----------------------------------------------------------------------------


def test_autosave_announces_saving_and_keeps_answers_over_a_reload(
    page: Page, log_in, student_account, console_guard
) -> None:
    log_in(page, student_account)
    attempt = start_attempt(page)
    status = saved_status(page)
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("")
    assert sequence(page) == 0

    question(page, SHORT).get_by_label("Your answer").press_sequentially("Introduction")
    expect(status).to_have_text("Unsaved changes…")
    wait_for_autosave(page)
    assert sequence(page) == 1

    question(page, TRUE_FALSE).locator("label", has_text="False").click()
    expect(page.locator("input[name=sequence]")).to_have_value("2", timeout=5000)
    wait_for_autosave(page)

    page.reload()
    expect(page).to_have_url(re.compile(re.escape(attempt) + r"$"))
    expect(question(page, SHORT).get_by_label("Your answer")).to_have_value("Introduction")
    expect(question(page, TRUE_FALSE).get_by_label("False", exact=True)).to_be_checked()
    assert sequence(page) == 2
    console_guard.assert_clean()


def test_answers_given_before_the_script_ran_are_autosaved(
    page: Page, log_in, student_account, console_guard
) -> None:
    """app.js is deferred: a student may type before it runs (a slow phone, a busy machine).
    Here it is held back until two answers are given; once it runs it saves them."""
    log_in(page, student_account)
    page.goto(OVERVIEW)
    held: list[Any] = []

    def hold_until_released(route) -> None:
        if held:  # released (or a later page): serve it
            route.continue_()
        else:
            held.append(route)

    page.route("**/static/js/app.js*", hold_until_released)
    page.get_by_role("button", name=re.compile(r"^Start (the quiz|attempt \d+)$")).click()
    expect(page).to_have_url(ATTEMPT_URL)
    question(page, SHORT).get_by_label("Your answer").fill("Introduction")
    question(page, TRUE_FALSE).get_by_label("False", exact=True).check()
    expect(saved_status(page)).to_have_text("")  # no script yet: nobody heard those changes
    assert len(held) == 1
    held[0].continue_()

    wait_for_autosave(page)
    assert sequence(page) == 1
    page.reload()
    expect(question(page, SHORT).get_by_label("Your answer")).to_have_value("Introduction")
    expect(question(page, TRUE_FALSE).get_by_label("False", exact=True)).to_be_checked()
    console_guard.assert_clean()


def test_finishing_while_an_autosave_is_in_flight_is_not_a_stale_page(
    page: Page, log_in, student_account, console_guard
) -> None:
    """The student clicks Finish just as an autosave left: the server has stored it (so the
    sequence moved on) but its answer has not reached the page yet."""
    log_in(page, student_account)
    start_attempt(page)
    held: list[Any] = []

    def hold_the_answer(route) -> None:
        held.append((route, route.fetch()))  # the server saves; the page waits for the reply

    page.route("**/autosave", hold_the_answer)
    question(page, SHORT).get_by_label("Your answer").fill("Introduction")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "no autosave was sent"
    question(page, NUMERIC).get_by_label("Your answer").fill("4")
    page.get_by_role("button", name="Finish attempt…").click()
    page.wait_for_timeout(300)
    route, response = held.pop()
    route.fulfill(response=response)

    expect(page.get_by_role("heading", level=1)).to_have_text("Ready to submit?")
    expect(page.get_by_role("row", name="Question 4 Answered")).to_be_visible()
    expect(page.get_by_role("row", name="Question 5 Answered")).to_be_visible()
    console_guard.assert_clean()


@pytest.mark.parametrize("review", ["after_submit", "immediately"])
def test_enter_in_a_text_field_saves_and_stays_on_the_page(
    page: Page, log_in, student_account, console_guard, review: str
) -> None:
    """Implicit submission must mean "Save answers", not the first button of the form (Previous
    page, or Check answer N of another question, which would lock that answer)."""
    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))
    quiz.settings = {**quiz.settings, "per_page": 3, "review": review}
    db.session.commit()
    log_in(page, student_account)
    attempt = start_attempt(page)
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(re.escape(attempt) + r"\?page=2$"))

    numeric = question(page, NUMERIC).get_by_label("Your answer")
    numeric.fill("4")
    numeric.press("Enter")
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(attempt) + r"\?page=2$"))
    expect(question(page, NUMERIC).get_by_label("Your answer")).to_have_value("4")
    expect(page.get_by_text("This answer is locked.")).to_have_count(0)
    console_guard.assert_clean()


# --- 5. the session ends in the middle of an exam -------------------------------------------


def log_out_in_another_tab(page: Page, student_account) -> None:
    other = page.context.new_page()
    other.goto("/")
    other.get_by_text(student_account.display_name, exact=True).click()  # the account menu
    other.get_by_role("button", name="Log out").click()
    expect(other.get_by_text("You have been logged out.")).to_be_visible()
    other.close()


def expire_the_session(page: Page, student_account) -> None:
    # Every response refreshes a permanent session's cookie: let in-flight ones (CSS, icon)
    # land first, or one could put the cookie back after it was cleared.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()


@pytest.mark.parametrize(
    "end_session", [log_out_in_another_tab, expire_the_session], ids=["logout-tab", "expired"]
)
@pytest.mark.parametrize("button", ["Save answers", "Finish attempt…"])
def test_answers_survive_an_ended_session(
    page: Page, log_in, student_account, console_guard, end_session, button: str
) -> None:
    log_in(page, student_account)
    attempt = start_attempt(page)
    question(page, SHORT).get_by_label("Your answer").fill("Introduction")
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()

    end_session(page, student_account)

    question(page, NUMERIC).get_by_label("Your answer").fill("4")
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("status")).to_contain_text(
        "Your session ended, but your answers are saved. Log in to continue."
    )
    page.get_by_label("E-mail").fill(student_account.email)
    page.get_by_label("Password", exact=True).fill(student_account.password)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(re.escape(attempt) + r"\?page=1$"))
    expect(question(page, SHORT).get_by_label("Your answer")).to_have_value("Introduction")
    expect(question(page, NUMERIC).get_by_label("Your answer")).to_have_value("4")
    console_guard.assert_clean()


# --- 6. a stale page ------------------------------------------------------------------------


def test_a_stale_tab_cannot_overwrite_a_newer_answer(
    page: Page, log_in, student_account, console_guard
) -> None:
    log_in(page, student_account)
    attempt = start_attempt(page)
    tab_a = page
    tab_b = page.context.new_page()
    tab_b.goto(attempt)

    question(tab_b, SHORT).get_by_label("Your answer").fill("Introduction")
    tab_b.get_by_role("button", name="Save answers").click()
    expect(tab_b.get_by_text("Your answers are saved.")).to_be_visible()

    question(tab_a, SHORT).get_by_label("Your answer").fill("Old answer")
    tab_a.get_by_role("button", name="Save answers").click()
    expect(tab_a.get_by_role("status").filter(has_text="out of date")).to_have_text(
        "This page is out of date: your answers were saved from a newer page. "
        "Nothing was overwritten; please continue on the current page."
    )
    expect(question(tab_a, SHORT).get_by_label("Your answer")).to_have_value("Introduction")
    tab_b.reload()
    expect(question(tab_b, SHORT).get_by_label("Your answer")).to_have_value("Introduction")
    console_guard.assert_clean()


# --- 7. the timer ---------------------------------------------------------------------------


def test_timer_announces_the_minutes_left_politely(page: Page, log_in, student_account) -> None:
    log_in(page, student_account)
    start_attempt(page)
    timer = page.get_by_role("timer")
    expect(timer).to_have_count(1)
    expect(timer).to_have_attribute("aria-live", "polite")
    expect(timer).to_have_text(re.compile(r"^(20|19) minutes left\.$"))
    expect(page.locator(".timer")).to_contain_text(re.compile(r"submit by \d{1,2}:\d\d\s[AP]M UTC"))


# --- a real module quiz ---------------------------------------------------------------------


def test_a_shipped_module_quiz_runs_end_to_end(
    page: Page, log_in, app: Flask, student_account, assert_accessible, console_guard
) -> None:
    app.config["COURSES_DIR"] = str(SHIPPED_COURSES)
    report = services.sync_courses()
    db.session.commit()
    assert report.ok, report.problems

    log_in(page, student_account)
    start_attempt(page, "/courses/nmt/quizzes/nmt-m1-quiz")
    groups = page.locator("main form").get_by_role("group")
    expect(groups).to_have_count(8)
    assert_accessible(page)
    groups.first.get_by_role("radio").first.check()
    page.get_by_role("button", name="Finish attempt…").click()
    expect(page.get_by_role("row", name="Question 1 Answered")).to_be_visible()
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    expect(
        page.get_by_role("link", name=re.compile(r"^Reread the lesson passage"))
    ).not_to_have_count(0)
    assert_accessible(page)
    console_guard.assert_clean()


def test_saving_untouched_questions_leaves_them_unanswered(
    page: Page, log_in, student_account
) -> None:
    log_in(page, student_account)
    start_attempt(page)
    question(page, SHORT).get_by_label("Your answer").fill("Introduction")
    page.get_by_role("button", name="Finish attempt…").click()
    expect(page.get_by_text("6 questions still unanswered.")).to_be_visible(timeout=1000)
