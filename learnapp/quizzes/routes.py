"""Quiz pages: overview, start, take (paged), save and autosave, summary and submit, review,
and practice of past mistakes."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course, Quiz
from learnapp.database import begin_mode, utcnow
from learnapp.errors import LearnAppError
from learnapp.extensions import csrf, db
from learnapp.progress import services as progress
from learnapp.quizzes import lifecycle, rules, services
from learnapp.quizzes.models import Answer, QuizAttempt
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec
from learnapp.templating import format_clock

bp = Blueprint("quizzes", __name__, template_folder="templates")

NO_STORE = {"Cache-Control": "no-store"}


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


def _quiz_or_404(course_slug: str, quiz_slug: str) -> tuple[Course, Quiz]:
    course = catalog.get_course(course_slug, _user()) or abort(404)
    quiz = catalog.get_quiz(course, quiz_slug) or abort(404)
    return course, quiz


def _context(attempt: QuizAttempt) -> tuple[Course, Quiz]:
    quiz = db.session.get(Quiz, attempt.quiz_id) or abort(404)
    course = db.session.get(Course, quiz.course_id) or abort(404)
    return course, quiz


@bp.get("/courses/<course_slug>/quizzes/<quiz_slug>")
def overview(course_slug: str, quiz_slug: str) -> ResponseReturnValue:
    view = catalog.find_course(course_slug, _user()) or abort(404)
    course = view.course
    quiz = catalog.get_quiz(course, quiz_slug) or abort(404)
    result = services.result_for(current_user, quiz) if _user() else None
    state = progress.course_progress(_user(), course, is_staff=view.is_staff)
    settings = quiz.typed_settings
    return render_template(
        "quizzes/overview.html",
        course=course,
        module=course.module(quiz.module_id),
        quiz=quiz,
        passing=course.completion.quizzes.get(quiz.slug),
        result=result,
        is_open=rules.is_open(utcnow(), settings.opens_at, settings.closes_at),
        opens_at=settings.opens_at,
        closes_at=settings.closes_at,
        lock=state.quiz(quiz.id),
    )


@bp.post("/courses/<course_slug>/quizzes/<quiz_slug>/attempts")
@login_required
def start(course_slug: str, quiz_slug: str) -> ResponseReturnValue:
    course, quiz = _quiz_or_404(course_slug, quiz_slug)
    try:
        progress.ensure_quiz_unlocked(current_user, course, quiz)
        attempt = lifecycle.start_attempt(current_user, quiz)
    except LearnAppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("quizzes.overview", course_slug=course_slug, quiz_slug=quiz_slug))
    db.session.commit()
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


def _per_page(attempt: QuizAttempt, quiz: Quiz) -> int:
    return quiz.typed_settings.per_page or len(attempt.answers) or 1


def _pages(attempt: QuizAttempt, quiz: Quiz) -> list[list[Answer]]:
    per_page = _per_page(attempt, quiz)
    answers = list(attempt.answers)
    return [answers[i : i + per_page] for i in range(0, len(answers), per_page)] or [[]]


def _specs(answers: list[Answer]) -> dict[tuple[int, str], QuestionSpec]:
    """The question versions of ``answers``, in one query (not one per answer)."""
    return services.question_specs((a.question_id, a.question_hash) for a in answers)


def _parts(
    answer: Answer, specs: dict[tuple[int, str], QuestionSpec]
) -> tuple[QuestionSpec, Any, dict[str, Any]]:
    """The question version the answer belongs to, its type and the student's view of it."""
    spec = specs[(answer.question_id, answer.question_hash)]
    kind = QUESTION_TYPES[spec.type]
    return spec, kind, kind.view(spec, answer.option_order)


def _closed_on_open(attempt: QuizAttempt) -> QuizAttempt | None:
    """Close ``attempt`` if its time is up, the one change a GET makes; the closed attempt.

    The page's own transaction only reads (on SQLite it began DEFERRED, so that readers never
    queue for the write lock, and such a transaction cannot upgrade to a writer under load).
    So it is ended first, and the closing, with its grading and completion step, runs in a short
    transaction of its own that takes the write lock up front (``BEGIN IMMEDIATE``).
    """
    if not lifecycle.is_overdue(attempt, utcnow()):
        return None
    attempt_id = attempt.id
    db.session.rollback()
    with begin_mode("IMMEDIATE"):
        attempt = db.session.get(QuizAttempt, attempt_id) or abort(404)
        lifecycle.close_if_overdue(attempt)
        db.session.commit()
    return attempt


@bp.get("/attempts/<int:attempt_id>")
@login_required
def take(attempt_id: int) -> ResponseReturnValue:
    attempt = services.get_attempt_for(current_user, attempt_id)
    if _closed_on_open(attempt) is not None:
        flash(_("Time is up: your attempt was submitted with the answers you had saved."), "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    course, quiz = _context(attempt)
    if not attempt.is_open:
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    pages = _pages(attempt, quiz)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), len(pages))
    items = []
    specs = _specs(pages[page - 1])
    for answer in pages[page - 1]:
        spec, kind, view = _parts(answer, specs)
        checked = (
            kind.review(spec, answer.option_order, answer.response, answer.stored_grade)
            if answer.is_locked
            else None
        )
        value = kind.answer_to_view(spec, answer.option_order, answer.response)
        items.append({"answer": answer, "view": view, "value": value, "checked": checked})
    return (
        render_template(
            "quizzes/take.html",
            course=course,
            quiz=quiz,
            attempt=attempt,
            items=items,
            page=page,
            pages=len(pages),
            token=services.attempt_token(attempt),
            answered=sum(1 for a in attempt.answers if a.response is not None),
            immediate=quiz.typed_settings.review == "immediately",
        ),
        200,
        NO_STORE,
    )


def _responses(attempt: QuizAttempt) -> dict[int, Any]:
    """The answers present in the posted form (real option ids), keyed by answer row id."""
    found = {}
    specs = _specs(attempt.answers)
    for answer in attempt.answers:
        spec, kind, view = _parts(answer, specs)
        present, value = kind.read_form(view, f"q_{answer.id}", request.form)
        if present:
            found[answer.id] = (
                None if value is None else kind.answer_from_view(spec, answer.option_order, value)
            )
    return found


def _attempt_from_post(attempt_id: int) -> QuizAttempt:
    """Authorise a save by the signed per-attempt token (CSRF-safe: only the page has it)."""
    # The logged-in user first: the token's owner check then finds the same row in the session
    # instead of loading it again.
    user = _user()
    attempt = services.attempt_from_token(request.form.get("attempt_token", ""), attempt_id)
    if attempt is None:
        abort(400)
    if user is not None and user.id != attempt.user_id:
        abort(404)
    return attempt


@bp.post("/attempts/<int:attempt_id>")
@csrf.exempt  # authorised by the per-attempt token instead, so expired sessions lose nothing
def save(attempt_id: int) -> ResponseReturnValue:
    attempt = _attempt_from_post(attempt_id)
    sequence = request.form.get("sequence", type=int)
    page = request.form.get("page", 1, type=int) or 1
    action = request.form.get("action", "save")
    try:
        lifecycle.save_answers(
            attempt, _responses(attempt), sequence if sequence is not None else -1
        )
        check = request.form.get("check", type=int)
        if check is not None:
            answer = next((a for a in attempt.answers if a.id == check), None)
            if answer is not None:
                lifecycle.check_answer(attempt, answer)
        logged_in = current_user.is_authenticated  # before the commit expires the user
        get_locale()  # the reply's language too: read after the commit, it reloads the user
    except lifecycle.StalePage as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("quizzes.take", attempt_id=attempt_id, page=page))
    except lifecycle.AttemptClosed as exc:
        db.session.commit()
        flash(exc.message, "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    db.session.commit()
    if not logged_in:
        flash(_("Your session ended, but your answers are saved. Log in to continue."), "info")
        return redirect(
            url_for("auth.login", next=url_for("quizzes.take", attempt_id=attempt_id, page=page))
        )
    targets = {
        "previous": url_for("quizzes.take", attempt_id=attempt_id, page=max(page - 1, 1)),
        "next": url_for("quizzes.take", attempt_id=attempt_id, page=page + 1),
        "finish": url_for("quizzes.summary", attempt_id=attempt_id),
    }
    if request.form.get("check") is not None:
        return redirect(
            url_for("quizzes.take", attempt_id=attempt_id, page=page) + f"#answer-{check}"
        )
    if action not in targets:
        flash(_("Your answers are saved."), "success")
    return redirect(targets.get(action, url_for("quizzes.take", attempt_id=attempt_id, page=page)))


@bp.post("/attempts/<int:attempt_id>/autosave")
@csrf.exempt  # authorised by the per-attempt token
def autosave(attempt_id: int) -> ResponseReturnValue:
    attempt = _attempt_from_post(attempt_id)
    sequence = request.form.get("sequence", type=int)
    try:
        new_sequence = lifecycle.save_answers(
            attempt, _responses(attempt), sequence if sequence is not None else -1
        )
        logged_in = current_user.is_authenticated  # before the commit expires the user
        get_locale()  # the reply's language too: read after the commit, it reloads the user
    except lifecycle.StalePage as exc:
        db.session.rollback()
        return jsonify(saved=False, stale=True, message=exc.message), 409
    except lifecycle.AttemptClosed as exc:
        db.session.commit()
        return jsonify(saved=False, closed=True, message=exc.message), 409
    db.session.commit()
    return (
        jsonify(
            saved=True,
            sequence=new_sequence,
            saved_at=format_clock(utcnow(), with_seconds=True),
            login_required=not logged_in,
        ),
        200,
        NO_STORE,
    )


@bp.get("/attempts/<int:attempt_id>/summary")
@login_required
def summary(attempt_id: int) -> ResponseReturnValue:
    attempt = services.get_attempt_for(current_user, attempt_id)
    if _closed_on_open(attempt) is not None:
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    course, quiz = _context(attempt)
    if not attempt.is_open:
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    per_page = _per_page(attempt, quiz)
    return (
        render_template(
            "quizzes/summary.html",
            course=course,
            quiz=quiz,
            attempt=attempt,
            per_page=per_page,
            token=services.attempt_token(attempt),
        ),
        200,
        NO_STORE,
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int) -> ResponseReturnValue:
    attempt = services.get_attempt_for(current_user, attempt_id)
    if lifecycle.submit_attempt(attempt) is not None:
        flash(
            _("You completed the course and earned a certificate: see your dashboard."), "success"
        )
    db.session.commit()
    return redirect(url_for("quizzes.review", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int) -> ResponseReturnValue:
    attempt = services.get_attempt_for(current_user, attempt_id)
    if (closed := _closed_on_open(attempt)) is not None:
        attempt = closed
    course, quiz = _context(attempt)
    if attempt.is_open:
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    scope = services.review_scope(attempt, quiz)
    items = []
    specs = _specs(attempt.answers)
    for answer in attempt.answers:
        spec, kind, _view = _parts(answer, specs)
        shown = kind.review(
            spec,
            answer.option_order,
            answer.response,
            answer.stored_grade,
            show_responses=scope.show_responses,
            show_correct=scope.show_correct,
            show_feedback=scope.show_feedback,
        )
        # A link to the lesson passage of each missed question says which answers were wrong:
        # only when the review shows correctness.
        missed = answer.points is None or answer.points < answer.max_points
        lesson_url = _lesson_url(course, spec.lesson) if scope.show_correct and missed else None
        items.append({"answer": answer, "review": shown, "lesson_url": lesson_url})
    result = services.result_for(current_user, quiz)
    return (
        render_template(
            "quizzes/review.html",
            course=course,
            quiz=quiz,
            attempt=attempt,
            items=items,
            scope=scope,
            result=result,
            passing=course.completion.get("quizzes", {}).get(quiz.slug),
        ),
        200,
        NO_STORE,
    )


def _lesson_url(course: Course, ref: str | None) -> str | None:
    if not ref:
        return None
    lesson_slug, _hash, anchor = ref.partition("#")
    url = url_for("catalog.lesson", course_slug=course.slug, lesson_slug=lesson_slug)
    return f"{url}#{anchor}" if anchor else url


@bp.route("/practice", methods=["GET", "POST"])
@login_required
def practice() -> ResponseReturnValue:
    """Review my mistakes: due questions from past attempts, with immediate feedback."""
    results = None
    if request.method == "POST":
        results = services.answer_practice(current_user, request.form)
        db.session.commit()
    items = services.due_practice(current_user)
    upcoming = services.practice_counts(current_user)
    questions = []
    specs = services.question_specs((question.id, question.content_hash) for _i, question in items)
    for item, question in items:
        spec = specs[(question.id, question.content_hash)]
        order = services.practice_order(spec)
        questions.append({"item": item, "view": QUESTION_TYPES[spec.type].view(spec, order)})
    return (
        render_template(
            "quizzes/practice.html", questions=questions, results=results, upcoming=upcoming
        ),
        200,
        NO_STORE,
    )
