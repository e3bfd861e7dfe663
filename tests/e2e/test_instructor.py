"""The instructor area in a browser: axe (WCAG 2.2 A/AA) on the gradebook, the student page and
the course status page, at desktop and phone sizes, with the real CSP; sorting and filtering
by keyboard-reachable links and a labelled form."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from learnapp.auth.models import Role
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import SUBMITTED, QuizAttempt

VIEWPORT_SIZES = ["desktop", "phone"]

DUPLICATE_IDS = """() => {
  const counts = {};
  for (const el of document.querySelectorAll("[id]")) counts[el.id] = (counts[el.id] || 0) + 1;
  return Object.keys(counts).filter((id) => counts[id] > 1).sort();
}"""


def assert_fits(page: Page, has_horizontal_scroll) -> None:
    """No sideways scrolling, and no zoomed-out layout either: a phone browser widens the
    layout viewport when something sticks out, which ``has_horizontal_scroll`` alone misses."""
    assert not has_horizontal_scroll(page)
    assert page.evaluate("() => window.innerWidth") == page.viewport_size["width"]


@pytest.fixture
def classroom(sync, account, make_user):
    """The basics course's instructor and three students with results (one with a display
    name that would be a spreadsheet formula)."""
    import secrets

    from learnapp.catalog.models import Course, Quiz
    from learnapp.progress.models import Enrollment

    sync()
    teacher = account(email="instructor@example.com", role=Role.INSTRUCTOR, display_name="Ivy")
    course = db.session.scalar(db.select(Course).filter_by(slug="basics"))
    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))
    now = utcnow()
    students = [
        make_user(display_name=name, email=f"s{n}@example.com")
        for n, name in enumerate(["Zoë Ångström", "=SUM(A1)", "Bo Li"])
    ]
    for n, student in enumerate(students):
        db.session.add(Enrollment(user_id=student.id, course_id=course.id))
        db.session.add(
            QuizAttempt(
                user_id=student.id,
                quiz_id=quiz.id,
                number=1,
                status=SUBMITTED,
                started_at=now - timedelta(minutes=30),
                submitted_at=now - timedelta(minutes=10),
                token_nonce=secrets.token_hex(16),
                score=Decimal(30 * (n + 1)),
                max_score=Decimal(100),
                percent=Decimal(30 * (n + 1)),
            )
        )
    db.session.flush()
    admin = make_user(role=Role.ADMIN)
    lifecycle.set_manual_score(students[0], quiz, Decimal(85), reason="oral exam", actor=admin)
    db.session.commit()
    ids = [student.id for student in students]
    db.session.commit()
    return {"teacher": teacher, "student_ids": ids}


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_gradebook_is_accessible_and_sortable(
    page: Page, log_in, classroom, assert_accessible, has_horizontal_scroll, viewport: str
) -> None:
    log_in(page, classroom["teacher"])
    response = page.goto("/instruct/courses/basics/gradebook")
    assert response is not None
    assert response.status == 200
    table = page.get_by_role("table", name=re.compile("Students of Course basics"))
    expect(table).to_be_visible()
    expect(page.get_by_text("set by hand", exact=True)).to_be_visible()
    assert_accessible(page)
    assert page.evaluate(DUPLICATE_IDS) == []
    # The page never scrolls sideways; the table scrolls inside its own region.
    assert_fits(page, has_horizontal_scroll)

    page.get_by_role("link", name=re.compile(r"^Progress")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Progress")
    page.get_by_role("link", name=re.compile(r"^Basics quiz")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Basics quiz")
    page.get_by_role("link", name=re.compile(r"^Basics quiz")).click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Basics quiz")
    names = page.locator("tbody th[scope=row] a")
    expect(names).to_have_text(["Bo Li", "Zoë Ångström", "=SUM(A1)"])  # 90, 85 by hand, 60
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_gradebook_filter_form_and_empty_state(
    page: Page, log_in, classroom, assert_accessible, viewport: str
) -> None:
    log_in(page, classroom["teacher"])
    page.goto("/instruct/courses/basics/gradebook")
    page.get_by_label("Name or e-mail").fill("bo li")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_label("Name or e-mail").fill("nobody at all")
    page.get_by_label("Completion").select_option("completed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No student matches these filters")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_student_page_and_course_status_are_accessible(
    page: Page, log_in, classroom, assert_accessible, has_horizontal_scroll, viewport: str
) -> None:
    log_in(page, classroom["teacher"])
    page.goto(f"/instruct/courses/basics/students/{classroom['student_ids'][1]}")
    expect(page.get_by_role("heading", level=1)).to_have_text("=SUM(A1)")
    assert_fits(page, has_horizontal_scroll)
    discard = page.locator("details", has_text="Discard attempt 1")
    discard.locator("summary").click()
    expect(discard.get_by_label("Reason")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate(DUPLICATE_IDS) == []
    # Submitting without a reason shows the error next to the field.
    discard.get_by_role("button", name="Discard attempt").click()
    expect(page.get_by_text("Give a reason.")).to_be_visible()
    expect(
        page.locator("details", has_text="Discard attempt 1").get_by_label("Reason")
    ).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto("/instruct/courses/basics")
    expect(page.get_by_role("button", name="Sync now")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("have not changed since the last sync")).to_be_visible()
    assert_accessible(page)
