"""``flask users …`` and ``flask courses …`` commands. They call services and commit once.

What they print and their ``--help`` speak the shell's language (``LANG=es_ES.UTF-8``): messages
through ``_`` (the command runs in an app context, whose locale is the environment's), help texts
through ``_l``, which click turns into text only when it prints them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click
from flask import current_app, url_for
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from learnapp.auth import services
from learnapp.auth.models import Role, User
from learnapp.errors import LearnAppError
from learnapp.extensions import db
from learnapp.i18n import LazyHelpOption, role_name
from learnapp.i18n import lazy_cli_gettext as _l
from learnapp.templating import number, percent
from learnapp.translation import N_
from learnapp.two_factor import services as two_factor

if TYPE_CHECKING:
    from learnapp.catalog.models import Course
    from learnapp.certificates.models import Certificate

users_cli = AppGroup("users", help=_l("Create and manage user accounts."))

ROLE_CHOICE = click.Choice([role.value for role in Role])

#: ``click.option`` whose ``help=`` is translated when ``--help`` prints it.
option = functools.partial(click.option, cls=LazyHelpOption)


def _user_or_exit(email: str) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(_("No account with e-mail %(email)s.", email=email))
    return user


@users_cli.command("create", help=_l("Create an account."))
@option("--email", required=True, help=_l("Login e-mail address."))
@option("--name", "display_name", help=_l("Full name (default: the part before @)."))
@option("--role", type=ROLE_CHOICE, default=Role.STUDENT.value, show_default=True, help=_l("Role."))
@click.password_option(
    "--password",
    help=_l("Password (prompted for when not given)."),
    confirmation_prompt=True,
    cls=LazyHelpOption,
)
def create(email: str, display_name: str | None, role: str, password: str) -> None:
    try:
        user = services.create_user(email, password, display_name or email.split("@")[0], role)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        _(
            "Created %(role)s %(email)s (id %(id)d).",
            role=role_name(user.role),
            email=user.email,
            id=user.id,
        )
    )


@users_cli.command("set-role", help=_l("Change an account's role (ends its sessions)."))
@option("--email", required=True, help=_l("Account e-mail."))
@option("--role", type=ROLE_CHOICE, required=True, help=_l("Role."))
def set_role(email: str, role: str) -> None:
    user = _user_or_exit(email)
    services.set_role(user, role)
    db.session.commit()
    click.echo(_("%(email)s is now %(role)s.", email=user.email, role=role_name(user.role)))


@users_cli.command(
    "deactivate", help=_l("Deactivate an account (it can no longer log in; its sessions end).")
)
@option("--email", required=True, help=_l("Account e-mail."))
@option("--activate", is_flag=True, help=_l("Re-activate the account instead."))
def deactivate(email: str, activate: bool) -> None:
    user = _user_or_exit(email)
    try:
        services.set_active(user, activate)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        _("%(email)s is now active.", email=user.email)
        if user.is_active
        else _("%(email)s is now deactivated.", email=user.email)
    )


@users_cli.command("list", help=_l("List accounts."))
@option("--role", type=ROLE_CHOICE, help=_l("Only accounts with this role."))
def list_users(role: str | None) -> None:
    stmt = select(User).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == role)
    users = db.session.scalars(stmt).all()
    if not users:
        click.echo(
            (
                _("No %(role)s accounts yet.", role=role_name(role))
                if role
                else _("No user accounts yet.")
            )
            + " "
            + _("Create an admin with:")
            + "\n  LEARNAPP_ENV=development .venv/bin/flask --app learnapp users create"
            " --email you@example.com --role admin"
        )
        return
    for user in users:
        state = _("active") if user.is_active else _("deactivated")
        role_shown = role_name(user.role)
        click.echo(
            f"{user.id:>5}  {user.email:<40} {role_shown:<10} {state:<11} {user.display_name}"
        )


@users_cli.command(
    "reset-link",
    help=_l(
        "Print a one-time password reset link to hand over (students can also ask for one by"
        " e-mail with “Forgot password?” on the login form)."
    ),
)
@option("--email", required=True, help=_l("Account e-mail."))
def reset_link(email: str) -> None:
    user = _user_or_exit(email)
    token = services.issue_reset_token(user)
    db.session.commit()
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context():
        path = url_for("auth.reset_password", token=token)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    click.echo(
        _(
            "Reset link for %(email)s (valid %(hours)d h, usable once):",
            email=user.email,
            hours=hours,
        )
        + f"\n{base}{path}"
    )


@users_cli.command(
    "reset-two-factor",
    help=_l("Remove an account's two-factor sign-in (lost phone) and end its sessions."),
)
@option("--email", required=True, help=_l("Account e-mail."))
@option("--reason", required=True, help=_l("Why (recorded in the audit log)."))
def reset_two_factor(email: str, reason: str) -> None:
    user = _user_or_exit(email)
    if not two_factor.reset(user, actor=None, reason=reason):
        raise click.ClickException(
            _("%(email)s has no two-factor sign-in to reset.", email=user.email)
        )
    db.session.commit()
    click.echo(
        _(
            "Two-factor sign-in of %(email)s is reset; it signs in with its password and sets"
            " it up again.",
            email=user.email,
        )
        if two_factor.is_required(user)
        else _(
            "Two-factor sign-in of %(email)s is reset; it signs in with its password.",
            email=user.email,
        )
    )


courses_cli = AppGroup("courses", help=_l("Check and load the course folders."))


@courses_cli.command(
    "check",
    help=_l(
        "Validate course files without touching the database.\n\n"
        "PATH is the courses folder (default: the configured one), one course folder or one"
        " file. Prints every problem as path:line: message and exits 1 if any is an error."
        " Quiz-quality warnings end with their code in brackets, e.g. [longest-correct];"
        " --strict makes them errors. When the database can be read, instructor e-mails"
        " without an account are warnings."
    ),
)
@click.argument("path", required=False, type=click.Path(path_type=str))
@option("--strict", is_flag=True, help=_l("Treat quiz-quality warnings as errors (exit 1 on any)."))
def check_courses(path: str | None, strict: bool) -> None:
    from learnapp.catalog.services import courses_dir
    from learnapp.content import check
    from learnapp.content.quality import strict as escalate

    target = path or str(courses_dir())
    problems = check(target, known_emails=_known_emails())
    if strict:
        problems = escalate(problems)
    for problem in problems:
        click.echo(problem.localized(_))
    errors = [problem for problem in problems if problem.is_error]
    warnings = len(problems) - len(errors)
    if errors:
        click.echo(
            _(
                "%(errors)d error(s), %(warnings)d warning(s) in %(target)s",
                errors=len(errors),
                warnings=warnings,
                target=target,
            ),
            err=True,
        )
        raise SystemExit(1)
    click.echo(
        _("OK: %(target)s (%(warnings)d warning(s))", target=target, warnings=warnings), err=True
    )


def _known_emails() -> list[str] | None:
    """Account e-mails, read only; None when there is no database to read yet."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return None  # connecting would create an empty database file
    try:
        emails = list(db.session.scalars(select(User.email)))
    except SQLAlchemyError:
        db.session.rollback()
        return None
    db.session.rollback()
    return emails


#: ``flask courses sync``'s exit status when another sync held the lock (EX_TEMPFAIL).
SYNC_BUSY_EXIT = 75


@courses_cli.command(
    "sync",
    help=_l(
        "Load every valid course into the database (idempotent; broken courses keep their last"
        " good version). Exits 1 if any course could not be loaded, 75 if another sync was"
        " running (nothing changed)."
    ),
)
@option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help=_l("Seconds to wait when another sync (on any host) is running; 0 gives up at once."),
)
def sync_courses(wait_seconds: float) -> None:
    from learnapp.catalog.sync_lock import SyncBusy, locked_sync

    try:
        report = locked_sync(
            progress=lambda line: click.echo(line, err=True), wait_seconds=wait_seconds
        )
    except SyncBusy as busy:
        db.session.rollback()
        click.echo(busy.message, err=True)
        raise SystemExit(SYNC_BUSY_EXIT) from None
    db.session.commit()
    for problem in report.problems:
        click.echo(problem.localized(_))
    summary = _(
        "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(retired)d retired,"
        " %(failed)d failed",
        created=len(report.created),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        retired=len(report.retired),
        failed=len(report.failed),
    )
    click.echo(
        _(
            "Courses: %(summary)s; %(lessons)d lesson(s) rendered.",
            summary=summary,
            lessons=report.rendered_lessons,
        ),
        err=True,
    )
    if report.quality_warnings:
        click.echo(
            _(
                "%(count)d quiz-quality warning(s) in the courses parsed:"
                " flask courses check lists them.",
                count=len(report.quality_warnings),
            ),
            err=True,
        )
    if not report.ok:
        raise SystemExit(1)


@courses_cli.command(
    "assign-instructor",
    help=_l("Make an account an instructor of a course (besides those the course file names)."),
)
@option("--course", "course_slug", required=True, help=_l("Course id."))
@option("--email", required=True, help=_l("Account e-mail."))
def assign_instructor(course_slug: str, email: str) -> None:
    from learnapp.admin import services as admin
    from learnapp.catalog.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(_("No course with id %(id)s.", id=course_slug))
    user = _user_or_exit(email)
    try:
        added = admin.assign_instructor(course, user, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        _("%(email)s now teaches %(course)s.", email=user.email, course=course.slug)
        if added
        else _("%(email)s already teaches %(course)s.", email=user.email, course=course.slug)
    )


@courses_cli.command(
    "unassign-instructor",
    help=_l("Remove an admin's assignment of an instructor to a course (not the course file's)."),
)
@option("--course", "course_slug", required=True, help=_l("Course id."))
@option("--email", required=True, help=_l("Account e-mail."))
def unassign_instructor(course_slug: str, email: str) -> None:
    from learnapp.admin import services as admin
    from learnapp.catalog.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(_("No course with id %(id)s.", id=course_slug))
    user = _user_or_exit(email)
    removed = admin.unassign_instructor(course, user, actor=None)
    db.session.commit()
    click.echo(
        _("%(email)s is no longer assigned to %(title)s.", email=user.email, title=course.slug)
        if removed
        else _("%(email)s was not assigned to %(title)s.", email=user.email, title=course.slug)
    )


@courses_cli.command(
    "import-gift",
    help=_l(
        "Convert the Moodle GIFT file GIFT_FILE into a quiz of a course.\n\n"
        "A new quiz is written as <quiz id>.md into the module folder and added to that"
        " module's quizzes: list. An existing quiz keeps its settings and introduction; its"
        " questions are replaced (only with --force). Question ids come from ::titles:: or the"
        " question text, so importing the same file again keeps them. Every problem is printed"
        " as FILE:line: message; with any problem, or if the course check fails afterwards,"
        " nothing is changed and the exit status is 1. See docs/course-format.md, “Coming from"
        " Moodle GIFT”."
    ),
)
@click.argument("gift_file", type=click.Path(dir_okay=False, path_type=str))
@option("--course", "course_id", required=True, help=_l("Id of the course to import into."))
@option(
    "--quiz",
    "quiz_id",
    help=_l(
        "Quiz id to create, or an existing quiz whose questions to replace (with --force)."
        " Default: made from the file name."
    ),
)
@option("--module", "module_id", help=_l("Module id for a new quiz (default: the last module)."))
@option("--title", help=_l("Title of a new quiz (default: made from the file name)."))
@option("--force", is_flag=True, help=_l("Replace an existing quiz file or file of that name."))
def import_gift(
    gift_file: str,
    course_id: str,
    quiz_id: str | None,
    module_id: str | None,
    title: str | None,
    force: bool,
) -> None:
    from learnapp.catalog.services import courses_dir
    from learnapp.content import gift

    report = gift.import_gift(
        gift_file,
        courses_dir(),
        course_id,
        quiz_id,
        module_id=module_id,
        title=title,
        force=force,
    )
    for problem in report.problems:
        click.echo(problem.localized(_))
    if not report.ok:
        click.echo(
            _("%(count)d problem(s); nothing was written.", count=len(report.problems)), err=True
        )
        raise SystemExit(1)
    if report.created:
        click.echo(
            _(
                "Wrote %(path)s: new quiz %(quiz)s with %(count)d question(s), listed in"
                " %(listed)s.",
                path=report.path,
                quiz=report.quiz_id,
                count=report.questions,
                listed=report.listed_in,
            )
        )
    else:
        click.echo(
            _(
                "Wrote %(path)s: quiz %(quiz)s now has %(count)d question(s) (%(kept)d kept,"
                " %(added)d new, %(removed)d removed).",
                path=report.path,
                quiz=report.quiz_id,
                count=report.questions,
                kept=report.kept,
                added=report.added,
                removed=report.removed,
            )
        )
    click.echo(
        _("The course passes flask courses check; flask courses sync publishes it."), err=True
    )


@courses_cli.command(
    "export-gift",
    help=_l(
        "Write a quiz as a Moodle GIFT file (UTF-8).\n\n"
        "Texts are written as [markdown]; ids and tags as Moodle's “// [id:...] [tag:...]”, the"
        " category path as $CATEGORY:; points, lesson links and choice ids go into"
        " “// learnapp:” comments that Moodle ignores and import-gift reads back, so exporting"
        " and importing again gives the same questions. Problems are printed as FILE:line:"
        " message and exit with status 1 (nothing is written)."
    ),
)
@option("--course", "course_id", required=True, help=_l("Course id."))
@option("--quiz", "quiz_id", required=True, help=_l("Id of the quiz to export."))
@option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help=_l("GIFT file to write; - writes to standard output."),
)
@option("--force", is_flag=True, help=_l("Overwrite the output file if it exists."))
@option(
    "--skip-unsupported",
    is_flag=True,
    help=_l(
        "Leave out questions GIFT cannot express (ordering, pattern:, case_sensitive:)"
        " with a warning, instead of failing."
    ),
)
def export_gift(
    course_id: str, quiz_id: str, output: str, force: bool, skip_unsupported: bool
) -> None:
    from learnapp.catalog.services import courses_dir
    from learnapp.content import gift

    if output != "-" and Path(output).exists() and not force:
        raise click.ClickException(_("%(file)s exists; use --force to overwrite it.", file=output))
    report = gift.export_gift(courses_dir(), course_id, quiz_id, skip_unsupported=skip_unsupported)
    for problem in report.problems:
        click.echo(problem.localized(_), err=True)
    if not report.ok:
        errors = sum(1 for p in report.problems if p.is_error)
        click.echo(_("%(count)d problem(s); nothing was written.", count=errors), err=True)
        raise SystemExit(1)
    figures = {"count": report.questions, "source": report.source, "skipped": len(report.problems)}
    if output == "-":
        click.echo(report.text, nl=False)
        click.echo(
            _(
                "Exported %(count)d question(s) from %(source)s, %(skipped)d skipped.",
                **figures,
            )
            if figures["skipped"]
            else _("Exported %(count)d question(s) from %(source)s.", **figures),
            err=True,
        )
        return
    try:
        Path(output).write_text(report.text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(
            _("cannot write %(file)s: %(error)s", file=output, error=exc.strerror or exc)
        ) from exc
    click.echo(
        _(
            "Wrote %(file)s: %(count)d question(s) from %(source)s, %(skipped)d skipped.",
            file=output,
            **figures,
        )
        if figures["skipped"]
        else _("Wrote %(file)s: %(count)d question(s) from %(source)s.", file=output, **figures)
    )


quizzes_cli = AppGroup("quizzes", help=_l("Quiz maintenance: close overdue attempts, regrade."))


@quizzes_cli.command(
    "close-overdue",
    help=_l(
        "Submit every open attempt past its time limit, graded with what was saved and"
        " completed (practice, certificates) in the same transaction, then queue each one's"
        " follow-up check. Safe on every host at once: each attempt is closed by one run. With a"
        " job runner, celery beat does this."
    ),
)
def close_overdue() -> None:
    from celery.result import EagerResult

    from learnapp.jobs import services as jobs
    from learnapp.jobs import tasks
    from learnapp.quizzes.models import QuizAttempt

    closed = jobs.close_overdue()
    if closed is None:
        click.echo(_("Another close-overdue run holds the lock; nothing done."), err=True)
        return
    for attempt_id in closed:
        job = tasks.attempt_closed.delay(attempt_id)  # on the job runner, or here without one
        if isinstance(job, EagerResult) and job.failed():
            click.echo(
                _(
                    "attempt %(id)d: follow-up failed: %(error)s",
                    id=attempt_id,
                    error=repr(job.result),
                ),
                err=True,
            )
    for attempt_id in closed:
        attempt = db.session.get(QuizAttempt, attempt_id)
        if attempt is not None:
            click.echo(
                _(
                    "closed attempt %(id)d (user %(user)s): %(percent)s",
                    id=attempt.id,
                    user=attempt.user_id,
                    percent=percent(attempt.percent),
                )
            )
    click.echo(_("%(count)d overdue attempt(s) closed.", count=len(closed)), err=True)


@quizzes_cli.command(
    "regrade",
    help=_l(
        "Re-score submitted attempts of QUIZ_SLUG with the current questions (after a key fix);"
        " a student whose new score completes the course gets the certificate."
    ),
)
@click.argument("quiz_slug")
@option("--course", "course_slug", required=True, help=_l("Course id."))
def regrade(quiz_slug: str, course_slug: str) -> None:
    from learnapp.audit import services as audit
    from learnapp.catalog.models import Course, Quiz
    from learnapp.quizzes import lifecycle

    quiz = db.session.scalar(
        select(Quiz).join(Course).where(Course.slug == course_slug, Quiz.slug == quiz_slug)
    )
    if quiz is None:
        raise click.ClickException(
            _("No quiz %(quiz)s in course %(course)s.", quiz=quiz_slug, course=course_slug)
        )
    changed = lifecycle.regrade_quiz(quiz)
    audit.record("quiz.regraded", target=quiz, changed=len(changed))
    db.session.commit()
    for attempt, old, new in changed:
        click.echo(
            _(
                "attempt %(id)d (user %(user)s): %(old)s -> %(new)s points",
                id=attempt.id,
                user=attempt.user_id,
                old=number(old),
                new=number(new),
            )
        )
    click.echo(_("%(count)d score(s) changed.", count=len(changed)), err=True)


@quizzes_cli.command(
    "grant",
    help=_l("Give one student extra time or extra attempts on a quiz (replaces an earlier grant)."),
)
@click.argument("quiz_slug")
@option("--course", "course_slug", required=True, help=_l("Course id."))
@option("--email", required=True, help=_l("The student's e-mail."))
@option(
    "--extra-minutes",
    type=click.IntRange(0, 24 * 60),
    default=0,
    show_default=True,
    help=_l("Extra minutes on the time limit."),
)
@option(
    "--extra-attempts",
    type=click.IntRange(0, 100),
    default=0,
    show_default=True,
    help=_l("Extra attempts beyond the quiz's limit."),
)
@option("--reason", required=True, help=_l("Why (kept in the audit log)."))
def grant(
    quiz_slug: str,
    course_slug: str,
    email: str,
    extra_minutes: int,
    extra_attempts: int,
    reason: str,
) -> None:
    from learnapp.catalog.models import Course, Quiz
    from learnapp.quizzes import services as quizzes

    quiz = db.session.scalar(
        select(Quiz).join(Course).where(Course.slug == course_slug, Quiz.slug == quiz_slug)
    )
    if quiz is None:
        raise click.ClickException(
            _("No quiz %(quiz)s in course %(course)s.", quiz=quiz_slug, course=course_slug)
        )
    user = _user_or_exit(email)
    quizzes.grant_override(user, quiz, extra_minutes, extra_attempts, reason)
    db.session.commit()
    click.echo(
        _(
            "%(email)s: +%(minutes)d min, +%(attempts)d attempt(s) on %(quiz)s.",
            email=user.email,
            minutes=extra_minutes,
            attempts=extra_attempts,
            quiz=quiz_slug,
        )
    )


certificates_cli = AppGroup("certificates", help=_l("Award, revoke and verify certificates."))


def _course_or_exit(course_slug: str) -> Course:
    from learnapp.catalog.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(_("No course with id %(id)s.", id=course_slug))
    return course


def _certificate_or_exit(public_id: str) -> Certificate:
    from learnapp.certificates import services as certificates

    certificate = certificates.get_by_public_id(public_id)
    if certificate is None:
        raise click.ClickException(_("No certificate with id %(id)s.", id=public_id))
    return certificate


@certificates_cli.command(
    "issue",
    help=_l("Award a certificate manually (recognised prior learning, a fix after a wrong key)."),
)
@option("--user", "email", required=True, help=_l("The student's e-mail."))
@option("--course", "course_slug", required=True, help=_l("Course id."))
@option("--reason", required=True, help=_l("Why (shown to staff and kept in the audit log)."))
def issue_certificate(email: str, course_slug: str, reason: str) -> None:
    from learnapp.certificates import services as certificates

    user = _user_or_exit(email)
    course = _course_or_exit(course_slug)
    try:
        certificate = certificates.award(user, course, reason=reason, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        _(
            "Awarded %(id)s to %(email)s: %(url)s",
            id=certificate.public_id,
            email=user.email,
            url=certificates.verify_url(certificate),
        )
    )


@certificates_cli.command(
    "revoke", help=_l("Revoke a certificate (undo with “flask certificates restore”).")
)
@click.argument("public_id")
@option("--reason", required=True, help=_l("Shown on the verification page."))
def revoke_certificate(public_id: str, reason: str) -> None:
    from learnapp.certificates import services as certificates

    certificate = _certificate_or_exit(public_id)
    try:
        certificates.revoke(certificate, reason=reason, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(_("Revoked %(id)s.", id=public_id))


@certificates_cli.command("restore", help=_l("Undo a revocation."))
@click.argument("public_id")
def restore_certificate(public_id: str) -> None:
    from learnapp.certificates import services as certificates

    certificate = _certificate_or_exit(public_id)
    try:
        certificates.restore(certificate, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(_("Restored %(id)s: valid again.", id=public_id))


@certificates_cli.command(
    "verify",
    help=_l(
        "Check a downloaded credential (.jwt): its signature, revocation status and record."
        "\n\nExits with 1 when the credential is invalid, revoked or superseded by a reissue."
    ),
)
@click.argument("file", type=click.File("r", encoding="utf-8"))
def verify_certificate(file: TextIO) -> None:
    from learnapp.certificates import services as certificates
    from learnapp.certificates.credentials import CredentialError

    try:
        result = certificates.verify_credential(file.read(1_000_000))
    except LearnAppError as exc:  # this host cannot sign the status list to check against
        raise click.ClickException(exc.message) from exc
    except (CredentialError, KeyError, TypeError, ValueError) as exc:
        click.echo(_("INVALID: %(error)s", error=exc), err=True)
        raise SystemExit(1) from exc
    credential = result.credential
    subject = credential.get("credentialSubject", {})
    names = ", ".join(i.get("identityHash", "") for i in subject.get("identifier", []))
    click.echo(_("Signature: valid (Ed25519, issuer key)"))
    click.echo(_("Credential: %(id)s", id=credential.get("id")))
    click.echo(_("Awarded to: %(names)s", names=names))
    click.echo(_("Course: %(title)s", title=subject.get("achievement", {}).get("name")))
    click.echo(_("Issued: %(date)s", date=credential.get("validFrom")))
    if result.certificate is None:
        click.echo(_("INVALID: no such certificate in this site's records."), err=True)
        raise SystemExit(1)
    if result.revoked:
        click.echo(_("REVOKED: %(reason)s", reason=result.certificate.revoked_reason), err=True)
        raise SystemExit(1)
    if result.superseded:
        click.echo(
            _(
                "SUPERSEDED: the certificate was reissued to %(name)s; download the current"
                " credential.",
                name=result.certificate.name,
            ),
            err=True,
        )
        raise SystemExit(1)
    click.echo(_("Status: valid (not revoked)"))


ROTATION_STEPS = N_("""\
Every host publishes the new key from now on (the database lists it), next to the keys before
it, which stay published: credentials they signed keep verifying, revocations keep working.

Now deploy the new key to every host, in any order:
  1. Copy %(out)s to the host (owned by the app's account, mode 0600) and point
     LEARNAPP_CERTIFICATE_KEY_PATH at it, or put its content in LEARNAPP_CERTIFICATE_KEY.
  2. Restart the app there.
A host signs with the new key once restarted and with the old one until then; both are
published, so no host signs with a key the others do not publish. Do not configure a key made
any other way: a host whose key is not listed refuses to sign.
Then store %(out)s with your other secrets (a backup you can restore) and delete other copies.
The old private key is no longer needed: its public key stays listed in the database.
""")


@certificates_cli.command(
    "rotate-key",
    help=_l(
        "Create a new signing key, publish it on every host, and say how to deploy it.\n\n"
        "Also how to create the first key of a production site."
    ),
)
@option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help=_l("Where to write the new private key (a new file; it is never overwritten)."),
)
def rotate_key(out: Path) -> None:
    from learnapp.certificates import keys
    from learnapp.certificates import services as certificates
    from learnapp.certificates.credentials import CredentialError

    try:
        rotation = keys.rotate(out)
    except FileExistsError as exc:
        raise click.ClickException(_("%(file)s exists: give a new file.", file=out)) from exc
    except CredentialError as exc:
        raise click.ClickException(
            _(
                "this host's key cannot be read (%(error)s). rotate-key keeps it published as"
                " the retired key, so fix the configuration first (on a new site, run"
                " rotate-key before setting LEARNAPP_CERTIFICATE_KEY_PATH).",
                error=exc,
            )
        ) from exc
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        db.session.commit()
    except SQLAlchemyError as exc:
        out.unlink(missing_ok=True)
        raise click.ClickException(
            _("the key could not be listed: %(error)s; nothing changed", error=exc)
        ) from exc
    prefix = certificates.issuer().key_url_prefix
    click.echo(_("New key: %(key)s, written to %(file)s", key=prefix + rotation.new_kid, file=out))
    if rotation.old_kid:
        click.echo(_("Retired: %(key)s (this host's key until now)", key=prefix + rotation.old_kid))
    click.echo(_(ROTATION_STEPS, out=out))


@certificates_cli.command(
    "keys", help=_l("List the published signing keys and the one this host signs with.")
)
def list_keys() -> None:
    from learnapp.certificates import credentials, keys
    from learnapp.certificates import services as certificates
    from learnapp.certificates.models import SigningKey

    try:
        ours = credentials.thumbprint(credentials.public_jwk(keys.current_key().public_key(), ""))
    except credentials.CredentialError as exc:
        raise click.ClickException(str(exc)) from exc
    prefix = certificates.issuer().key_url_prefix
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
    if not rows:
        click.echo(
            _(
                "%(key)s  this host's key (no key listed yet: each host publishes its own)",
                key=prefix + ours,
            )
        )
        return
    for row in rows:
        retired = row.retired_at.strftime("%Y-%m-%d") if row.retired_at else None
        state = _("retired %(date)s", date=retired) if retired else _("current")
        here = "  " + _("<- this host signs with it") if row.kid == ours else ""
        created = _("created %(date)s", date=row.created_at.strftime("%Y-%m-%d"))
        click.echo(f"{prefix}{row.kid}  {created}  {state}{here}")
    if all(row.kid != ours for row in rows):
        raise click.ClickException(
            _(
                "this host's key %(key)s is not listed, so it refuses to sign: configure the key"
                " that “flask certificates rotate-key” wrote.",
                key=ours,
            )
        )


@certificates_cli.command(
    "withdraw-key",
    help=_l(
        "Stop publishing a retired key (after it leaked): credentials it signed stop"
        " verifying.\n\nKID is the key's URL, as “flask certificates keys” lists it (or its last"
        " part, after -- when it starts with “-”)."
    ),
)
@click.argument("kid")
def withdraw_key(kid: str) -> None:
    from learnapp.certificates import keys

    kid = kid.rsplit("/", 1)[-1]
    try:
        keys.withdraw(kid)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        _(
            "Withdrawn: %(key)s. No host publishes it any more; credentials it signed no longer"
            " verify (holders download theirs again from the verification page).",
            key=kid,
        )
    )
