"""Enrol, unenrol, mark a lesson as complete, and the student dashboard."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course
from learnapp.certificates import services as certificates
from learnapp.extensions import db
from learnapp.progress import services
from learnapp.progress.services import Item

bp = Blueprint("progress", __name__, template_folder="templates")


def _course_or_404(course_slug: str) -> Course:
    return catalog.get_course(course_slug, current_user) or abort(404)


def item_url(course: Course, item: Item) -> str:
    if item.kind == "lesson":
        return url_for("catalog.lesson", course_slug=course.slug, lesson_slug=item.slug)
    return url_for("quizzes.overview", course_slug=course.slug, quiz_slug=item.slug)


@bp.app_context_processor
def progress_helpers() -> dict[str, Any]:
    return {"item_url": item_url}


@bp.post("/courses/<course_slug>/enroll")
@login_required
def enroll(course_slug: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    services.enroll(current_user, course)
    db.session.commit()
    flash(f"You are enrolled in “{course.title}”.", "success")
    return redirect(url_for("catalog.course", course_slug=course.slug))


@bp.post("/courses/<course_slug>/unenroll")
@login_required
def unenroll(course_slug: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    if services.unenroll(current_user, course):
        db.session.commit()
        flash(f"You left “{course.title}”. What you have done is kept if you enrol again.", "info")
    return redirect(url_for("catalog.course", course_slug=course.slug))


@bp.post("/courses/<course_slug>/lessons/<lesson_slug>/complete")
@login_required
def complete(course_slug: str, lesson_slug: str) -> ResponseReturnValue:
    course = _course_or_404(course_slug)
    lesson = catalog.get_lesson(course, lesson_slug) or abort(404)
    modules = catalog.course_outline(course)
    services.complete_lesson(current_user, course, lesson, modules)
    state = services.course_progress(current_user, course, modules)
    certificate = certificates.issue_if_complete(current_user, course, state)
    db.session.commit()
    if certificate is not None:
        flash(
            f"“{lesson.title}” is complete. You completed the course: here is your certificate.",
            "success",
        )
        return redirect(url_for("certificates.verify", public_id=certificate.public_id))
    if state.is_complete:
        flash(f"“{lesson.title}” is complete. You have completed this course.", "success")
    else:
        flash(f"“{lesson.title}” is complete.", "success")
    if state.next_item is None:
        return redirect(url_for("catalog.course", course_slug=course.slug))
    return redirect(item_url(course, state.next_item))


@bp.get("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    return render_template("progress/dashboard.html", dashboard=services.dashboard(current_user))
