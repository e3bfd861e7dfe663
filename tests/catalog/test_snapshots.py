"""Course snapshots: what they hold, shared by every request, rebuilt when a sync changes the
course, in this process and in others."""

from __future__ import annotations

import dataclasses
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from learnapp.catalog import snapshot_cache
from learnapp.catalog.models import Course
from learnapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]
LESSON = "/courses/basics/lessons/basics-second"


def test_snapshot_holds_the_current_outline_in_order(basics):
    course = snapshot_cache.of(basics)
    assert (course.slug, course.title, course.content_hash) == (
        "basics",
        "Course basics",
        basics.content_hash,
    )
    assert [module.slug for module in course.modules] == ["basics-m1", "basics-m2"]
    assert [lesson.slug for lesson in course.lessons] == [
        "basics-intro",
        "basics-second",
        "basics-third",
    ]
    assert [quiz.slug for quiz in course.quizzes] == ["basics-quiz"]
    assert course.lesson("basics-second").prerequisites == ("basics-intro",)
    assert course.completion.all_lessons is True
    assert dict(course.completion.quizzes) == {"basics-quiz": 70}
    assert course.instructor_emails == frozenset({"instructor@example.com"})
    assert course.lesson("basics-intro").toc  # what the lesson page shows beside the body


def test_snapshot_cannot_be_changed(basics):
    course = snapshot_cache.of(basics)
    with pytest.raises(dataclasses.FrozenInstanceError):
        course.title = "Changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        course.completion.quizzes["basics-quiz"] = 0  # type: ignore[index]


def test_every_request_and_student_shares_one_snapshot(
    app, basics, client, login, student, make_user
):
    client.get(LESSON)
    cache = snapshot_cache.cache()
    built, first = cache.built, snapshot_cache.of(basics)
    login(student)
    for path in ("/courses", "/courses/basics", LESSON, "/dashboard"):
        assert client.get(path).status_code == 200
    login(make_user())
    assert client.get(LESSON).status_code == 200
    assert cache.built == built
    assert snapshot_cache.of(basics) is first


def test_a_sync_that_changes_the_course_is_seen_on_the_next_request(
    courses_root, sync, client, edit
):
    sync()
    assert "Second lesson" in client.get(LESSON).get_data(as_text=True)
    edit("basics/01-start/second.md", "title: Second lesson", "title: Second lesson, revised")
    assert sync().updated == ["basics"]
    page = client.get(LESSON).get_data(as_text=True)
    assert "Second lesson, revised" in page
    assert "Second lesson, revised" in client.get("/courses/basics").get_data(as_text=True)


def test_a_retired_course_is_gone_on_the_next_request(courses_root, sync, client):
    sync()
    assert client.get(LESSON).status_code == 200
    (courses_root / "basics").rename(courses_root / ".basics-removed")
    assert sync().retired == ["basics"]
    assert client.get(LESSON).status_code == 404
    assert client.get("/courses/basics").status_code == 404
    assert "Course basics" not in client.get("/courses").get_data(as_text=True)


def test_two_apps_sharing_a_database_each_see_the_other_ones_changes(basics, client, make_app):
    other = make_app().test_client()
    assert "Second lesson" in other.get(LESSON).get_data(as_text=True)
    assert "Second lesson" in client.get(LESSON).get_data(as_text=True)
    db.session.execute(
        db.update(Course).values(title="Course basics, renamed", content_hash=secrets.token_hex(8))
    )
    db.session.commit()
    assert "Course basics, renamed" in other.get(LESSON).get_data(as_text=True)
    assert "Course basics, renamed" in client.get(LESSON).get_data(as_text=True)


@pytest.mark.conc
def test_a_sync_in_another_process_is_seen_on_the_next_request(
    courses_root, sync, client, edit, database_url, tmp_path
):
    sync()
    assert "Second lesson" in client.get(LESSON).get_data(as_text=True)
    db.session.commit()  # no transaction of this process in the way of the other's writes
    edit("basics/01-start/second.md", "title: Second lesson", "title: Synced elsewhere")
    env = {
        **os.environ,
        "LEARNAPP_ENV": "testing",
        "SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": database_url,
        "LEARNAPP_INSTANCE_PATH": str(tmp_path / "other-instance"),
        "LEARNAPP_COURSES_DIR": str(courses_root),
    }
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "learnapp", "courses", "sync"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Synced elsewhere" in client.get(LESSON).get_data(as_text=True)
