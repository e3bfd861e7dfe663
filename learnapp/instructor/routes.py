"""Instructor pages (``/instruct``): courses taught, course status and sync, gradebook, one
student's record and fixes, attempt review, CSV exports.

Instructors and admins only (students get 403); a course the user does not teach, and anyone
or anything outside it, is a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from flask_login import current_user

from learnapp.auth.access import role_required
from learnapp.auth.models import Role, User
from learnapp.catalog.models import Course, Quiz
from learnapp.certificates import services as certificates
from learnapp.database import begin_mode
from learnapp.extensions import db
from learnapp.instructor import gradebook as gb
from learnapp.instructor import services
from learnapp.instructor.forms import (
    AllowanceForm,
    ClearScoreForm,
    DiscardForm,
    ReopenForm,
    ScoreForm,
    SyncForm,
)
from learnapp.quizzes.models import QuizAttempt

bp = Blueprint("instructor", __name__, template_folder="templates", url_prefix="/instruct")


def certificate_url(public_id: str) -> str:
    """The certificate's public verification page."""
    return url_for("certificates.verify", public_id=public_id)


def _course(course_slug: str) -> Course:
    return services.get_course_for(current_user, course_slug)


@bp.get("")
@role_required(Role.INSTRUCTOR)
def index() -> ResponseReturnValue:
    return render_template("instructor/index.html", courses=services.taught_courses(current_user))


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
    outcome = services.sync_now(course, actor=current_user)
    db.session.commit()
    messages = {
        "created": ("Loaded the course for the first time.", "success"),
        "updated": (
            f"Loaded the new version (content hash {course.content_hash[:12]}).",
            "success",
        ),
        "unchanged": ("The files have not changed since the last sync.", "info"),
        "retired": ("The course folder is gone: the course is retired.", "warning"),
        "failed": (
            "The files have errors, so nothing was loaded: students keep the last good "
            "version. The problems are listed below.",
            "error",
        ),
    }
    message, category = messages[outcome.result]
    if outcome.result != "failed" and outcome.problems:
        message += f" {len(outcome.problems)} warning(s) below."
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


def _csv_response(filename: str, lines: Iterator[str]) -> Response:
    """Stream ``lines`` (a generator: the file is never built in memory), UTF-8 with a BOM."""

    def generate() -> Iterator[str]:
        yield gb.BOM
        yield from lines

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

    def lines() -> Iterator[str]:
        yield gb.csv_line(gb.gradebook_header(book.quizzes))
        for row in book.rows:
            yield gb.csv_line(gb.gradebook_record(row, book.quizzes, urls.__getitem__))

    return _csv_response(f"{course.slug}-gradebook.csv", lines())


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

    def lines() -> Iterator[str]:
        with app.app_context(), begin_mode("DEFERRED"):
            exported = db.session.get(Course, course_id)
            yield gb.csv_line(services.ATTEMPTS_HEADER)
            for record in services.attempt_records(exported):
                yield gb.csv_line(record)

    return _csv_response(f"{course.slug}-attempts.csv", lines())


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
    flash(f"Saved extra time and attempts on “{quiz.title}”.", "success")
    return _back(course, student, f"quiz-{quiz.slug}")


@bp.post("/courses/<course_slug>/students/<int:user_id>/quizzes/<quiz_slug>/score")
@role_required(Role.INSTRUCTOR)
def set_score(course_slug: str, user_id: int, quiz_slug: str) -> ResponseReturnValue:
    course, student, quiz = _student_quiz(course_slug, user_id, quiz_slug)
    key = f"score-{quiz.slug}"
    form = ScoreForm(prefix=key)
    if not form.validate_on_submit() or form.percent.data is None:
        return _student_page(course, student, (key, form))
    services.set_manual_score(
        student, quiz, form.percent.data, reason=form.reason.data or "", actor=current_user
    )
    # A manual pass may complete the course, exactly as a submitted attempt would.
    issued = certificates.issue_if_complete(student, course)
    db.session.commit()
    flash(f"The score on “{quiz.title}” is now set by hand.", "success")
    if issued is not None:
        flash("The student has now completed the course and was issued a certificate.", "info")
    return _back(course, student, f"quiz-{quiz.slug}")


@bp.post("/courses/<course_slug>/students/<int:user_id>/quizzes/<quiz_slug>/score/clear")
@role_required(Role.INSTRUCTOR)
def clear_score(course_slug: str, user_id: int, quiz_slug: str) -> ResponseReturnValue:
    course, student, quiz = _student_quiz(course_slug, user_id, quiz_slug)
    key = f"clear-{quiz.slug}"
    form = ClearScoreForm(prefix=key)
    if not form.validate_on_submit():
        return _student_page(course, student, (key, form))
    if services.clear_manual_score(
        student, quiz, reason=form.reason.data or "", actor=current_user
    ):
        flash(f"Removed the manual score on “{quiz.title}”: the attempts count again.", "success")
    else:
        flash(f"There was no manual score on “{quiz.title}”.", "info")
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
        services.reopen_attempt(
            attempt,
            quiz,
            reason=form.reason.data or "",
            actor=current_user,
            minutes=form.minutes.data,
        )
    except services.ActionRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(course, student, f"quiz-{quiz.slug}")
    db.session.commit()
    flash(f"Attempt {attempt.number} at “{quiz.title}” is open again.", "success")
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
        services.discard_attempt(attempt, quiz, reason=form.reason.data or "", actor=current_user)
    except services.ActionRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(course, student, f"quiz-{quiz.slug}")
    db.session.commit()
    flash(
        f"Attempt {attempt.number} at “{quiz.title}” is discarded: it no longer counts and the "
        "student has that attempt back.",
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
