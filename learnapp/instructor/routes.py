"""Instructor pages (``/instruct``): courses taught, course status and sync, gradebook, one
student's record and fixes, attempt review, CSV exports.

Instructors and admins only (students get 403); a course the user does not teach, and anyone
or anything outside it, is a 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from learnapp.auth.access import role_required
from learnapp.auth.models import Role, User
from learnapp.catalog.models import Course, Quiz
from learnapp.catalog.sync_lock import SyncBusy
from learnapp.database import begin_mode
from learnapp.extensions import db
from learnapp.instructor import gradebook as gb
from learnapp.instructor import services
from learnapp.instructor.forms import (
    AllowanceForm,
    ClearScoreForm,
    DiscardForm,
    GradeForm,
    ReopenForm,
    ScoreForm,
    SyncForm,
)
from learnapp.quizzes import grading, lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import Answer, QuizAttempt

bp = Blueprint("instructor", __name__, template_folder="templates", url_prefix="/instruct")


def certificate_url(public_id: str) -> str:
    """The certificate's public verification page."""
    return url_for("certificates.verify", public_id=public_id)


def _course(course_slug: str) -> Course:
    return services.get_course_for(current_user, course_slug)


@bp.get("")
@role_required(Role.INSTRUCTOR)
def index() -> ResponseReturnValue:
    courses = services.taught_courses(current_user)
    return render_template(
        "instructor/index.html",
        courses=courses,
        awaiting=grading.awaiting_counts(course.id for course in courses),
    )


@bp.get("/courses/<course_slug>")
@role_required(Role.INSTRUCTOR)
def course(course_slug: str) -> ResponseReturnValue:
    course = _course(course_slug)
    return render_template(
        "instructor/course.html",
        course=course,
        status=services.course_status(course),
        sync_form=SyncForm(),
    )


@bp.post("/courses/<course_slug>/sync")
@role_required(Role.INSTRUCTOR)
def sync(course_slug: str) -> ResponseReturnValue:
    course = _course(course_slug)
    if not SyncForm().validate_on_submit():
        abort(400)
    try:
        outcome = services.sync_now(course, actor=current_user)
    except SyncBusy as busy:
        db.session.rollback()
        flash(busy.message, "warning")
        return redirect(url_for("instructor.course", course_slug=course.slug))
    db.session.commit()
    messages = {
        "created": (_("Loaded the course for the first time."), "success"),
        "updated": (
            _("Loaded the new version (content hash %(hash)s).", hash=course.content_hash[:12]),
            "success",
        ),
        "unchanged": (_("The files have not changed since the last sync."), "info"),
        "retired": (_("The course folder is gone: the course is retired."), "warning"),
        "failed": (
            _(
                "The files have errors, so nothing was loaded: students keep the last good "
                "version. The problems are listed below."
            ),
            "error",
        ),
    }
    message, category = messages[outcome.result]
    if outcome.result != "failed" and outcome.problems:
        count = len(outcome.problems)
        message += " " + ngettext("%(num)d warning below.", "%(num)d warnings below.", count)
    flash(message, category)
    return redirect(url_for("instructor.course", course_slug=course.slug))


# --- gradebook ---------------------------------------------------------------------------------


def _gradebook_args() -> dict[str, Any]:
    query = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    if status not in gb.STATUSES:
        status = ""
    sort = request.args.get("sort", "name")
    descending = request.args.get("dir", "asc") == "desc"
    return {"q": query, "status": status, "sort": sort, "descending": descending}


def _sorted_gradebook(course: Course, args: dict[str, Any]) -> services.Gradebook:
    book = services.build_gradebook(course, query=args["q"], status=args["status"])
    known = set(gb.SORT_KEYS) | {gb.QUIZ_SORT_PREFIX + quiz.slug for quiz in book.quizzes}
    if args["sort"] not in known:
        args["sort"] = "name"
    book.rows = gb.sort_rows(book.rows, args["sort"], args["descending"])
    return book


@bp.get("/courses/<course_slug>/gradebook")
@role_required(Role.INSTRUCTOR)
def gradebook(course_slug: str) -> ResponseReturnValue:
    course = _course(course_slug)
    args = _gradebook_args()
    book = _sorted_gradebook(course, args)
    page = gb.paginate(book.rows, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "instructor/gradebook.html",
        course=course,
        book=book,
        page=page,
        args=args,
        certificate_url=certificate_url,
    )


def _csv_response(filename: str, rows: Iterator[Iterable[object]]) -> Response:
    """Stream ``rows`` (a generator: the file is never built in memory) as CSV, UTF-8 with a
    BOM; every cell goes through :func:`gradebook.csv_line`."""

    def generate() -> Iterator[str]:
        yield gb.BOM
        yield from gb.csv_lines(rows)

    return Response(
        generate(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/courses/<course_slug>/gradebook.csv")
@role_required(Role.INSTRUCTOR)
def gradebook_csv(course_slug: str) -> ResponseReturnValue:
    """The gradebook with the page's filters and sort, every page, as CSV.

    The figures are computed as for the page (one query per kind of row); the CSV text is
    written row by row as the client reads it.
    """
    course = _course(course_slug)
    book = _sorted_gradebook(course, _gradebook_args())
    urls = {
        row.certificate.public_id: url_for(
            "certificates.verify", public_id=row.certificate.public_id, _external=True
        )
        for row in book.rows
        if row.certificate is not None
    }

    header = gb.gradebook_header(book.quizzes)  # in the reader's language: needs the request

    def rows() -> Iterator[list[object]]:
        yield list(header)
        for row in book.rows:
            yield gb.gradebook_record(row, book.quizzes, urls.__getitem__)

    return _csv_response(f"{course.slug}-gradebook.csv", rows())


@bp.get("/courses/<course_slug>/attempts.csv")
@role_required(Role.INSTRUCTOR)
def attempts_csv(course_slug: str) -> ResponseReturnValue:
    """Every attempt of the course's students, one per row, read from the database in batches
    while the client downloads.

    The body is produced after this view has returned and its request context is gone, so the
    generator opens its own application context (and a read-only SQLite transaction), instead
    of holding the request's context open with ``stream_with_context``.
    """
    course = _course(course_slug)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    course_id = course.id
    header = services.attempts_header()  # in the reader's language: needs the request

    def rows() -> Iterator[list[object]]:
        with app.app_context(), begin_mode("DEFERRED"):
            exported = db.session.get(Course, course_id)
            yield header
            yield from services.attempt_records(exported)

    return _csv_response(f"{course.slug}-attempts.csv", rows())


# --- one student ---------------------------------------------------------------------------------


def _student_forms(detail: services.StudentDetail) -> dict[str, Any]:
    """Every fix form of the page, keyed (and prefixed, so ids stay unique) by what it fixes:
    ``allow-<quiz>``, ``score-<quiz>``, ``clear-<quiz>``, ``reopen-<quiz>-<attempt number>``,
    ``discard-<quiz>-<attempt number>``."""
    forms: dict[str, Any] = {}

    def add(key: str, form_class: type[Any], **data: Any) -> None:
        forms[key] = form_class(prefix=key, formdata=None, **data)

    for record in detail.quizzes:
        quiz, allowance, manual = record.quiz.slug, record.allowance, record.manual
        add(
            f"allow-{quiz}",
            AllowanceForm,
            extra_minutes=allowance.extra_minutes if allowance else 0,
            extra_attempts=allowance.extra_attempts if allowance else 0,
        )
        add(f"score-{quiz}", ScoreForm, percent=manual.percent if manual else None)
        add(f"clear-{quiz}", ClearScoreForm)
        for attempt in record.attempts:
            add(f"reopen-{quiz}-{attempt.number}", ReopenForm)
            add(f"discard-{quiz}-{attempt.number}", DiscardForm)
    return forms


def _student_page(
    course: Course, student: User, failed: tuple[str, Any] | None = None
) -> ResponseReturnValue:
    """The student's page; ``failed`` is (key, posted form with errors), shown in its place."""
    detail = services.student_detail(course, student)
    forms = _student_forms(detail)
    if failed is not None:
        forms[failed[0]] = failed[1]
    return (
        render_template(
            "instructor/student.html",
            course=course,
            detail=detail,
            forms=forms,
            failed=failed[0] if failed is not None else None,
            certificate_url=certificate_url,
        ),
        400 if failed is not None else 200,
    )


@bp.get("/courses/<course_slug>/students/<int:user_id>")
@role_required(Role.INSTRUCTOR)
def student(course_slug: str, user_id: int) -> ResponseReturnValue:
    course = _course(course_slug)
    return _student_page(course, services.get_student(course, user_id))


def _back(course: Course, student: User, anchor: str = "") -> ResponseReturnValue:
    url = url_for("instructor.student", course_slug=course.slug, user_id=student.id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _student_quiz(course_slug: str, user_id: int, quiz_slug: str) -> tuple[Course, User, Quiz]:
    course = _course(course_slug)
    return course, services.get_student(course, user_id), services.get_quiz_in(course, quiz_slug)


@bp.post("/courses/<course_slug>/students/<int:user_id>/quizzes/<quiz_slug>/allowance")
@role_required(Role.INSTRUCTOR)
def allowance(course_slug: str, user_id: int, quiz_slug: str) -> ResponseReturnValue:
    course, student, quiz = _student_quiz(course_slug, user_id, quiz_slug)
    key = f"allow-{quiz.slug}"
    form = AllowanceForm(prefix=key)
    if not form.validate_on_submit():
        return _student_page(course, student, (key, form))
    services.grant_allowance(
        student,
        quiz,
        extra_minutes=form.extra_minutes.data or 0,
        extra_attempts=form.extra_attempts.data or 0,
        reason=form.reason.data or "",
        actor=current_user,
    )
    db.session.commit()
    flash(_("Saved extra time and attempts on “%(title)s”.", title=quiz.title), "success")
    return _back(course, student, f"quiz-{quiz.slug}")


@bp.post("/courses/<course_slug>/students/<int:user_id>/quizzes/<quiz_slug>/score")
@role_required(Role.INSTRUCTOR)
def set_score(course_slug: str, user_id: int, quiz_slug: str) -> ResponseReturnValue:
    course, student, quiz = _student_quiz(course_slug, user_id, quiz_slug)
    key = f"score-{quiz.slug}"
    form = ScoreForm(prefix=key)
    if not form.validate_on_submit() or form.percent.data is None:
        return _student_page(course, student, (key, form))
    issued = lifecycle.set_manual_score(
        student, quiz, form.percent.data, reason=form.reason.data or "", actor=current_user
    )
    db.session.commit()
    flash(_("The score on “%(title)s” is now set by hand.", title=quiz.title), "success")
    if issued is not None:
        flash(_("The student has now completed the course and was issued a certificate."), "info")
    return _back(course, student, f"quiz-{quiz.slug}")


@bp.post("/courses/<course_slug>/students/<int:user_id>/quizzes/<quiz_slug>/score/clear")
@role_required(Role.INSTRUCTOR)
def clear_score(course_slug: str, user_id: int, quiz_slug: str) -> ResponseReturnValue:
    course, student, quiz = _student_quiz(course_slug, user_id, quiz_slug)
    key = f"clear-{quiz.slug}"
    form = ClearScoreForm(prefix=key)
    if not form.validate_on_submit():
        return _student_page(course, student, (key, form))
    if lifecycle.clear_manual_score(
        student, quiz, reason=form.reason.data or "", actor=current_user
    ):
        flash(
            _(
                "Removed the manual score on “%(title)s”: the attempts count again.",
                title=quiz.title,
            ),
            "success",
        )
    else:
        flash(_("There was no manual score on “%(title)s”.", title=quiz.title), "info")
    db.session.commit()
    return _back(course, student, f"quiz-{quiz.slug}")


def _attempt(course_slug: str, attempt_id: int) -> tuple[Course, QuizAttempt, Quiz, User]:
    course = _course(course_slug)
    attempt, quiz, student = services.get_attempt_in(course, attempt_id)
    return course, attempt, quiz, student


@bp.post("/courses/<course_slug>/attempts/<int:attempt_id>/reopen")
@role_required(Role.INSTRUCTOR)
def reopen(course_slug: str, attempt_id: int) -> ResponseReturnValue:
    course, attempt, quiz, student = _attempt(course_slug, attempt_id)
    key = f"reopen-{quiz.slug}-{attempt.number}"
    form = ReopenForm(prefix=key)
    if not form.validate_on_submit():
        return _student_page(course, student, (key, form))
    try:
        lifecycle.reopen_attempt(
            attempt,
            quiz,
            reason=form.reason.data or "",
            actor=current_user,
            minutes=form.minutes.data,
        )
    except lifecycle.ActionRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(course, student, f"quiz-{quiz.slug}")
    db.session.commit()
    flash(
        _(
            "Attempt %(number)s at “%(title)s” is open again.",
            number=attempt.number,
            title=quiz.title,
        ),
        "success",
    )
    return _back(course, student, f"quiz-{quiz.slug}")


@bp.post("/courses/<course_slug>/attempts/<int:attempt_id>/discard")
@role_required(Role.INSTRUCTOR)
def discard(course_slug: str, attempt_id: int) -> ResponseReturnValue:
    course, attempt, quiz, student = _attempt(course_slug, attempt_id)
    key = f"discard-{quiz.slug}-{attempt.number}"
    form = DiscardForm(prefix=key)
    if not form.validate_on_submit():
        return _student_page(course, student, (key, form))
    try:
        lifecycle.discard_attempt(attempt, quiz, reason=form.reason.data or "", actor=current_user)
    except lifecycle.ActionRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(course, student, f"quiz-{quiz.slug}")
    db.session.commit()
    flash(
        _(
            "Attempt %(number)s at “%(title)s” is discarded: it no longer counts and the"
            " student has that attempt back.",
            number=attempt.number,
            title=quiz.title,
        ),
        "success",
    )
    return _back(course, student, f"quiz-{quiz.slug}")


@bp.get("/courses/<course_slug>/attempts/<int:attempt_id>")
@role_required(Role.INSTRUCTOR)
def attempt(course_slug: str, attempt_id: int) -> ResponseReturnValue:
    """A student's attempt with their answers, the key, points and feedback."""
    course, attempt, quiz, student = _attempt(course_slug, attempt_id)
    return render_template(
        "instructor/attempt.html",
        course=course,
        quiz=quiz,
        attempt=attempt,
        student=student,
        items=services.review_items(attempt),
        passing=(course.completion or {}).get("quizzes", {}).get(quiz.slug),
    )


# --- grading by a person (essays) ---------------------------------------------------------------


def _blind() -> bool:
    """Grade without the student's name (``?blind=1``), as Moodle and Canvas allow."""
    return request.values.get("blind") == "1"


@bp.get("/courses/<course_slug>/grading")
@role_required(Role.INSTRUCTOR)
def grading_queue(course_slug: str) -> ResponseReturnValue:
    """Attempts awaiting grading, per course or one quiz (``?quiz=<slug>``)."""
    course = _course(course_slug)
    quiz = None
    if request.args.get("quiz"):
        quiz = services.get_quiz_in(course, request.args["quiz"])
    entries = grading.queue(course, quiz)
    return render_template(
        "instructor/grading_queue.html",
        course=course,
        quiz=quiz,
        entries=entries,
        per_quiz=services.awaiting_per_quiz(course),
        blind=_blind(),
    )


@bp.get("/courses/<course_slug>/grading/attempts/<int:attempt_id>")
@role_required(Role.INSTRUCTOR)
def grade_attempt(course_slug: str, attempt_id: int) -> ResponseReturnValue:
    """The answers of one attempt that a person grades, each with its rubric and comment."""
    course, attempt, quiz, student = _attempt(course_slug, attempt_id)
    items = services.grading_items(attempt)
    forms = {item["answer"].id: _grade_form(item["answer"]) for item in items}
    return render_template(
        "instructor/grade_attempt.html",
        course=course,
        quiz=quiz,
        attempt=attempt,
        student=student,
        items=items,
        forms=forms,
        blind=_blind(),
        next_entry=services.next_to_grade(course, quiz, attempt),
    )


def _grade_form(answer: Answer) -> GradeForm:
    form = GradeForm(prefix=f"a{answer.id}")
    if answer.graded_at is not None and not form.is_submitted():
        detail = answer.grade_detail or {}
        form.points.data = detail.get("points")
    return form


@bp.post("/courses/<course_slug>/grading/answers/<int:answer_id>")
@role_required(Role.INSTRUCTOR)
def grade_answer(course_slug: str, answer_id: int) -> ResponseReturnValue:
    course = _course(course_slug)
    answer = db.session.get(Answer, answer_id) or abort(404)
    attempt, quiz, _student = services.get_attempt_in(course, answer.attempt_id)
    back = url_for(
        "instructor.grade_attempt",
        course_slug=course.slug,
        attempt_id=attempt.id,
        **({"blind": "1"} if _blind() else {}),
    )
    prefix = f"a{answer.id}"
    form = GradeForm(prefix=prefix)
    if not form.validate_on_submit():
        flash(_("The grade was not saved: %(errors)s", errors="; ".join(_errors(form))), "error")
        return redirect(f"{back}#answer-{answer.id}")
    marker = f"{prefix}-level-"
    levels = {
        key[len(marker) :]: value for key, value in request.form.items() if key.startswith(marker)
    }
    try:
        final = grading.grade_answer(
            answer,
            quizzes.question_spec(answer.question_id, answer.question_hash),
            grader=current_user,
            levels=levels,
            points=form.points.data,
            comment=form.comment.data or "",
            reason=form.reason.data or "",
        )
    except grading.GradingRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(f"{back}#answer-{answer.id}")
    db.session.commit()
    if final:
        flash(
            _(
                "Grade saved. Attempt %(number)d at “%(title)s” is fully graded.",
                number=attempt.number,
                title=quiz.title,
            ),
            "success",
        )
    else:
        flash(_("Grade saved."), "success")
    return redirect(f"{back}#answer-{answer.id}")


def _errors(form: GradeForm) -> list[str]:
    return [
        f"{form[name].label.text}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]
