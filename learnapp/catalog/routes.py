"""Catalogue, course, lesson and quiz overview pages, course assets and search."""

from __future__ import annotations

import logging
import os
import time

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user

from learnapp.catalog import search, services
from learnapp.catalog.models import Course
from learnapp.certificates import services as certificates
from learnapp.certificates.forms import ClaimForm
from learnapp.content import resolve_asset
from learnapp.database import begin_mode
from learnapp.extensions import db
from learnapp.progress import services as progress

bp = Blueprint("catalog", __name__, template_folder="templates")
log = logging.getLogger(__name__)

ASSET_MAX_AGE = 24 * 3600


def _user():  # type: ignore[no-untyped-def]
    return current_user if current_user.is_authenticated else None


def _course_or_404(course_slug: str) -> Course:
    return services.get_course(course_slug, _user()) or abort(404)


@bp.before_app_request
def reload_changed_courses() -> None:
    """In development, re-sync course files edited since the last request (no restart)."""
    if current_app.config["ENV"] != "development" or request.endpoint in (None, "static"):
        return
    state = current_app.extensions.setdefault("learnapp_course_watch", {"checked": 0.0})
    now = time.monotonic()
    if now - state["checked"] < 1.0:
        return
    state["checked"] = now
    fingerprint = _fingerprint(services.courses_dir())
    if state.get("fingerprint") == fingerprint:
        return
    first = "fingerprint" not in state
    state["fingerprint"] = fingerprint
    if first and services.count_courses():
        return  # `flask courses sync` ran at start-up; only later edits need a reload
    with begin_mode("IMMEDIATE"):
        report = services.sync_courses()
        db.session.commit()
    log.info("courses reloaded: %s updated, %s failed", report.updated, report.failed)


def _fingerprint(root: os.PathLike[str]) -> tuple[int, float]:
    """Number of files and newest modification time under ``root`` (cheap to compute)."""
    count, newest = 0, 0.0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
            except OSError:
                continue
            count += 1
    return count, newest


@bp.get("/courses")
def catalogue() -> ResponseReturnValue:
    user = _user()
    courses = services.visible_courses(user)
    # Progress bars only for the courses the student follows: the others need no outline.
    enrolled = progress.active_enrollment_ids(user) if user else set()
    return render_template(
        "catalog/catalogue.html",
        courses=courses,
        progress=progress.courses_progress(user, [c for c in courses if c.id in enrolled]),
    )


@bp.get("/courses/<course_slug>")
def course(course_slug: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    modules = services.course_outline(course)
    quiz_titles = {quiz.slug: quiz.title for module in modules for quiz in module.quizzes}
    required = [
        (quiz_titles.get(slug, slug), score)
        for slug, score in course.completion.get("quizzes", {}).items()
    ]
    return render_template(
        "catalog/course.html",
        course=course,
        modules=modules,
        required_quizzes=required,
        first_lesson=services.first_lesson(modules),
        can_manage=services.is_course_instructor(_user(), course),
        progress=progress.course_progress(_user(), course, modules),
        certificate=certificates.get_for(user, course) if (user := _user()) else None,
        claim_form=ClaimForm(),
    )


@bp.get("/courses/<course_slug>/lessons/<lesson_slug>")
def lesson(course_slug: str, lesson_slug: str) -> ResponseReturnValue:
    course, lesson = services.get_course_and_lesson(course_slug, lesson_slug, _user()) or abort(404)
    modules = services.course_outline(course)
    module = next(m for m in modules if m.id == lesson.module_id)
    state = progress.course_progress(_user(), course, modules)
    item = state.lesson(lesson.id)
    if item is not None and item.locked:
        return render_template("progress/locked.html", course=course, item=item, state=state), 403
    previous, following = services.neighbours(modules, lesson)
    return render_template(
        "catalog/lesson.html",
        course=course,
        module=module,
        lesson=lesson,
        previous=previous,
        following=following,
        can_manage=services.is_course_instructor(_user(), course),
        progress=state,
        item=item,
    )


@bp.get("/courses/<course_slug>/assets/<path:asset_path>")
def asset(course_slug: str, asset_path: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    path = resolve_asset(services.courses_dir() / course.source_dir, asset_path) or abort(404)
    return send_file(path, max_age=ASSET_MAX_AGE, conditional=True)


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:200]
    published = [c.id for c in services.visible_courses(_user()) if c.is_published]
    hits = search.search_lessons(query, published) if query else []
    return render_template("catalog/search.html", query=query, hits=hits)
