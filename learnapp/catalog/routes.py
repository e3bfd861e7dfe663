"""Catalogue, course, lesson and quiz overview pages, course assets and search."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Hashable, Sequence
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from learnapp.catalog import search, services
from learnapp.catalog.models import Course
from learnapp.catalog.snapshots import CourseSnapshot, LessonSnapshot, ModuleSnapshot
from learnapp.certificates import services as certificates
from learnapp.certificates.forms import ClaimForm
from learnapp.content import resolve_asset
from learnapp.content.files import ASSET_CONTENT_SECURITY_POLICY, asset_type
from learnapp.database import begin_mode
from learnapp.extensions import db
from learnapp.fragments import shared
from learnapp.progress import services as progress
from learnapp.progress.compute import CourseProgress
from learnapp.security import PUBLIC_PAGE_CACHE, public_page

bp = Blueprint("catalog", __name__, template_folder="templates")
log = logging.getLogger(__name__)

#: Published courses' assets may be kept by any cache for a day.
ASSET_MAX_AGE = 24 * 3600
#: Drafts are for their instructors only: no cache keeps them, not even the browser's.
DRAFT_ASSET_CACHE = "private, no-store"


def _shared_part(
    template_name: str, course: CourseSnapshot, shown: Hashable, **context: Any
) -> Markup:
    """``template_name`` rendered for ``course`` once per process for each version, locale,
    script root and ``shown`` (what of the reader's state the part shows)."""
    return shared(template_name, (course.id, course.content_hash, shown), course=course, **context)


@bp.app_template_global()
def course_outline(
    course: CourseSnapshot, modules: Sequence[ModuleSnapshot], state: CourseProgress
) -> Markup:
    """The course page's outline: the same for every student at the same point of the course
    (it was most of the page's time: each item has a link, a translated length, a badge)."""
    return _shared_part(
        "catalog/_outline.html", course, state.outline_state(), modules=modules, progress=state
    )


@bp.app_template_global()
def lesson_part(
    template_name: str, course: CourseSnapshot, lesson: LessonSnapshot, **context: Any
) -> Markup:
    """A part of a lesson page that is the same for every reader (its text, contents, pager)."""
    return _shared_part(template_name, course, lesson.id, lesson=lesson, **context)


@bp.app_template_global()
def course_part(template_name: str, course: CourseSnapshot, **context: Any) -> Markup:
    """A part of the course page that only the course version and locale decide; ``context``
    must follow from the course (its required quizzes' titles)."""
    return _shared_part(template_name, course, None, **context)


@bp.app_template_global()
def course_card(course: CourseSnapshot) -> Markup:
    """A course's title, summary and facts as the catalogue lists them."""
    return _shared_part("catalog/_course_card.html", course, None)


@bp.app_template_global()
def still_to_do(course: CourseSnapshot, state: CourseProgress) -> Markup:
    """The course page's list of required items not done yet, with their scores and locks."""
    shown = tuple(
        (item.kind, item.id, item.passing, item.best, item.locked) for item in state.missing
    )
    return _shared_part("catalog/_still_to_do.html", course, shown, progress=state)


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
    from learnapp.catalog.sync_lock import SyncBusy, locked_sync

    with begin_mode("IMMEDIATE"):
        try:
            report = locked_sync()
        except SyncBusy:  # another process is loading the same edit
            db.session.rollback()
            return
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
@public_page(PUBLIC_PAGE_CACHE)
def catalogue() -> ResponseReturnValue:
    user = _user()
    page = services.catalogue_page(user, _page_number()) or abort(404)
    return render_template(
        "catalog/catalogue.html",
        courses=[view.course for view in page.views],
        page=page,
        # Progress bars only for the page's courses the student follows.
        progress=progress.followed_progress(user, page.views) if user else {},
    )


def _page_number() -> int:
    """The ``page`` query argument: absent is page 1; anything but a plain positive number
    (``0``, ``-1``, ``abc``, ``+2``, ``2_0``, a huge number) is no page: 404, not a redirect,
    so each page has one address and a mistyped one says so."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not re.fullmatch(r"[1-9][0-9]{0,5}", raw):
        abort(404)
    return int(raw)


@bp.get("/courses/<course_slug>")
@public_page(PUBLIC_PAGE_CACHE)
def course(course_slug: str) -> ResponseReturnValue:
    user = _user()
    view = services.find_course(course_slug, user) or abort(404)
    course = view.course
    quiz_titles = {quiz.slug: quiz.title for quiz in course.quizzes}
    required = [
        (quiz_titles.get(slug, slug), score) for slug, score in course.completion.quizzes.items()
    ]
    return render_template(
        "catalog/course.html",
        course=course,
        head=view.head,
        modules=course.modules,
        required_quizzes=required,
        first_lesson=course.first_lesson,
        can_manage=view.is_staff,
        progress=progress.course_progress(user, course, is_staff=view.is_staff),
        certificate=certificates.get_for(user, course) if user else None,
        claim_form=ClaimForm(),
    )


@bp.get("/courses/<course_slug>/lessons/<lesson_slug>")
@public_page(PUBLIC_PAGE_CACHE)
def lesson(course_slug: str, lesson_slug: str) -> ResponseReturnValue:
    user = _user()
    view, lesson, html = services.find_lesson(course_slug, lesson_slug, user) or abort(404)
    course = view.course
    state = progress.course_progress(user, course, is_staff=view.is_staff)
    item = state.lesson(lesson.id)
    if item is not None and item.locked:
        return render_template("progress/locked.html", course=course, item=item, state=state), 403
    previous, following = course.neighbours(lesson)
    return render_template(
        "catalog/lesson.html",
        course=course,
        head=view.head,
        module=course.module(lesson.module_id),
        lesson=lesson,
        html=html,
        previous=previous,
        following=following,
        can_manage=view.is_staff,
        progress=state,
        item=item,
    )


@bp.get("/courses/<course_slug>/assets/<path:asset_path>")
def asset(course_slug: str, asset_path: str) -> ResponseReturnValue:
    """A passive file of the course (image, PDF, font, audio, video, plain text).

    Served as a sandboxed document of its own, so nothing in it (an SVG's script) runs on the
    site's origin even when opened directly. PDFs are downloads: browsers do not show PDFs
    in a sandboxed document.
    """
    course = _course_or_404(course_slug)
    path = resolve_asset(services.courses_dir() / course.source_dir, asset_path) or abort(404)
    mimetype = asset_type(path.name) or abort(404)
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=mimetype == "application/pdf",
        max_age=ASSET_MAX_AGE if course.is_published else 0,
        conditional=True,
    )
    if not course.is_published:
        response.headers["Cache-Control"] = DRAFT_ASSET_CACHE
        response.headers.pop("Expires", None)
    response.headers["Content-Security-Policy"] = ASSET_CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/search")
@public_page(PUBLIC_PAGE_CACHE)
def search_page() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:200]
    published = [v.course.id for v in services.visible_courses(_user()) if v.course.is_published]
    hits = search.search_lessons(query, published) if query else []
    return render_template("catalog/search.html", query=query, hits=hits)
