"""Certificates in a real browser: earning one, the PDF download, public verification (valid and
revoked, logged out, desktop and phone, axe under the real CSP), and the admin pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from learnapp.auth.models import User
from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course
from learnapp.certificates import services
from learnapp.extensions import db
from learnapp.progress import services as progress

VIEWPORT_SIZES = ["desktop", "phone"]
pytestmark = pytest.mark.usefixtures("synced_courses")


def log_out(page: Page) -> None:
    page.wait_for_load_state("networkidle")  # the session cookie is refreshed by each response
    page.context.clear_cookies()


def finish_all_but_the_last_lesson(account, submit_result) -> None:
    user = db.session.get(User, account.id)
    course = db.session.scalar(db.select(Course).filter_by(slug="basics"))
    for slug in ("basics-intro", "basics-second"):
        lesson = catalog.get_lesson(course, slug)
        progress.complete_lesson(user, course, lesson)
    db.session.commit()
    quiz = catalog.get_quiz(course, "basics-quiz")
    submit_result(user, quiz, 90)
    db.session.commit()


@pytest.fixture
def issued(student_account, submit_result) -> str:
    """The public id of a certificate the student earned."""
    finish_all_but_the_last_lesson(student_account, submit_result)
    user = db.session.get(User, student_account.id)
    course = db.session.scalar(db.select(Course).filter_by(slug="basics"))
    progress.complete_lesson(user, course, catalog.get_lesson(course, "basics-third"))
    certificate = services.issue_if_complete(user, course)
    db.session.commit()
    assert certificate is not None
    public_id = certificate.public_id
    db.session.commit()
    return public_id


def test_student_earns_downloads_and_verifies_a_certificate(
    page: Page, log_in, student_account, submit_result, console_guard, tmp_path
) -> None:
    finish_all_but_the_last_lesson(student_account, submit_result)
    log_in(page, student_account)
    page.goto("/courses/basics/lessons/basics-third")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page).to_have_url(re.compile(r"/certificates/[A-Za-z0-9_-]{22}$"))
    expect(page.get_by_text("here is your certificate")).to_be_visible()
    expect(page.get_by_text("Valid.")).to_be_visible()
    verify_url = page.url
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Certificate (PDF)").click()
    download = download_info.value
    pdf = tmp_path / "certificate.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("link", name="Course basics", exact=True).first).to_be_visible()
    expect(page.get_by_text("No certificates yet")).to_have_count(0)
    log_out(page)
    page.goto(verify_url)
    expect(page.get_by_text("Valid.")).to_be_visible()
    expect(page.get_by_text("Sam Student")).to_be_visible()
    console_guard.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_verification_page_is_accessible_valid_and_revoked(
    page: Page, issued: str, assert_accessible, has_horizontal_scroll, viewport: str
) -> None:
    page.goto(f"/certificates/{issued}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate verification")
    expect(page.locator(".certificate-status")).to_contain_text("Valid.")
    assert_accessible(page)
    assert not has_horizontal_scroll(page)
    certificate = services.get_by_public_id(issued)
    services.revoke(certificate, reason="Answer key error", actor=None)
    db.session.commit()
    page.goto(f"/certificates/{issued}")
    expect(page.locator(".certificate-status")).to_contain_text("Revoked.")
    assert_accessible(page)
    assert not has_horizontal_scroll(page)


def test_unknown_certificate_is_a_plain_404(page: Page, issued: str, assert_accessible) -> None:
    response = page.goto("/certificates/" + "A" * 22)
    assert response is not None
    assert response.status == 404
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_admin_revokes_and_undoes_on_the_verification_page(
    page: Page, log_in, admin_account, issued, assert_accessible, has_horizontal_scroll, viewport
) -> None:
    log_in(page, admin_account)
    page.goto(f"/certificates/{issued}")
    assert_accessible(page)
    page.get_by_label("Reason").fill("Answer key error")
    page.get_by_role("button", name="Revoke certificate").click()
    expect(page.locator(".certificate-status")).to_contain_text("Revoked.")
    expect(page.get_by_text("Reason: Answer key error")).to_be_visible()
    page.get_by_role("button", name="Undo the revocation").click()
    expect(page.locator(".certificate-status")).to_contain_text("Valid.")
    page.goto("/admin/certificates")
    expect(page.get_by_role("link", name=issued)).to_be_visible()
    assert_accessible(page)
    assert not has_horizontal_scroll(page)
    page.get_by_role("link", name="Award a certificate").click()
    assert_accessible(page)
    page.get_by_role("button", name="Award certificate").click()
    expect(page.get_by_text("Please correct the highlighted fields.")).to_be_visible()
    assert_accessible(page)
