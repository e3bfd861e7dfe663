"""The shipped courses in a real browser: catalogue, course, lesson, quiz overview and search."""

from __future__ import annotations

import re
import shutil
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
    "lesson-with-svg-figures": "/courses/nmt/lessons/nmt-lief-strokes",
    "lesson-with-decision-chart": "/courses/nmt/lessons/nmt-red-flags",
    "lesson-with-timeline-and-wide-table": "/courses/nmt/lessons/nmt-convergence",
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
def test_nmt_figures_load_and_fit_a_phone(page: Page, console_guard, viewport: str) -> None:
    """Every SVG figure of the NMT course is served, drawn and no wider than a phone screen."""
    for lesson in ("nmt-trigger-points", "nmt-endangerment-sites", "nmt-lief-strokes", "nmt-met"):
        page.goto(f"/courses/nmt/lessons/{lesson}")
        figures = page.locator("article img")
        expect(figures.first).to_be_visible()
        for index in range(figures.count()):
            figure = figures.nth(index)
            figure.scroll_into_view_if_needed()
            box = page.evaluate(
                """(img) => ({loaded: img.complete && img.naturalWidth > 0,
                           right: img.getBoundingClientRect().right, width: window.innerWidth})""",
                figure.element_handle(),
            )
            assert box["loaded"], (lesson, index)
            assert box["right"] <= box["width"], (lesson, index, box)
    console_guard.assert_clean()


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


PROBE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">
<rect width="40" height="40" fill="#369"/>
<script>document.documentElement.setAttribute("data-inline", "ran")</script>
<script href="probe.js"/>
</svg>
"""
PROBE_JS = 'document.documentElement.setAttribute("data-file", document.cookie || "ran")\n'


def test_a_course_svg_opened_directly_runs_nothing(page: Page, app, tmp_path, console_guard):
    """An author's SVG with scripts, inline and from a .js file of the course (the site's
    policy allowed ``script-src 'self'``). The lessons' SVG figures still load; the SVG opened
    by itself is a sandboxed document with an opaque origin: no script runs, and the .js
    file is refused by ``courses check`` and never served."""
    root = tmp_path / "courses"
    shutil.copytree(COURSES / "nmt", root / "nmt")
    images = root / "nmt" / "04-techniques" / "images"
    (images / "probe.svg").write_text(PROBE_SVG)
    (images / "probe.js").write_text(PROBE_JS)
    app.config["COURSES_DIR"] = str(root)
    report = services.sync_courses()  # the course keeps its last good version
    db.session.commit()
    assert report.failed == ["nmt"]
    assert [str(p) for p in report.problems if "probe" in str(p)] == [
        f"{root}/nmt/04-techniques/images/probe.js:1: files of type .js are never served:"
        " a course may hold only images, PDF, fonts, audio, video and plain text"
    ]

    page.goto("/courses/nmt/lessons/nmt-lief-strokes")
    figures = page.locator("article img[src$='.svg']")
    expect(figures.first).to_be_visible()
    for index in range(figures.count()):
        figures.nth(index).scroll_into_view_if_needed()
        loaded = "(img) => img.complete && img.naturalWidth > 0"
        assert page.evaluate(loaded, figures.nth(index).element_handle()), index
    console_guard.assert_clean()

    response = page.goto("/courses/nmt/assets/04-techniques/images/probe.svg")
    assert response is not None
    assert response.status == 200
    assert "sandbox" in response.headers["content-security-policy"]
    marks = "() => [...document.documentElement.attributes].map((a) => a.name)"
    assert not {"data-inline", "data-file"} & set(page.evaluate(marks))
    assert page.evaluate("() => self.origin") == "null"  # sandboxed: not the site's origin
    # The browser reports the scripts it refused; nothing else may go wrong.
    refused = [e for e in console_guard.errors if "sandboxed" in e and "allow-scripts" in e]
    assert refused, console_guard.errors
    console_guard.errors = [e for e in console_guard.errors if e not in refused]
