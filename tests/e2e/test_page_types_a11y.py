"""axe-core (WCAG 2.0-2.2 A/AA) on the page types the other browser tests do not cover, with
the shipped NMT course and a class of students, at desktop and phone sizes, under the real CSP;
plus the quiz page's structure for assistive technology (fieldsets, legends, real controls)
and a timer that speaks once a minute, not once a second.

Where each page type is checked (all at desktop and phone sizes):

========================================  ===============================================
catalogue, course, lesson, search          test_catalog.py
quiz overview, attempt, summary, review,   test_quizzes.py (fixture quiz, every question
practice                                   type); the NMT exam and its review: here
dashboard                                  test_progress.py; with a certificate: here
certificate verification, admin            test_certificates.py; the NMT one: here
certificates list and award
item analysis, question reports            test_analysis.py; the NMT quiz's: here
gradebook, student, course status          test_instructor.py (fixture course); with the
                                           NMT course's six quiz columns: here
instructor index, attempt                  here
admin users and user, account, login,      test_accessibility.py
register, 404, 403
audit log, privacy                         test_admin_privacy.py
400 (an expired form), 404 and 403 on      here
staff pages
========================================  ===============================================
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from learnapp.auth.models import User
from learnapp.catalog import services as catalog
from learnapp.extensions import db
from learnapp.quizzes.models import QuizAttempt

VIEWPORT_SIZES = ["desktop", "phone"]
EXAM = "/courses/nmt/quizzes/nmt-final-exam"


def switch_to(page: Page, log_in, account) -> None:
    """Log out (cookies cleared) and in again as ``account``."""
    page.context.clear_cookies()
    log_in(page, account)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def first_attempt_of(account) -> int:
    user = db.session.get(User, account.id)
    attempt_id = db.session.scalar(
        db.select(QuizAttempt.id).filter_by(user_id=user.id).order_by(QuizAttempt.id)
    )
    db.session.commit()
    assert attempt_id is not None
    return attempt_id


class Documents:
    """Remembers the last document response of a page (after goto, a click or a form post)."""

    def __init__(self, page: Page) -> None:
        self.last: Response | None = None
        self._page = page
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        if response.request.is_navigation_request() and response.frame == self._page.main_frame:
            self.last = response


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_staff_and_course_pages_have_no_wcag_violations(
    page: Page,
    log_in,
    nmt_class,
    admin_account,
    axe_violations,
    has_horizontal_scroll,
    console_guard,
    viewport: str,
) -> None:
    """Every page type listed as "here" above, collected so one run lists every problem."""
    problems: dict[str, list[dict[str, Any]]] = {}
    scrolls: list[str] = []
    statuses: dict[str, tuple[int | None, int]] = {}
    documents = Documents(page)

    def check(name: str, status: int = 200) -> None:
        page.wait_for_load_state()
        response = documents.last
        if response is None or response.status != status:
            statuses[name] = (response.status if response else None, status)
        elif "script-src 'self'" not in response.headers.get("content-security-policy", ""):
            statuses[name] = (response.status, -1)  # no CSP
        found = axe_violations(page)
        if found:
            problems[name] = found
        # A phone browser widens (zooms out) the layout instead of scrolling when something
        # sticks out, so a wider window counts as scrolling too.
        widened = page.evaluate("() => window.innerWidth") != page.viewport_size["width"]
        if has_horizontal_scroll(page) or widened:
            scrolls.append(name)

    def visit(name: str, path: str, status: int = 200) -> None:
        page.goto(path)
        check(name, status)

    ana = nmt_class.students[0]
    switch_to(page, log_in, nmt_class.instructor)
    visit("instructor index", "/instruct")
    visit("instructor course status", "/instruct/courses/nmt")
    visit("gradebook", "/instruct/courses/nmt/gradebook")
    visit("gradebook, sorted", "/instruct/courses/nmt/gradebook?sort=progress&dir=desc")
    visit("gradebook, no match", "/instruct/courses/nmt/gradebook?q=nobody-at-all")
    visit("student", f"/instruct/courses/nmt/students/{ana.id}")
    # Every disclosure open, so the forms inside are checked too.
    page.evaluate("() => document.querySelectorAll('main details').forEach(d => d.open = true)")
    check("student, every form open")

    # A form sent with errors shows them in place (400), still accessible.
    grant = page.get_by_role("region", name="Final exam").locator(
        "details", has_text="Extra time or attempts"
    )
    grant.get_by_label("Extra minutes per attempt").fill("-5")
    grant.get_by_label("Reason").fill("Testing the errors")
    grant.get_by_role("button", name="Save extra time and attempts").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    check("student, form errors", 400)

    attempt_id = first_attempt_of(ana)
    visit("instructor attempt review", f"/instruct/courses/nmt/attempts/{attempt_id}")
    visit(
        "item analysis (NMT module 1)",
        "/instruct/courses/nmt/quizzes/nmt-m1-quiz/analysis?attempts=all",
    )
    visit(
        "question reports of one question",
        "/instruct/courses/nmt/questions/q-m1-definition/reports",
    )
    visit("course reports, none yet", "/instruct/courses/nmt/reports")
    visit("404: a student not in the course", "/instruct/courses/nmt/students/999999", 404)

    # The graduate: dashboard with a certificate, the NMT certificate page, the exam review.
    switch_to(page, log_in, nmt_class.graduate)
    visit("dashboard with a certificate", "/dashboard")
    visit("certificate (NMT)", f"/certificates/{nmt_class.certificate_id}")
    visit("exam overview after an attempt", EXAM)
    page.get_by_role("link", name="Review attempt 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of attempt 1")
    check("exam review before the last attempt")
    visit("403: staff page as a student", "/instruct/courses/nmt/gradebook", 403)

    # A student at the exam: every page of it (matching, ordering and choices).
    switch_to(page, log_in, nmt_class.students[1])
    page.goto(EXAM)
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("timer")).to_have_text(re.compile("minutes left"))
    check("exam attempt, page 1")
    for number in (2, 3):
        page.get_by_role("button", name="Next page").click()
        expect(page).to_have_url(re.compile(rf"\?page={number}$"))
        check(f"exam attempt, page {number}")
    page.get_by_role("button", name="Finish attempt…").click()
    expect(page.get_by_text("15 questions still unanswered.")).to_be_visible()
    check("exam summary with unanswered questions")

    # An expired form: the 400 page.
    page.goto("/account")
    page.evaluate(
        "() => document.querySelectorAll('input[name$=csrf_token]').forEach(i => i.value = 'x')"
    )
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("This form has expired")).to_be_visible()
    check("400: expired form", 400)

    # The admin's view of a certificate, with the revoke form.
    switch_to(page, log_in, admin_account)
    visit("certificate with staff actions", f"/certificates/{nmt_class.certificate_id}")

    report = "\n".join(f"{name}:\n{describe(found)}" for name, found in problems.items())
    assert not problems, f"axe violations at {viewport} size:\n{report}"
    assert not scrolls, f"pages that scroll sideways at {viewport} size: {scrolls}"
    assert not statuses, f"unexpected statuses (got, wanted; -1: no CSP): {statuses}"
    console_guard.assert_clean()


# --- the quiz page for assistive technology ----------------------------------------------------

QUESTION_STRUCTURE = """() => [...document.querySelectorAll("main form fieldset.question")]
  .map((set) => ({
    legend: set.querySelector(":scope > legend")?.textContent.replace(/\\s+/g, " ").trim(),
    controls: [...set.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .map((el) => ({
        tag: el.tagName, type: el.type || "", labelled: el.labels.length > 0,
        inFieldset: el.closest("fieldset") === set,
      })),
    fake: set.querySelectorAll(
      "[role=radio], [role=checkbox], [role=listbox], [contenteditable]").length,
  }))"""


def test_quiz_choices_are_form_controls_and_announcements_are_polite(
    page: Page, log_in, nmt_course, student_account
) -> None:
    """On the real exam: each question is a fieldset whose legend numbers it, holding native,
    labelled controls (no ARIA imitations); the timer and the save status are polite live
    regions, and the timer changes its text once a minute, not every second."""
    page.clock.install()
    switch_to(page, log_in, student_account)
    page.goto(EXAM)
    page.get_by_role("button", name="Start the quiz").click()
    timer = page.get_by_role("timer")
    expect(timer).to_have_text(re.compile(r"^(30|29) minutes left\.$"))

    kinds: set[str] = set()
    for number in (1, 2, 3):
        if number > 1:
            page.get_by_role("button", name="Next page").click()
            expect(page).to_have_url(re.compile(rf"\?page={number}$"))
        questions = page.evaluate(QUESTION_STRUCTURE)
        assert len(questions) == 5
        for offset, question in enumerate(questions):
            position = (number - 1) * 5 + offset + 1
            assert question["legend"].startswith(f"Question {position} ("), question
            assert question["controls"], question
            assert all(c["labelled"] and c["inFieldset"] for c in question["controls"]), question
            assert question["fake"] == 0, question
            kinds |= {f"{c['tag']}:{c['type']}" for c in question["controls"]}
        groups = page.locator("main form").get_by_role("group")
        expect(groups).to_have_count(5)
        expect(groups.first).to_have_accessible_name(re.compile(r"^Question \d+ \("))
    # The exam uses every kind of control a quiz has.
    assert {"INPUT:radio", "INPUT:checkbox", "SELECT:select-one"} <= kinds, kinds

    status = page.locator("[data-save-status]")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(timer).to_have_attribute("aria-live", "polite")
    expect(timer).to_have_attribute("aria-atomic", "true")
    assert page.locator("[aria-live=assertive], [role=alert]").count() == 0

    # Count the timer's text changes over five minutes of the page's clock.
    page.evaluate(
        """() => {
          window.__timerChanges = 0;
          new MutationObserver(() => window.__timerChanges++).observe(
            document.querySelector("[role=timer]"),
            {childList: true, characterData: true, subtree: true});
        }"""
    )
    page.clock.run_for("05:00")
    changes = page.evaluate("() => window.__timerChanges")
    assert 4 <= changes <= 6, f"the timer changed its text {changes} times in five minutes"
    expect(timer).to_have_text(re.compile(r"^(25|24) minutes left\.$"))


# --- nothing is wider than a phone ---------------------------------------------------------------


@pytest.mark.parametrize("viewport", ["phone"])
def test_no_page_is_wider_than_a_phone(
    page: Page, log_in, nmt_class, admin_account, has_horizontal_scroll, viewport: str
) -> None:
    """Every lesson of the shipped courses and every other page type, at 390 px.

    A phone browser does not scroll sideways when something sticks out: it widens the layout
    (``window.innerWidth`` grows) and zooms out, which ``has_horizontal_scroll`` alone cannot
    see. Both count here.
    """
    paths = [
        f"/courses/{slug}/lessons/{lesson.slug}"
        for slug in ("nmt", "writing-a-course")
        for module in catalog.course_outline(catalog.get_course(slug, None))
        for lesson in module.lessons
    ]
    db.session.commit()  # end the read: the server thread writes while the pages load
    public = [
        "/",
        "/courses",
        "/courses/nmt",
        "/courses/writing-a-course",
        "/search?q=trigger",
        "/login",
        "/register",
        "/privacy",
        f"/certificates/{nmt_class.certificate_id}",
        "/no-such-page",
    ]
    student = [
        "/dashboard",
        "/practice",
        "/account",
        "/courses/nmt/quizzes/nmt-m1-quiz",
        "/courses/nmt/quizzes/nmt-final-exam",
    ]
    staff = [
        "/instruct",
        "/instruct/courses/nmt",
        "/instruct/courses/nmt/gradebook",
        f"/instruct/courses/nmt/students/{nmt_class.students[0].id}",
        "/instruct/courses/nmt/quizzes/nmt-m1-quiz/analysis",
        "/instruct/courses/nmt/reports",
    ]
    admin = [
        "/admin/users",
        f"/admin/users/{nmt_class.students[0].id}",
        "/admin/audit",
        "/admin/certificates",
        "/admin/certificates/award",
    ]

    wide: list[str] = []

    def visit(paths: list[str]) -> None:
        for path in paths:
            page.goto(path)
            widened = page.evaluate("() => window.innerWidth") != page.viewport_size["width"]
            if widened or has_horizontal_scroll(page):
                wide.append(path)

    visit(paths + public)
    switch_to(page, log_in, nmt_class.students[0])
    visit(student)
    switch_to(page, log_in, nmt_class.instructor)
    visit(staff)
    switch_to(page, log_in, admin_account)
    visit(admin)
    assert len(paths) >= 25
    assert not wide, f"pages wider than a phone: {wide}"
