"""Whole journeys through the shipped NMT course (``courses/nmt``) in a real browser, CSRF on,
under the real CSP, as people use it:

- a new student registers through the form, enrolls, reads every lesson and marks it complete,
  takes every module quiz (failing module 1 first, reviewing it, following the link back to
  the lesson and passing on the retake), passes the final exam, gets the certificate, downloads
  the PDF and verifies it on the public page after logging out;
- a student logs out in the middle of the final exam, and separately lets the session expire,
  and comes back with every answer on every page kept;
- an instructor reads the gradebook, the item analysis and the CSV export, grants extra time
  and answers a question problem report; an admin revokes a certificate and the public page
  says so;
- a module quiz by keyboard only, from the lesson to the review and back to the passage;
- lessons and the final exam (matching and ordering selects, three pages) tapped at phone size,
  without sideways scrolling.

The right (and wrong) answers come from the stored question specs (``best_answer``) and are
given through the visible labels: choice texts, matching prompts and options, ordering items.
Choices and questions are shuffled per attempt, so nothing relies on positions.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from learnapp.extensions import db
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import Answer
from learnapp.quizzes.questions import best_answer
from learnapp.quizzes.questions.base import QuestionSpec

COURSE = "/courses/nmt"
TITLE = "Neuromuscular Therapy: Principles, Techniques and History"
EXAM = f"{COURSE}/quizzes/nmt-final-exam"
MODULE_1_QUIZ = f"{COURSE}/quizzes/nmt-m1-quiz"
ANALYSIS = "/instruct/courses/nmt/quizzes/nmt-m1-quiz/analysis"
COURSE_ITEM = re.compile(r"/courses/nmt/(lessons|quizzes)/[a-z0-9-]+(#[a-z0-9-]*)?$")
ATTEMPT_URL = re.compile(r"/attempts/(\d+)(\?page=(\d+))?(#.*)?$")

NEW_NAME = "Noémie Ødegård"  # printed on the certificate: accents must survive the PDF
NEW_EMAIL = "noemie@example.com"
NEW_PASSWORD = "plum kettle harbour seven"


@pytest.fixture(autouse=True)
def shipped_courses(nmt_course) -> None:
    """Every journey runs on the real courses folder (conftest's ``nmt_course`` syncs it)."""


# --- helpers: accounts ----------------------------------------------------------------------


def log_in_through_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def log_out_through_menu(page: Page) -> None:
    menu = page.locator("header.site-header details.menu")
    menu.locator("summary").click()
    menu.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have been logged out.")


# --- helpers: answering from the specs, through the visible labels ---------------------------


def text_of(fragment: str) -> str:
    """The text a browser shows for an HTML fragment (tags dropped, entities decoded)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def spec_of(answer_id: int) -> QuestionSpec:
    answer = db.session.get(Answer, answer_id)
    assert answer is not None
    spec = quizzes.question_spec(answer.question_id, answer.question_hash)
    db.session.commit()  # end the read transaction: the server thread writes next
    return spec


def wrong_answer(spec: QuestionSpec) -> Any:
    """An answer worth no points, in real option ids (the same shapes as ``best_answer``)."""
    data: Any = spec.data
    best = best_answer(spec)
    if spec.type == "single":
        return next(c.id for c in data.choices if c.id != best)
    if spec.type == "multiple":
        return [c.id for c in data.choices if c.id not in best]
    if spec.type == "true_false":
        return not best
    if spec.type == "short":
        return "no idea"
    if spec.type == "numeric":
        return "-987654"
    if spec.type == "matching":
        ids = [option.id for option in data.options]
        return {key: ids[(ids.index(oid) + 1) % len(ids)] for key, oid in best.items()}
    if spec.type == "ordering":
        return list(reversed(best))
    raise AssertionError(f"no wrong answer for type {spec.type}")


def give(page: Page, answer_id: int, spec: QuestionSpec, response: Any) -> None:
    """Answer one question by its visible labels, as a student with a mouse would."""
    group = page.locator(f"#question-q_{answer_id}")
    data: Any = spec.data
    if spec.type in ("single", "multiple"):
        texts = {choice.id: text_of(choice.text_html) for choice in data.choices}
        picked = [response] if spec.type == "single" else response
        for cid, text in texts.items():
            control = group.get_by_label(text, exact=True)
            if cid in picked:
                control.check()
            elif spec.type == "multiple":
                control.uncheck()
    elif spec.type == "true_false":
        group.get_by_label("True" if response else "False", exact=True).check()
    elif spec.type in ("short", "numeric"):
        group.get_by_label("Your answer").fill(str(response))
    elif spec.type == "matching":
        options = {option.id: text_of(option.text_html) for option in data.options}
        for index, prompt_html in enumerate(data.prompts_html):
            group.get_by_label(text_of(prompt_html), exact=True).select_option(
                label=options[response[str(index)]]
            )
    elif spec.type == "ordering":
        items = {item.id: text_of(item.text_html) for item in data.items}
        for position, item_id in enumerate(response, 1):
            group.get_by_label(items[item_id], exact=True).select_option(str(position))
    else:
        raise AssertionError(f"cannot answer type {spec.type}")


def questions_on_page(page: Page) -> list[int]:
    """The answer ids of the questions on the attempt page shown now."""
    ids = page.locator("main form fieldset.question").evaluate_all(
        "(sets) => sets.map((set) => set.id)"
    )
    return [int(fid.removeprefix("question-q_")) for fid in ids]


def answer_page(page: Page, *, right: bool) -> dict[int, Any]:
    """Answer every question on the current page; returns ``{answer id: response}``."""
    given = {}
    for answer_id in questions_on_page(page):
        spec = spec_of(answer_id)
        response = best_answer(spec) if right else wrong_answer(spec)
        give(page, answer_id, spec, response)
        given[answer_id] = response
    return given


def take_quiz(page: Page, *, right: bool) -> str:
    """From a quiz overview: start, answer every page, finish and submit; returns the review
    page's URL."""
    page.get_by_role("button", name=re.compile(r"^Start (the quiz|attempt \d+)$")).click()
    expect(page).to_have_url(ATTEMPT_URL)
    number = 1
    while True:
        answer_page(page, right=right)
        next_page = page.get_by_role("button", name="Next page")
        if next_page.count() == 0:
            break
        next_page.click()
        number += 1
        expect(page).to_have_url(re.compile(rf"\?page={number}$"))
    page.get_by_role("button", name="Finish attempt…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ready to submit?")
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Review of attempt"))
    return page.url


def score_text(page: Page) -> str:
    return page.get_by_role("region", name="Result").locator(".score").inner_text()


# --- 1. a new student, from registration to a verified certificate ---------------------------


def test_new_student_completes_the_nmt_course_and_verifies_the_certificate(
    page: Page, console_guard, tmp_path: Path
) -> None:
    # Register through the real form.
    page.goto("/")
    page.locator("header.site-header").get_by_role("link", name="Register").click()
    page.get_by_label("E-mail").fill(NEW_EMAIL)
    page.get_by_label("Full name").fill(NEW_NAME)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")

    # Find the course in the catalogue and enroll.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name=re.compile(r"^Enroll")).click()
    expect(page.get_by_role("progressbar", name="Course progress")).to_have_attribute("value", "0")
    page.get_by_role("link", name=re.compile(r"^Continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What neuromuscular therapy is")

    # Follow the course as it leads: each "Mark as complete" goes to the next unfinished item.
    # Every lesson is completed through the lesson page (25 clicks, a few seconds) and every
    # quiz is taken through the attempt pages; nothing goes through services.
    lessons_done: list[str] = []
    quizzes_done: list[str] = []
    failed_first = False
    for _ in range(60):
        expect(page).to_have_url(COURSE_ITEM)
        url = page.url
        if "/lessons/" in url:
            lessons_done.append(url.rsplit("/", 1)[1].split("#")[0])
            page.get_by_role("button", name="Mark as complete").click()
            expect(page).not_to_have_url(url)
            expect(page.get_by_role("status").first).to_contain_text("is complete")
            continue
        assert "/quizzes/" in url, f"the course led to an unexpected page: {url}"
        slug = url.rsplit("/", 1)[1]
        if slug == "nmt-m1-quiz" and not failed_first:
            failed_first = True
            fail_review_reread_and_retake(page)
        elif slug == "nmt-final-exam":
            take_quiz(page, right=True)
            expect(
                page.get_by_text("You completed the course and earned a certificate")
            ).to_be_visible()
            # Answers are kept back until the last attempt; the score is shown.
            expect(
                page.get_by_text("The right answers appear here after your last attempt.")
            ).to_be_visible()
            assert score_text(page).startswith("100%"), score_text(page)
            quizzes_done.append(slug)
            break
        else:
            take_quiz(page, right=True)
            assert "passed" in score_text(page)
            assert "not passed" not in score_text(page)
        quizzes_done.append(slug)
        # Back on track from the dashboard's Continue link.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
        page.get_by_role("link", name=re.compile(r"^Continue")).first.click()
    else:
        raise AssertionError("the course never ended")

    assert failed_first
    # Module order (safety before techniques), not quiz-id order: module 3 is the safety module,
    # whose quiz kept its first-edition id nmt-m5-quiz.
    assert quizzes_done == [
        "nmt-m1-quiz",
        "nmt-m2-quiz",
        "nmt-m5-quiz",
        "nmt-m3-quiz",
        "nmt-m4-quiz",
        "nmt-final-exam",
    ]
    assert len(lessons_done) == len(set(lessons_done)) == 25  # every lesson, each once

    # The dashboard lists the certificate; its page says valid, with the name and course.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("progressbar", name=f"Progress in {TITLE}")).to_have_attribute(
        "value", "100"
    )
    certificates = page.get_by_role("region", name="Your certificates")
    certificates.get_by_role("link", name=TITLE, exact=True).click()
    expect(page).to_have_url(re.compile(r"/certificates/[A-Za-z0-9_-]{22}$"))
    verify_url = page.url
    expect(page.locator(".certificate-status")).to_contain_text("Valid.")
    expect(page.get_by_role("main").get_by_text(NEW_NAME)).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Certificate (PDF)").click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    text = " ".join(page_.extract_text() for page_ in PdfReader(pdf).pages)
    assert NEW_NAME in text
    assert "Neuromuscular Therapy" in text

    # Anyone can verify it: logged out, the public page still says valid.
    log_out_through_menu(page)
    page.goto(verify_url)
    expect(page.locator(".certificate-status")).to_contain_text("Valid.")
    expect(page.get_by_role("main").get_by_text(NEW_NAME)).to_be_visible()
    expect(page.get_by_role("button", name="Revoke certificate")).to_have_count(0)
    console_guard.assert_clean()


def fail_review_reread_and_retake(page: Page) -> None:
    """On the module 1 quiz overview: fail, review, reread the lesson passage, retake, pass."""
    review_url = take_quiz(page, right=False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    assert "not passed" in score_text(page), score_text(page)
    assert score_text(page).startswith("0%"), score_text(page)
    expect(page.locator(".review-item .grade-wrong")).to_have_count(8)
    # Review after submit shows the right answers and the explanations.
    expect(page.locator(".review-item .explanation").first).to_be_visible()

    # The first missed question links to the passage it tests.
    reread = page.get_by_role("link", name="Reread the lesson passage for question 1")
    href = reread.get_attribute("href")
    assert href is not None
    assert re.search(r"/courses/nmt/lessons/nmt-[a-z-]+#[a-z0-9-]+$", href), href
    reread.click()
    anchor = href.rsplit("#", 1)[1]
    expect(page.locator("article.lesson")).to_be_visible()
    expect(page.locator(f"[id='{anchor}']")).to_be_in_viewport()

    # Back to the quiz from the lesson's "Test yourself" box; retake and pass.
    page.get_by_role("complementary", name="Test yourself").get_by_role(
        "link", name="Module 1 quiz"
    ).click()
    expect(page.get_by_role("table", name="Your attempts at this quiz")).to_be_visible()
    take_quiz(page, right=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 2")
    assert score_text(page).startswith("100%"), score_text(page)
    assert "passed" in score_text(page)
    assert "not passed" not in score_text(page)
    assert page.url != review_url


# --- 2. the session ends in the middle of the final exam --------------------------------------


def expect_kept(page: Page, answer_id: int, spec: QuestionSpec, response: Any) -> None:
    """The controls of one question show ``response`` (as :func:`give` entered it)."""
    group = page.locator(f"#question-q_{answer_id}")
    data: Any = spec.data
    if spec.type in ("single", "multiple"):
        picked = [response] if spec.type == "single" else response
        for choice in data.choices:
            control = group.get_by_label(text_of(choice.text_html), exact=True)
            if choice.id in picked:
                expect(control).to_be_checked()
            else:
                expect(control).not_to_be_checked()
    elif spec.type == "true_false":
        expect(group.get_by_label("True" if response else "False", exact=True)).to_be_checked()
    elif spec.type in ("short", "numeric"):
        expect(group.get_by_label("Your answer")).to_have_value(str(response))
    elif spec.type == "matching":
        options = {option.id: text_of(option.text_html) for option in data.options}
        for index, prompt_html in enumerate(data.prompts_html):
            select = group.get_by_label(text_of(prompt_html), exact=True)
            expect(select.locator("option:checked")).to_have_text(options[response[str(index)]])
    elif spec.type == "ordering":
        items = {item.id: text_of(item.text_html) for item in data.items}
        for position, item_id in enumerate(response, 1):
            expect(group.get_by_label(items[item_id], exact=True)).to_have_value(str(position))


def expect_all_kept(page: Page, attempt: str, given: dict[int, dict[int, Any]]) -> None:
    """Visit each page of the attempt and check every answer given on it."""
    for number, answers in given.items():
        page.goto(f"{attempt}?page={number}")
        for answer_id, response in answers.items():
            expect_kept(page, answer_id, spec_of(answer_id), response)


def wait_for_autosave(page: Page) -> None:
    expect(page.locator("[data-save-status]")).to_have_text(
        re.compile(r"^All answers saved at "), timeout=5000
    )


def start_exam(page: Page) -> str:
    page.goto(EXAM)
    page.get_by_role("button", name="Start the quiz").click()
    expect(page).to_have_url(ATTEMPT_URL)
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^(30|29) minutes left\.$"))
    return "/attempts/" + ATTEMPT_URL.search(page.url).group(1)


def answer_first_page_and_half_the_second(page: Page) -> dict[int, dict[int, Any]]:
    """Page 1 saved with "Next page"; two answers on page 2 saved only by the autosave."""
    given = {1: answer_page(page, right=True)}
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    ids = questions_on_page(page)
    given[2] = {}
    for answer_id in ids[:2]:
        spec = spec_of(answer_id)
        given[2][answer_id] = best_answer(spec)
        give(page, answer_id, spec, given[2][answer_id])
    wait_for_autosave(page)
    return given


def finish_and_submit(page: Page, attempt: str) -> None:
    for number in (2, 3):
        page.goto(f"{attempt}?page={number}")
        answer_page(page, right=True)
        # The exam shuffles its questions: a page may hold only questions answered (right)
        # already, and then nothing changed and there is nothing to autosave (the status
        # stays empty; a change would have set it to "not saved yet" at once).
        if page.locator("[data-save-status]").text_content():
            wait_for_autosave(page)
    page.get_by_role("button", name="Finish attempt…").click()
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()
    page.get_by_role("button", name="Submit attempt").click()
    assert score_text(page).startswith("100%"), score_text(page)


def test_student_logs_out_in_the_middle_of_the_exam_and_finds_every_answer(
    page: Page, log_in, student_account, console_guard
) -> None:
    log_in(page, student_account)
    attempt = start_exam(page)
    given = answer_first_page_and_half_the_second(page)

    log_out_through_menu(page)
    page.goto(attempt)  # a bookmark or the back button: it needs a login now
    expect(page).to_have_url(re.compile(r"/login\?next="))
    log_in_through_form(page, student_account.email, student_account.password)
    expect(page).to_have_url(re.compile(re.escape(attempt) + r"(\?page=\d+)?$"))

    # Coming back the usual way: the quiz page offers to continue the open attempt.
    page.goto(EXAM)
    page.get_by_role("link", name="Continue attempt 1").click()
    expect(page).to_have_url(re.compile(re.escape(attempt) + r"(\?page=\d+)?$"))
    expect_all_kept(page, attempt, given)
    finish_and_submit(page, attempt)
    console_guard.assert_clean()


def test_exam_answers_survive_an_expired_session(
    page: Page, log_in, app: Flask, student_account, console_guard
) -> None:
    log_in(page, student_account)
    attempt = start_exam(page)
    given = answer_first_page_and_half_the_second(page)

    # The session times out: the server refuses session cookies older than two seconds.
    page.wait_for_load_state("networkidle")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=2)
    page.wait_for_timeout(3500)

    # Answers given after the session ended are still autosaved (the attempt token)...
    remaining = [i for i in questions_on_page(page) if i not in given[2]]
    for answer_id in remaining:
        spec = spec_of(answer_id)
        given[2][answer_id] = best_answer(spec)
        give(page, answer_id, spec, given[2][answer_id])
    # (Generous waits: the autosave is debounced and a loaded CI machine is slow.)
    expect(page.locator("[data-save-status]")).to_have_text(
        "Saved. Your session has ended: log in again to continue; your answers are kept.",
        timeout=20_000,
    )
    # ...and the next page change saves them too, then asks for a login.
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=20_000)
    expect(page.get_by_role("status")).to_contain_text(
        "Your session ended, but your answers are saved. Log in to continue."
    )
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=12)
    log_in_through_form(page, student_account.email, student_account.password)
    expect(page).to_have_url(re.compile(re.escape(attempt) + r"(\?page=\d+)?$"))

    expect_all_kept(page, attempt, given)
    finish_and_submit(page, attempt)
    console_guard.assert_clean()


# --- 3. an instructor and an admin ------------------------------------------------------------


def context_page(browser: Browser, live_server: str, log_in=None, account=None) -> Page:
    """A page in a browser context of its own (another person), logged in as ``account``."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    other = context.new_page()
    if account is not None:
        log_in(other, account)
    return other


def test_instructor_and_admin_look_after_the_course(
    page: Page,
    log_in,
    browser: Browser,
    live_server: str,
    nmt_class,
    admin_account,
    console_guard,
    tmp_path: Path,
) -> None:
    ana = nmt_class.students[0]
    log_in(page, nmt_class.instructor)

    # The gradebook, reached from the main navigation.
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Instruct").click()
    page.get_by_role("link", name=TITLE).first.click()
    page.get_by_role("navigation", name="Course tools").get_by_role(
        "link", name="Gradebook"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Gradebook: {TITLE}")
    expect(page.get_by_text("13 students.")).to_be_visible()
    graduate_row = page.get_by_role("row", name=re.compile("Grace Graduate"))
    expect(
        graduate_row.get_by_role("link", name="View certificate of Grace Graduate")
    ).to_be_visible()
    expect(graduate_row.get_by_text("not passed")).to_have_count(0)
    page.get_by_label("Completion").select_option(label="Completed the course")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 of 13 students match.")).to_be_visible()
    page.get_by_role("link", name="Clear filters").click()

    # The CSV export: a row per student, with the certificate's public URL.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the gradebook as CSV").click()
    download = download_info.value
    assert download.suggested_filename == "nmt-gradebook.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 13
    by_name = {row[next(iter(row))]: row for row in rows}
    assert set(by_name) == {s.display_name for s in nmt_class.students} | {"Grace Graduate"}
    graduate = by_name["Grace Graduate"]
    assert any(nmt_class.certificate_id in value for value in graduate.values()), graduate

    # The item analysis of module 1's quiz (12 + 1 attempts: enough for the flags).
    # Reached from the course's status page, which lists every quiz.
    page.get_by_role("navigation", name="Course tools").get_by_role("link", name="Status").click()
    page.get_by_role("link", name="Item analysis of Module 1 quiz").click()
    expect(page).to_have_url(re.compile(re.escape(ANALYSIS) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Item analysis: Module 1 quiz")
    stats = page.get_by_role("table", name="Statistics per question")
    expect(stats.locator("tbody tr")).to_have_count(8)
    expect(page.get_by_role("img", name="Score distribution")).to_be_visible()

    # Extra time on the final exam for Ana, from her page in the gradebook.
    page.goto("/instruct/courses/nmt/gradebook")
    page.get_by_role("link", name=ana.display_name, exact=True).click()
    exam = page.get_by_role("region", name="Final exam")
    exam.get_by_text("Extra time or attempts").click()
    grant = exam.locator("details", has_text="Extra time or attempts")
    grant.get_by_label("Extra minutes per attempt").fill("15")
    grant.get_by_label("Extra attempts").fill("1")
    grant.get_by_label("Reason").fill("Exam accommodation agreed with the student")
    grant.get_by_role("button", name="Save extra time and attempts").click()
    expect(page.get_by_text("Saved extra time and attempts on “Final exam”.")).to_be_visible()
    expect(page.get_by_role("region", name="Final exam")).to_contain_text(
        "0 used of 3 (includes 1 extra; 15 extra minutes per attempt)"
    )

    # Ana sees it: her exam runs 45 minutes. She also reports a question from her module 1
    # quiz review.
    student = context_page(browser, live_server, log_in, ana)
    student.goto(EXAM)
    student.get_by_role("button", name="Start the quiz").click()
    expect(student.get_by_role("timer")).to_have_text(re.compile(r"^(45|44) minutes left\.$"))
    student.goto(MODULE_1_QUIZ)
    student.get_by_role("link", name="Review attempt 1").click()
    student.get_by_text("Report a problem with question 2").click()
    student.get_by_label("What is wrong with question 2?").select_option("unclear")
    student.get_by_role("textbox", name="Comment").first.fill("Is the T the same word everywhere?")
    student.get_by_role("button", name="Send report on question 2").click()
    expect(student.get_by_text("your report on question 2 was received").first).to_be_visible()
    review_url = student.url.split("#")[0]

    # The instructor sees the report counted in the item analysis, follows it to the
    # question's reports and answers it.
    page.goto(f"{ANALYSIS}?attempts=all")
    page.get_by_role("link", name="1 / 1 reports on question 2").click()
    expect(page.get_by_role("heading", name="Reports (1)")).to_be_visible()
    card = page.locator("article", has_text="Is the T the same word everywhere?")
    expect(card).to_contain_text(f"{ana.display_name} ({ana.email})")
    card.get_by_label("Note to the student (optional)").fill(
        "No: technique in Europe, therapy in the USA. The lesson says so; the prompt is clearer."
    )
    card.get_by_role("button", name=re.compile(r"^Close report")).click()
    expect(page.get_by_text(re.compile(r"Report \d+ closed\."))).to_be_visible()
    student.goto(review_url)
    expect(student.get_by_text("technique in Europe, therapy in the USA")).to_be_visible()
    student.context.close()

    # An admin revokes the graduate's certificate from the admin pages.
    admin = context_page(browser, live_server, log_in, admin_account)
    admin.goto("/")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    admin.get_by_role("link", name="Certificates").click()
    admin.get_by_label("Search by id, name or course").fill("Grace")
    admin.get_by_role("button", name="Search").click()
    admin.get_by_role("link", name=nmt_class.certificate_id).click()
    admin.get_by_label("Reason").fill("Issued against a wrong answer key")
    admin.get_by_role("button", name="Revoke certificate").click()
    expect(admin.locator(".certificate-status")).to_contain_text("Revoked.")
    admin.context.close()

    # The public page says so to anyone, and the gradebook marks it.
    public = context_page(browser, live_server)
    public.goto(f"/certificates/{nmt_class.certificate_id}")
    expect(public.locator(".certificate-status")).to_contain_text("Revoked.")
    expect(public.get_by_text("Reason: Issued against a wrong answer key")).to_be_visible()
    public.context.close()
    page.goto("/instruct/courses/nmt/gradebook")
    expect(
        page.get_by_role("row", name=re.compile("Grace Graduate")).get_by_text("revoked")
    ).to_be_visible()
    console_guard.assert_clean()


# --- 4. by keyboard only, and on a phone -----------------------------------------------------


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const label = el && el.labels && el.labels[0] ? el.labels[0].textContent : "";
          return {tag: el ? el.tagName : "", type: el ? (el.type || "") : "",
                  id: el ? el.id : "", text: el ? el.textContent.trim() : "",
                  label: label.replace(/\\s+/g, " ").trim(), checked: !!(el && el.checked)};
        }"""
    )


def tab_until(page: Page, found, key: str = "Tab", limit: int = 60) -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if found(now):
            return now
    raise AssertionError(f"{key} never reached the element; focus is on {focused(page)}")


def answer_by_keyboard(page: Page, answer_id: int, spec: QuestionSpec, response: Any) -> None:
    """Tab into the question and answer it with arrows, Space and typing only."""
    prefix = f"q_{answer_id}-"
    now = tab_until(page, lambda el: el["id"].startswith(prefix))
    data: Any = spec.data
    if spec.type in ("single", "true_false"):
        if spec.type == "single":
            wanted = text_of(next(c.text_html for c in data.choices if c.id == response))
        else:
            wanted = "True" if response else "False"
        for _ in range(len(getattr(data, "choices", "xy")) + 1):
            if now["label"] == wanted:
                if not now["checked"]:
                    page.keyboard.press("Space")
                break
            page.keyboard.press("ArrowDown")  # moves to the next radio and checks it
            now = focused(page)
        expect(
            page.locator(f"#question-q_{answer_id}").get_by_label(wanted, exact=True)
        ).to_be_checked()
    elif spec.type == "multiple":
        wanted = {text_of(c.text_html) for c in data.choices if c.id in response}
        for index in range(len(data.choices)):
            if index:
                now = tab_until(page, lambda el: el["id"].startswith(prefix), limit=1)
            assert now["type"] == "checkbox", now
            if now["label"] in wanted:
                page.keyboard.press("Space")
    elif spec.type in ("short", "numeric"):
        assert now["tag"] == "INPUT", now
        page.keyboard.type(str(response))
    else:
        raise AssertionError(f"not answered by keyboard here: {spec.type}")


def test_student_takes_a_module_quiz_by_keyboard_only(
    page: Page, log_in, nmt_course, student_account, console_guard
) -> None:
    """From the lesson to the quiz, every answer, submit, and back to the missed passage:
    Tab, Shift+Tab, arrows, Space, typing and Enter only."""
    log_in(page, student_account)
    page.goto(f"{COURSE}/lessons/nmt-evidence")
    tab_until(page, lambda el: el["text"] == "Module 1 quiz", limit=150)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Module 1 quiz")
    tab_until(page, lambda el: el["text"] == "Start the quiz")
    page.keyboard.press("Enter")
    expect(page).to_have_url(ATTEMPT_URL)

    ids = questions_on_page(page)
    assert len(ids) == 8
    wrong_one = None
    for answer_id in ids:
        spec = spec_of(answer_id)
        response = best_answer(spec)
        if spec.type == "short":  # one deliberate mistake, to follow its link back
            response, wrong_one = "treatment", answer_id
        answer_by_keyboard(page, answer_id, spec, response)
    assert wrong_one is not None
    wait_for_autosave(page)

    tab_until(page, lambda el: el["text"] == "Finish attempt…")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()
    tab_until(page, lambda el: el["text"] == "Submit attempt")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    assert "passed" in score_text(page)
    assert "not passed" not in score_text(page)
    expect(page.locator(".review-item .grade-wrong")).to_have_count(1)

    number = ids.index(wrong_one) + 1
    link = f"Reread the lesson passage for question {number}"
    tab_until(page, lambda el: el["text"] == link, limit=120)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lessons/nmt-definition#two-lineages-two-names$"))
    expect(page.locator("#two-lineages-two-names")).to_be_in_viewport()
    console_guard.assert_clean()


@pytest.mark.parametrize("viewport", ["phone"])
def test_student_reads_and_takes_the_exam_on_a_phone(
    page: Page,
    log_in,
    nmt_course,
    student_account,
    has_horizontal_scroll,
    console_guard,
    viewport: str,
) -> None:
    """Lessons (tables, footnotes, a long title) and every exam page, tapped on a phone:
    nothing scrolls sideways (nor widens the page, as a phone browser does instead of
    scrolling), and the text stays readable."""
    width = page.viewport_size["width"]

    def scrolls(page: Page) -> bool:
        return has_horizontal_scroll(page) or page.evaluate("() => window.innerWidth") != width

    log_in(page, student_account)
    wide = []
    for lesson in ("nmt-definition", "nmt-lief", "nmt-contraindications", "nmt-glossary"):
        page.goto(f"{COURSE}/lessons/{lesson}")
        if scrolls(page):
            wide.append(lesson)
    font_size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.prose p')).fontSize)"
    )
    assert font_size >= 16

    page.goto(EXAM)
    page.get_by_role("button", name="Start the quiz").tap()
    expect(page).to_have_url(ATTEMPT_URL)
    attempt = "/attempts/" + ATTEMPT_URL.search(page.url).group(1)
    for number in (1, 2, 3):
        if scrolls(page):
            wide.append(f"exam page {number}")
        # Selects must fit: the longest matching options are wider than the screen.
        too_wide = page.evaluate(
            """() => [...document.querySelectorAll("main select, main input, main label")]
                  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
                  .map((el) => el.id || el.htmlFor)"""
        )
        assert not too_wide, f"controls wider than the phone on page {number}: {too_wide}"
        answer_page(page, right=True)
        if number < 3:
            page.get_by_role("button", name="Next page").tap()
            expect(page).to_have_url(re.compile(rf"\?page={number + 1}$"))
        else:
            page.get_by_role("button", name="Finish attempt…").tap()
    expect(page.get_by_text("Every question has an answer.")).to_be_visible()
    if scrolls(page):
        wide.append("exam summary")
    page.get_by_role("button", name="Submit attempt").tap()
    assert score_text(page).startswith("100%"), score_text(page)
    if scrolls(page):
        wide.append("exam review")
    assert not wide, f"pages that scroll sideways on a phone: {wide}"
    assert attempt in page.url
    console_guard.assert_clean()
