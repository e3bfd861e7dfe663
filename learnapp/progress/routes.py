"""Enrol, unenrol, mark a lesson as complete, and the student dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course
from learnapp.extensions import db
from learnapp.progress import services
from learnapp.progress.services import Item
from learnapp.quizzes import lifecycle

bp = Blueprint("progress", __name__, template_folder="templates")


def _course_or_404(course_slug: str) -> Course:
    return catalog.get_course(course_slug, current_user) or abort(404)


@bp.app_template_global()
def item_url(course: Course, item: Item) -> str:
    if item.kind == "lesson":
        return url_for("catalog.lesson", course_slug=course.slug, lesson_slug=item.slug)
    return url_for("quizzes.overview", course_slug=course.slug, quiz_slug=item.slug)


@bp.post("/courses/<course_slug>/enroll")
@login_required
def enroll(course_slug: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    services.enroll(current_user, course)
    db.session.commit()
    flash(_("You are enrolled in “%(title)s”.", title=course.title), "success")
    return redirect(url_for("catalog.course", course_slug=course.slug))


@bp.post("/courses/<course_slug>/unenroll")
@login_required
def unenroll(course_slug: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    if services.unenroll(current_user, course):
        db.session.commit()
        flash(
            _(
                "You left “%(title)s”. What you have done is kept if you enrol again.",
                title=course.title,
            ),
            "info",
        )
    return redirect(url_for("catalog.course", course_slug=course.slug))


@bp.post("/courses/<course_slug>/lessons/<lesson_slug>/complete")
@login_required
def complete(course_slug: str, lesson_slug: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    lesson = catalog.get_lesson(course, lesson_slug) or abort(404)
    services.complete_lesson(current_user, course, lesson)
    state = services.course_progress(current_user, course)
    certificate = lifecycle.complete(current_user, course, state=state)
    # Everything the answer shows is read before the commit: afterwards the rows are expired
    # and reading them would begin a second transaction (on SQLite, the write lock again).
    title = lesson.title
    if certificate is not None:
        message = _(
            "“%(title)s” is complete. You completed the course: here is your certificate.",
            title=title,
        )
        target = url_for("certificates.verify", public_id=certificate.public_id)
    else:
        if state.is_complete:
            message = _("“%(title)s” is complete. You have completed this course.", title=title)
        else:
            message = _("“%(title)s” is complete.", title=title)
        target = (
            url_for("catalog.course", course_slug=course.slug)
            if state.next_item is None
            else item_url(course, state.next_item)
        )
    db.session.commit()
    flash(message, "success")
    return redirect(target)


@bp.get("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    return render_template("progress/dashboard.html", dashboard=services.dashboard(current_user))
