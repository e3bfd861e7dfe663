"""Question reports: students send them from the attempt and review pages; instructors of the
course read them per question (next to its statistics) and per course, and close or reopen
them with a note."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learnapp.analysis import services as analysis
from learnapp.analysis.charts import choice_chart
from learnapp.auth.access import role_required
from learnapp.auth.models import Role
from learnapp.catalog.models import Course, Question, Quiz
from learnapp.errors import Conflict, NotFound
from learnapp.extensions import db
from learnapp.quizzes.models import Answer, QuizAttempt
from learnapp.reports import services
from learnapp.reports.forms import NoteForm, ReportForm
from learnapp.reports.models import COMMENT_MAX, REASONS, QuestionReport

bp = Blueprint("reports", __name__, template_folder="templates")


# --- students -----------------------------------------------------------------------------


def _back_to(attempt: QuizAttempt, answer: Answer) -> str:
    """Back where the report was sent: the attempt page showing the question (at its report
    section), or the question on the review page."""
    if attempt.is_open:
        quiz = db.session.get(Quiz, attempt.quiz_id)
        per_page = quiz.typed_settings.per_page if quiz else 0
        page = answer.position // per_page + 1 if per_page > 0 else 1
        return url_for("quizzes.take", attempt_id=attempt.id, page=page) + "#question-reports"
    return url_for("quizzes.review", attempt_id=attempt.id) + f"#answer-{answer.id}"


@bp.post("/attempts/<int:attempt_id>/reports")
@login_required
def create(attempt_id: int) -> ResponseReturnValue:
    """Report the question ``answer`` (an answer row id) of one of the student's attempts."""
    attempt = services.attempt_of(current_user, attempt_id)
    answer = services.answer_in(attempt, request.form.get("answer", type=int))
    back = _back_to(attempt, answer)
    number = answer.position + 1
    form = ReportForm()
    if not form.validate_on_submit():
        flash(
            _(
                "Your report on question %(number)s was not sent: choose what is wrong and"
                " describe it in a comment of at most %(max)d characters.",
                number=number,
                max=COMMENT_MAX,
            ),
            "error",
        )
        return redirect(back)
    try:
        services.file_report(
            current_user, attempt, answer, form.reason.data or "", form.comment.data or ""
        )
    except (services.ReportExists, services.InvalidReport) as exc:
        db.session.rollback()
        flash(exc.message, "info" if isinstance(exc, services.ReportExists) else "error")
        return redirect(back)
    db.session.commit()
    flash(
        _(
            "Thank you: your report on question %(number)s was received. An instructor of the"
            " course will look at it.",
            number=number,
        ),
        "success",
    )
    return redirect(back)


@bp.app_context_processor
def quiz_page_reports() -> dict[str, Any]:
    """The student's reports on the questions of the attempt shown, for the quiz pages' report
    controls (``reports/_report.html``): the quiz routes stay unaware of reports."""
    if request.endpoint not in ("quizzes.take", "quizzes.review"):
        return {}
    attempt_id = (request.view_args or {}).get("attempt_id")
    if not current_user.is_authenticated or not isinstance(attempt_id, int):
        return {}
    return {
        "question_reports": services.reports_for_attempt(current_user, attempt_id),
        "report_reasons": REASONS,
        "report_comment_max": COMMENT_MAX,
    }


# --- instructors --------------------------------------------------------------------------


def _note_forms(rows: list[services.ReportRow], back: str) -> dict[int, NoteForm]:
    return {row.report.id: NoteForm(prefix=f"r{row.report.id}", back=back) for row in rows}


@bp.get("/instruct/courses/<course_slug>/reports")
@role_required(Role.INSTRUCTOR)
def course(course_slug: str) -> ResponseReturnValue:
    course = analysis.course_for_instructor(course_slug, current_user)
    status = request.args.get("status", "open")
    if status not in services.STATUSES:
        status = "open"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = services.course_reports(course, status, page)
    return render_template(
        "reports/course.html",
        course=course,
        rows=rows,
        total=total,
        status=status,
        page=page,
        pages=max(1, math.ceil(total / services.PAGE_SIZE)),
        forms=_note_forms(rows, "course"),
    )


@bp.get("/instruct/courses/<course_slug>/questions/<question_slug>/reports")
@role_required(Role.INSTRUCTOR)
def question(course_slug: str, question_slug: str) -> ResponseReturnValue:
    course = analysis.course_for_instructor(course_slug, current_user)
    question = services.question_of(course, question_slug)
    quiz = db.session.get(Quiz, question.quiz_id)
    if quiz is None:
        raise NotFound(_("This question belongs to no quiz."))
    which = analysis.which_for(quiz, request.args.get("attempts"))
    result = analysis.quiz_analysis(quiz, which)
    stats = next((q for q in result.questions if q.question.id == question.id), None)
    rows = services.question_reports(question)
    return render_template(
        "reports/question.html",
        course=course,
        quiz=quiz,
        question=question,
        which=which,
        result=result,
        stats=stats,
        chart=choice_chart(stats) if stats is not None and stats.choices else None,
        rows=rows,
        forms=_note_forms(rows, "question"),
    )


def _after_action(course: Course, report_id: int, back: str | None) -> ResponseReturnValue:
    if back == "question":
        question = db.session.scalar(
            db.select(Question)
            .join(QuestionReport, QuestionReport.question_id == Question.id)
            .where(QuestionReport.id == report_id)
        )
        if question is not None:
            return redirect(
                url_for("reports.question", course_slug=course.slug, question_slug=question.slug)
                + f"#report-{report_id}"
            )
    return redirect(url_for("reports.course", course_slug=course.slug) + f"#report-{report_id}")


def _change(course_slug: str, report_id: int, action: str) -> ResponseReturnValue:
    course = analysis.course_for_instructor(course_slug, current_user)
    report = services.report_of(course, report_id)
    form = NoteForm(prefix=f"r{report_id}")
    if not form.validate_on_submit():
        flash(_("Nothing changed: the note is too long."), "error")
        return _after_action(course, report_id, form.back.data)
    change = services.close_report if action == "close" else services.reopen_report
    try:
        change(report, current_user, form.note.data or "")
    except (Conflict, services.InvalidReport) as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return _after_action(course, report_id, form.back.data)
    db.session.commit()
    flash(
        _("Report %(id)s closed.", id=report_id)
        if action == "close"
        else _("Report %(id)s reopened.", id=report_id),
        "success",
    )
    return _after_action(course, report_id, form.back.data)


@bp.post("/instruct/courses/<course_slug>/reports/<int:report_id>/close")
@role_required(Role.INSTRUCTOR)
def close(course_slug: str, report_id: int) -> ResponseReturnValue:
    return _change(course_slug, report_id, "close")


@bp.post("/instruct/courses/<course_slug>/reports/<int:report_id>/reopen")
@role_required(Role.INSTRUCTOR)
def reopen(course_slug: str, report_id: int) -> ResponseReturnValue:
    return _change(course_slug, report_id, "reopen")
