"""Admin and privacy pages in a real browser: audit log, courses taught, anonymisation, the
privacy page and the data download; axe at desktop and phone sizes under the real CSP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from learnapp.audit import services as audit
from learnapp.auth.models import User
from learnapp.extensions import db

VIEWPORT_SIZES = ["desktop", "phone"]


pytestmark = pytest.mark.usefixtures("synced_courses")


@pytest.fixture
def events(admin_account, student_account) -> None:
    """A few audit events with long details, as a busy site would have."""
    admin = db.session.get(User, admin_account.id)
    student = db.session.get(User, student_account.id)
    for n in range(3):
        audit.record(
            "user.role_changed",
            actor=admin,
            target=student,
            old="student",
            new="instructor",
            reason=f"teaches the neuromuscular therapy course from next term (change {n})",
        )
    audit.record("quiz.regraded", target_type="quizzes", target_id=1, changed=12)
    db.session.commit()


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_audit_log_is_accessible_and_filters(
    page: Page,
    log_in,
    admin_account,
    events,
    assert_accessible,
    has_horizontal_scroll,
    viewport: str,
) -> None:
    log_in(page, admin_account)
    page.goto("/admin/users")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.get_by_role("table")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)

    page.get_by_label("Action").select_option("quiz.regraded")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"action=quiz\.regraded"))
    expect(page.get_by_text("1 event matches the filters.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Actor").fill("nobody-at-all")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No event matches these filters.")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_privacy_page_is_accessible(
    page: Page, assert_accessible, has_horizontal_scroll, viewport: str
) -> None:
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy")
    expect(
        page.get_by_role("table", name="Data LearnApp stores, and the reason for each")
    ).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)


def test_student_downloads_their_data_from_the_account_page(
    page: Page, log_in, student_account, assert_accessible
) -> None:
    log_in(page, student_account)
    page.goto("/account")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == student_account.email
    assert download.value.suggested_filename.startswith(f"learnapp-data-{student_account.id}-")


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_admin_assigns_a_course_then_anonymises_the_account(
    page: Page,
    log_in,
    admin_account,
    account,
    assert_accessible,
    has_horizontal_scroll,
    viewport: str,
) -> None:
    teacher = account(role="instructor", email="teach@example.com", display_name="Tia Teacher")
    log_in(page, admin_account)
    page.goto(f"/admin/users/{teacher.id}")
    expect(page.get_by_text("Tia Teacher teaches no course yet.")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)

    page.get_by_label("Course", exact=True).select_option(label="Course basics")
    page.get_by_role("button", name="Assign course").click()
    expect(page.get_by_text("teach@example.com now teaches Course basics.")).to_be_visible()
    expect(page.get_by_role("cell", name="assigned by an admin")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)

    # A wrong confirmation is refused with an accessible error.
    anonymise = page.get_by_role("region", name="Anonymise account")
    anonymise.get_by_label("Reason (for the audit log)").fill("asked in writing on 3 Dec")
    anonymise.get_by_label("Type the account's e-mail address to confirm").fill("wrong@example.com")
    anonymise.get_by_role("button", name="Anonymise account").click()
    expect(page.get_by_text("This is not the account's e-mail address.")).to_be_visible()
    assert_accessible(page)

    anonymise = page.get_by_role("region", name="Anonymise account")
    anonymise.get_by_label("Reason (for the audit log)").fill("asked in writing on 3 Dec")
    anonymise.get_by_label("Type the account's e-mail address to confirm").fill(teacher.email)
    anonymise.get_by_role("button", name="Anonymise account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Anonymised instructor #{teacher.id}"
    )
    expect(page.get_by_text("can no longer be changed")).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)
