"""Item analysis pages for the instructors of a course (and admins)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.analysis import charts, services, stats
from learnapp.auth.access import role_required
from learnapp.auth.models import Role
from learnapp.reports import services as reports

bp = Blueprint("analysis", __name__, template_folder="templates", url_prefix="/instruct")


@bp.get("/courses/<course_slug>/quizzes/<quiz_slug>/analysis")
@role_required(Role.INSTRUCTOR)
def quiz(course_slug: str, quiz_slug: str) -> ResponseReturnValue:
    course = services.course_for_instructor(course_slug, current_user)
    quiz = services.quiz_of(course, quiz_slug)
    which = services.which_for(quiz, request.args.get("attempts"))
    result = services.quiz_analysis(quiz, which)
    return render_template(
        "analysis/quiz.html",
        course=course,
        quiz=quiz,
        which=which,
        which_choices={key: _(label) for key, label in stats.WHICH_ATTEMPTS.items()},
        default_which=stats.default_which(quiz.typed_settings.grading),
        result=result,
        counts=reports.report_counts(q.question.id for q in result.questions),
        histogram=charts.histogram_chart(result.histogram, result.attempts),
        facility=charts.facility_chart(result.questions),
        choice_charts={
            q.question.id: charts.choice_chart(q) for q in result.questions if q.choices
        },
        min_attempts=stats.MIN_ATTEMPTS_FOR_FLAGS,
        hard_below=stats.HARD_BELOW,
        easy_above=stats.EASY_ABOVE,
    )
