"""Parts of course pages rendered once per process and shared (catalog.routes.shared_parts):
each reader must still see exactly what a fresh rendering would show them."""

from __future__ import annotations

import re

from learnapp.extensions import db
from learnapp.fragments import parts as shared_parts
from learnapp.progress import services as progress


def outline(html: str) -> str:
    return html[html.index('id="outline-heading"') : html.index('id="completion-heading"')]


def page(client, path: str) -> str:
    """The page without its CSRF tokens (signed with the time, they change every second)."""
    html = client.get(path).get_data(as_text=True)
    return re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', r'name="csrf_token"\1value=""', html)


def completed(html: str) -> int:
    """How many items the outline marks completed."""
    return re.findall(r'<span class="badge">([^<]+)</span>', outline(html)).count("Completed")


def test_each_student_sees_their_own_outline(app, basics, make_user, login, auth_for, lesson):
    first, second = make_user(email="first@example.com"), make_user(email="second@example.com")
    for student in (first, second):
        progress.enroll(student, basics)
    progress.complete_lesson(first, basics, lesson("basics-intro"))
    db.session.commit()
    first_client = login(first)
    second_client = app.test_client()  # a second browser
    assert auth_for(second_client).login(second).status_code == 302

    assert completed(first_client.get("/courses/basics").get_data(as_text=True)) == 1
    second_page = second_client.get("/courses/basics").get_data(as_text=True)
    assert "Your progress" in second_page
    assert completed(second_page) == 0
    # The second student catches up: their outline changes, the first's is what it was.
    progress.complete_lesson(second, basics, lesson("basics-intro"))
    db.session.commit()
    assert completed(second_client.get("/courses/basics").get_data(as_text=True)) == 1
    progress.complete_lesson(first, basics, lesson("basics-second"))
    db.session.commit()
    first_page = first_client.get("/courses/basics").get_data(as_text=True)
    assert completed(first_page) == 2
    assert len(shared_parts()) >= 3


def test_a_hit_gives_what_a_fresh_rendering_gives(basics, student, login, lesson):
    progress.enroll(student, basics)
    progress.complete_lesson(student, basics, lesson("basics-intro"))
    db.session.commit()
    client = login(student)
    client.get("/dashboard")  # shows the welcome message
    paths = ["/courses/basics", "/courses/basics/lessons/basics-second"]
    fresh = {}
    for path in paths:
        shared_parts().clear()
        fresh[path] = page(client, path)
    for path in paths:
        assert page(client, path) == fresh[path]


def test_parts_follow_the_reader_language(basics, client):
    spanish = client.get("/courses/basics", headers={"Accept-Language": "es"})
    english = client.get("/courses/basics", headers={"Accept-Language": "en"})
    assert "Índice del curso" in spanish.get_data(as_text=True)
    assert "Course outline" in english.get_data(as_text=True)
    lesson_es = client.get(
        "/courses/basics/lessons/basics-intro", headers={"Accept-Language": "es"}
    )
    assert "En esta página" in lesson_es.get_data(as_text=True)
    lesson_en = client.get("/courses/basics/lessons/basics-intro")
    assert "On this page" in lesson_en.get_data(as_text=True)


def test_a_sync_shows_the_new_text_at_once(courses_root, edit, sync, client):
    sync()
    assert "Introduction" in client.get("/courses/basics").get_data(as_text=True)
    client.get("/courses/basics/lessons/basics-intro")
    edit("basics/01-start/intro.md", "title: Introduction", "title: Welcome aboard")
    edit("basics/01-start/intro.md", "You will learn the basics.", "You will learn the ropes.")
    sync()
    assert "Welcome aboard" in client.get("/courses/basics").get_data(as_text=True)
    page = client.get("/courses/basics/lessons/basics-intro").get_data(as_text=True)
    assert "Welcome aboard" in page
    assert "You will learn the ropes." in page
    # The neighbour's pager names the new title too.
    assert "Welcome aboard" in client.get("/courses/basics/lessons/basics-second").get_data(
        as_text=True
    )
