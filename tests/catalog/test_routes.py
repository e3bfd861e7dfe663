import pytest
from flask import url_for
from sqlalchemy import event

from learnapp.catalog import services
from learnapp.content import UrlBuilder
from learnapp.content.files import ASSET_CONTENT_SECURITY_POLICY
from learnapp.progress import services as progress
from tests.catalog.test_budgets import _more_courses


def test_catalogue_lists_course_facts(basics, client):
    body = client.get("/courses").get_data(as_text=True)
    assert "Course basics" in body
    assert "A tiny course used by the test suite." in body
    assert "Beginner" in body
    assert "About 1 hours" in body or "About 1 hour" in body
    assert "3 lessons" in body


def test_empty_catalogue_explains_itself(client):
    assert "No courses are published yet." in client.get("/courses").get_data(as_text=True)


CARD = 'class="card course-card"'


@pytest.fixture
def thirty_courses(courses_root, sync):
    """Basics and 29 published copies: a full catalogue page of 24 and a second of 6."""
    _more_courses(courses_root, 29)
    assert sync().ok


def test_catalogue_pages_hold_24_courses_with_previous_and_next(thirty_courses, client):
    assert services.CATALOGUE_PAGE_SIZE == 24
    first = client.get("/courses").get_data(as_text=True)
    assert first.count(CARD) == 24
    assert '<nav aria-label="Catalogue pages" class="pagination">' in first
    assert '<a href="/courses?page=2" rel="next">Next</a>' in first
    assert 'rel="prev"' not in first
    assert "Page 1 of 2" in first
    assert client.get("/courses?page=1").get_data(as_text=True) == first

    second = client.get("/courses?page=2").get_data(as_text=True)
    assert second.count(CARD) == 6
    assert '<a href="/courses?page=1" rel="prev">Previous</a>' in second
    assert 'rel="next"' not in second
    assert "Page 2 of 2" in second
    assert "<title>Courses (Page 2 of 2) · LearnApp</title>" in second

    titles = {line for line in (first + second).splitlines() if 'href="/courses/' in line}
    assert len(titles) == 30  # every course on exactly one page

    assert client.get("/courses?page=3").status_code == 404


@pytest.mark.parametrize(
    "page", ["abc", "0", "-1", "+2", "2_0", " 2", "2.0", "", "99999999999999999999"]
)
def test_catalogue_page_that_is_not_a_plain_positive_number_is_404(basics, client, page):
    assert client.get("/courses", query_string={"page": page}).status_code == 404


def test_one_page_catalogue_has_no_page_nav(basics, client):
    body = client.get("/courses").get_data(as_text=True)
    assert body.count(CARD) == 1
    assert "pagination" not in body
    assert "Page 1 of 1" not in body
    assert client.get("/courses?page=1").status_code == 200
    assert client.get("/courses?page=2").status_code == 404


def test_empty_catalogue_keeps_its_page_1_only(client):
    assert "No courses are published yet." in client.get("/courses?page=1").get_data(as_text=True)
    assert client.get("/courses?page=2").status_code == 404


def test_catalogue_computes_progress_for_the_pages_courses_only(
    thirty_courses, student, login, monkeypatch
):
    client = login(student)
    assert client.post("/courses/basics/enroll").status_code == 302  # "Course basics": page 2
    given = []

    def followed(user, views):
        given.append([view.course.title for view in views])
        return real(user, views)

    real = progress.followed_progress
    monkeypatch.setattr(progress, "followed_progress", followed)
    first = client.get("/courses").get_data(as_text=True)
    second = client.get("/courses?page=2").get_data(as_text=True)
    assert [len(titles) for titles in given] == [24, 6]
    assert "Course basics" in given[1]
    assert "progress-basics" in second
    assert "progress-basics" not in first


def test_course_page_shows_outline_start_and_completion_rule(basics, client):
    body = client.get("/courses/basics").get_data(as_text=True)
    assert "Getting started" in body
    assert "More" in body
    assert 'href="/courses/basics/lessons/basics-intro">Start the course' in body
    assert "Basics quiz" in body
    assert "at least 70%" in body
    assert "<strong>Course basics</strong>" in body  # landing Markdown, rendered at sync


def test_course_page_shows_the_review_statement_and_date(courses_root, edit, sync, client):
    edit(
        "basics/course.md",
        "level: beginner",
        'level: beginner\nreviewed_by: "No clinician has reviewed this course"\n'
        "last_reviewed: 2026-12-07",
    )
    sync()
    body = client.get("/courses/basics").get_data(as_text=True)
    assert "<li>Review: No clinician has reviewed this course</li>" in body
    assert 'Last reviewed <time datetime="2026-12-07">December 7, 2026</time>' in body


def test_course_page_without_review_keys_shows_no_review_line(basics, client):
    body = client.get("/courses/basics").get_data(as_text=True)
    assert "Review:" not in body
    assert "Last reviewed" not in body


def test_lesson_page_has_toc_time_breadcrumb_and_neighbours(basics, client):
    body = client.get("/courses/basics/lessons/basics-second").get_data(as_text=True)
    assert 'aria-label="Breadcrumb"' in body
    assert "About" in body
    assert "minutes" in body
    assert 'rel="prev" href="/courses/basics/lessons/basics-intro"' in body
    assert 'rel="next" href="/courses/basics/lessons/basics-third"' in body
    assert 'id="toc-heading"' in body


def test_lesson_page_links_the_modules_quiz(basics, client):
    body = client.get("/courses/basics/lessons/basics-third").get_data(as_text=True)
    assert 'href="/courses/basics/quizzes/basics-quiz"' in body


def test_lesson_links_and_images_point_at_app_urls(basics, client):
    body = client.get("/courses/basics/lessons/basics-intro").get_data(as_text=True)
    assert 'href="/courses/basics/lessons/basics-second#key-ideas"' in body
    assert 'src="/courses/basics/assets/01-start/images/diagram.png"' in body


def test_url_builder_matches_the_routes(app):
    urls = UrlBuilder()
    with app.test_request_context():
        assert urls.lesson_url("c", "l", None) == url_for(
            "catalog.lesson", course_slug="c", lesson_slug="l"
        )
        assert urls.asset_url("c", "a/b.png") == url_for(
            "catalog.asset", course_slug="c", asset_path="a/b.png"
        )
        assert urls.quiz_url("c", "q") == url_for(
            "quizzes.overview", course_slug="c", quiz_slug="q"
        )


def test_quiz_overview_states_the_rules_and_no_answers(basics, client):
    body = client.get("/courses/basics/quizzes/basics-quiz").get_data(as_text=True)
    assert "Basics quiz" in body
    assert "pass mark 70%" in body
    assert "correct" not in body.lower()


@pytest.mark.parametrize(
    "path",
    [
        "/courses/nope",
        "/courses/basics/lessons/nope",
        "/courses/basics/quizzes/nope",
        "/courses/basics/assets/nope.png",
    ],
)
def test_unknown_items_are_404(basics, client, path):
    assert client.get(path).status_code == 404


def test_assets_are_served_with_cache_headers(basics, client):
    with client.get("/courses/basics/assets/01-start/images/diagram.png") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        assert response.headers["Cache-Control"] == "public, max-age=86400"


SCRIPTED_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
    '<script>fetch(\'/ran\')</script><rect width="8" height="8"/></svg>'
)


def test_an_svg_asset_is_a_sandboxed_document_that_runs_nothing(basics, courses_root, client):
    (courses_root / "basics" / "01-start" / "images" / "figure.svg").write_text(SCRIPTED_SVG)
    with client.get("/courses/basics/assets/01-start/images/figure.svg") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"] == ASSET_CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = {part.strip().split(" ", 1)[0]: part.strip() for part in
              ASSET_CONTENT_SECURITY_POLICY.split(";")}  # fmt: skip
    assert policy["sandbox"] == "sandbox"  # no allow-scripts, no allow-same-origin
    assert policy["default-src"] == "default-src 'none'"
    assert "script-src" not in policy


@pytest.mark.parametrize("name", ["page.html", "page.htm", "app.js", "feed.xml", "page.xhtml"])
def test_active_files_in_a_course_folder_are_never_served(basics, courses_root, client, name):
    (courses_root / "basics" / "01-start" / name).write_text("<script>alert(1)</script>")
    with client.get(f"/courses/basics/assets/01-start/{name}") as response:
        assert response.status_code == 404
        assert b"<script>" not in response.data


def test_every_asset_response_carries_the_sandbox(basics, courses_root, client):
    (courses_root / "basics" / "01-start" / "notes.txt").write_text("<script>1</script>")
    (courses_root / "basics" / "01-start" / "handout.pdf").write_bytes(b"%PDF-1.4")
    for name, mimetype in (("notes.txt", "text/plain"), ("handout.pdf", "application/pdf")):
        with client.get(f"/courses/basics/assets/01-start/{name}") as response:
            assert response.mimetype == mimetype
            assert response.headers["Content-Security-Policy"] == ASSET_CONTENT_SECURITY_POLICY
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Browsers show no PDF in a sandboxed document: it is a download.
    with client.get("/courses/basics/assets/01-start/handout.pdf") as response:
        assert response.headers["Content-Disposition"] == "attachment; filename=handout.pdf"


def test_draft_course_assets_are_never_cached(courses_root, edit, sync, login, instructor):
    edit("basics/course.md", "status: published", "status: draft")
    sync()
    client = login(instructor)
    with client.get("/courses/basics/assets/01-start/images/diagram.png") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "Expires" not in response.headers
        assert response.headers["Content-Security-Policy"] == ASSET_CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path",
    [
        "../course.md",
        "..%2Fcourse.md",
        "%2e%2e/course.md",
        "01-start/../../basics/course.md",
        "02-more/quiz.md",
        "02-more%2Fquiz.md",
        "course.md",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "..%5C..%5Cetc%5Cpasswd",
        "....//course.md",
        ".hidden",
        "01-start/images/%00diagram.png",
    ],
)
def test_asset_route_refuses_traversal_and_sources(basics, client, path):
    with client.get(f"/courses/basics/assets/{path}") as response:
        if response.status_code == 308:  # Werkzeug merges "//" and redirects within the site
            assert response.headers["Location"].startswith(
                "http://localhost/courses/basics/assets/"
            )
            return
        assert response.status_code in (400, 404), path
        assert b"basics-quiz" not in response.data


def test_draft_course_is_404_for_students_and_visible_to_its_instructor(
    courses_root, edit, sync, client, login, make_user, instructor
):
    edit("basics/course.md", "status: published", "status: draft")
    sync()
    assert client.get("/courses/basics").status_code == 404
    assert b"Course basics" not in client.get("/courses").data
    login(make_user())
    assert client.get("/courses/basics/lessons/basics-intro").status_code == 404
    login(instructor)
    body = client.get("/courses/basics").get_data(as_text=True)
    assert "Draft" in body
    assert client.get("/courses/basics/lessons/basics-intro").status_code == 200


def test_problems_show_to_instructors_and_admins_only(
    basics, edit, sync, client, login, make_user, instructor, admin
):
    edit("basics/02-more/third.md", "minutes:", "minutes: lots\nx:")
    sync()
    for user, visible in ((make_user(), False), (instructor, True), (admin, True)):
        login(user)
        body = client.get("/courses/basics/lessons/basics-intro").get_data(as_text=True)
        assert ("third.md:" in body) is visible, user.role
        assert ("Course file errors" in body) is visible


@pytest.mark.app_config(ENV="development")
def test_development_reloads_edited_courses_on_next_page(courses_root, edit, sync, client):
    sync()
    client.get("/courses/basics")
    edit("basics/01-start/intro.md", "title: Introduction", "title: Welcome aboard")
    import time

    time.sleep(1.05)  # the watcher looks at most once a second
    assert "Welcome aboard" in client.get("/courses/basics").get_data(as_text=True)


def test_lesson_page_query_count_does_not_grow_with_lessons(
    courses_root, sync, client, db, login, student
):
    """Same number of queries for a 3-lesson course and a 60-lesson one."""

    def queries_for(path):
        client.get(path)  # the first request after a sync builds the course snapshot
        seen = []

        def count(_conn, _cursor, statement, *_args):
            if not statement.startswith("BEGIN"):
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    sync()
    login(student)
    small = queries_for("/courses/basics/lessons/basics-second")
    module = courses_root / "basics/01-start"
    names = []
    for n in range(57):
        name = f"extra{n}.md"
        (module / name).write_text(
            f"---\nid: extra-{n}\ntitle: Extra {n}\nminutes: 3\n---\nText {n}.\n"
        )
        names.append(name)
    listing = (module / "module.md").read_text()
    (module / "module.md").write_text(
        listing.replace("  - second.md\n", "  - second.md\n" + "".join(f"  - {n}\n" for n in names))
    )
    report = sync()
    assert report.ok, report.problems
    large = queries_for("/courses/basics/lessons/basics-second")
    assert large == small
    assert small <= 6
    assert queries_for("/courses/basics") == queries_for("/courses/basics")


def test_search_finds_lessons_with_highlighted_snippets(basics, client):
    body = client.get("/search?q=permanent").get_data(as_text=True)
    assert "1 lesson found" in body or "lessons found" in body
    assert "<mark>" in body
    assert 'href="/courses/basics/lessons/' in body


def test_search_escapes_the_query_and_handles_operators(basics, client):
    for query in ["<script>alert(1)</script>", '"unbalanced', "NEAR(a b)", "* OR -", "a:*&|!"]:
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_search_ignores_draft_courses(courses_root, edit, sync, client, login, instructor):
    edit("basics/course.md", "status: published", "status: draft")
    sync()
    login(instructor)
    assert "0 lessons found" in client.get("/search?q=permanent").get_data(as_text=True)


def test_search_without_a_query_shows_the_form(client):
    body = client.get("/search").get_data(as_text=True)
    assert 'type="search"' in body
    assert "found" not in body
