"""The shipped courses in a real browser: catalogue, course, lesson, quiz overview and search."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from learnapp.catalog import services
from learnapp.extensions import db

COURSES = Path(__file__).resolve().parents[2] / "courses"
VIEWPORT_SIZES = ["desktop", "phone"]


@pytest.fixture(autouse=True)
def shipped_courses(app) -> None:
    """Serve the real courses (NMT and "Writing a LearnApp course")."""
    app.config["COURSES_DIR"] = str(COURSES)
    report = services.sync_courses()
    db.session.commit()
    assert report.ok, report.problems


PAGES: dict[str, str] = {
    "catalogue": "/courses",
    "course": "/courses/nmt",
    "lesson-with-table-and-footnotes": "/courses/nmt/lessons/nmt-lief",
    "lesson-with-code-and-image": "/courses/writing-a-course/lessons/wac-markdown",
    "quiz-overview": "/courses/nmt/quizzes/nmt-final-exam",
    "search-results": "/search?q=trigger+point",
    "search-no-results": "/search?q=zzzzqqq",
}


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
@pytest.mark.parametrize("name", list(PAGES))
def test_catalog_pages_have_no_wcag_violations(
    page: Page, assert_accessible, console_guard, has_horizontal_scroll, name: str, viewport: str
) -> None:
    response = page.goto(PAGES[name])
    assert response is not None
    assert response.status == 200
    assert_accessible(page)
    assert not has_horizontal_scroll(page), "the page scrolls sideways"
    console_guard.assert_clean()


def test_reader_goes_from_catalogue_through_lessons(page: Page, console_guard) -> None:
    page.goto("/courses")
    title = "Neuromuscular Therapy: Principles, Techniques and History"
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Neuromuscular Therapy")
    expect(page.get_by_text("Educational course, not medical advice")).to_be_visible()
    page.get_by_role("link", name="Start the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What neuromuscular therapy is")
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/lessons/nmt-not-nmt$"))
    page.get_by_role("link", name="Previous").click()
    expect(page).to_have_url(re.compile(r"/lessons/nmt-definition$"))
    console_guard.assert_clean()


def test_table_of_contents_jumps_to_the_section(page: Page) -> None:
    page.goto("/courses/nmt/lessons/nmt-lief")
    toc = page.get_by_role("navigation", name="On this page")
    toc.get_by_role("link", name="Champneys").click()
    expect(page).to_have_url(re.compile(r"#champneys$"))
    expect(page.locator("#champneys")).to_be_in_viewport()


def test_lesson_links_the_module_quiz(page: Page) -> None:
    page.goto("/courses/nmt/lessons/nmt-definition")
    page.get_by_role("complementary", name="Test yourself").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("quiz", ignore_case=True)


def test_search_from_the_header_finds_a_lesson(page: Page, console_guard) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.get_by_label("Words to find in lesson titles and text").fill("Champneys")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("found")
    results = page.locator(".search-results mark")
    expect(results.first).to_be_visible()
    page.locator(".search-results h2 a").first.click()
    expect(page.locator("article.lesson")).to_contain_text("Champneys")
    console_guard.assert_clean()


def test_lesson_images_and_highlighted_code_render(page: Page, console_guard) -> None:
    images: list[Response] = []
    page.on("response", lambda r: images.append(r) if "/assets/" in r.url else None)
    page.goto("/courses/writing-a-course/lessons/wac-markdown")
    image = page.locator("article img").first
    expect(image).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth > 0", image.element_handle())
    assert all(r.status == 200 for r in images)
    assert page.locator("article pre code span").count() > 0  # Pygments token spans
    console_guard.assert_clean()


def test_start_course_by_keyboard(page: Page) -> None:
    page.goto("/courses/nmt")
    start = page.get_by_role("link", name="Start the course")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Start the course":
            break
    expect(start).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("What neuromuscular therapy is")


@pytest.mark.parametrize("viewport", ["phone"])
def test_lesson_reads_well_on_a_phone(page: Page, has_horizontal_scroll, viewport: str) -> None:
    page.goto("/courses/nmt/lessons/nmt-contraindications")
    assert not has_horizontal_scroll(page)
    font_size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.prose p')).fontSize)"
    )
    assert font_size >= 16


def test_printing_hides_navigation(page: Page) -> None:
    page.goto("/courses/nmt/lessons/nmt-definition")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".pager")).to_be_hidden()
    expect(page.locator("article.lesson")).to_be_visible()
