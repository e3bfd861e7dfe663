"""``flask users …`` and ``flask courses …`` commands. They call services and commit once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click
from flask import current_app, url_for
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from learnapp.auth import services
from learnapp.auth.models import Role, User
from learnapp.errors import LearnAppError
from learnapp.extensions import db

if TYPE_CHECKING:
    from learnapp.catalog.models import Course
    from learnapp.certificates.models import Certificate

users_cli = AppGroup("users", help="Create and manage user accounts.")

ROLE_CHOICE = click.Choice([role.value for role in Role])


def _user_or_exit(email: str) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with e-mail {email}.")
    return user


@users_cli.command("create")
@click.option("--email", required=True, help="Login e-mail address.")
@click.option("--name", "display_name", help="Full name (default: the part before @).")
@click.option("--role", type=ROLE_CHOICE, default=Role.STUDENT.value, show_default=True)
@click.password_option(
    "--password", help="Password (prompted for when not given).", confirmation_prompt=True
)
def create(email: str, display_name: str | None, role: str, password: str) -> None:
    """Create an account."""
    try:
        user = services.create_user(email, password, display_name or email.split("@")[0], role)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@users_cli.command("set-role")
@click.option("--email", required=True)
@click.option("--role", type=ROLE_CHOICE, required=True)
def set_role(email: str, role: str) -> None:
    """Change an account's role (ends its sessions)."""
    user = _user_or_exit(email)
    services.set_role(user, role)
    db.session.commit()
    click.echo(f"{user.email} is now {user.role}.")


@users_cli.command("deactivate")
@click.option("--email", required=True)
@click.option("--activate", is_flag=True, help="Re-activate the account instead.")
def deactivate(email: str, activate: bool) -> None:
    """Deactivate an account (it can no longer log in; its sessions end)."""
    user = _user_or_exit(email)
    try:
        services.set_active(user, activate)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{user.email} is now {'active' if user.is_active else 'deactivated'}.")


@users_cli.command("list")
@click.option("--role", type=ROLE_CHOICE, help="Only accounts with this role.")
def list_users(role: str | None) -> None:
    """List accounts."""
    stmt = select(User).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == role)
    users = db.session.scalars(stmt).all()
    if not users:
        click.echo(
            f"No {role or 'user'} accounts yet. Create an admin with:\n"
            "  LEARNAPP_ENV=development .venv/bin/flask --app learnapp users create"
            " --email you@example.com --role admin"
        )
        return
    for user in users:
        state = "active" if user.is_active else "deactivated"
        click.echo(
            f"{user.id:>5}  {user.email:<40} {user.role:<10} {state:<11} {user.display_name}"
        )


@users_cli.command("reset-link")
@click.option("--email", required=True)
def reset_link(email: str) -> None:
    """Print a one-time password reset link (there is no e-mail sending)."""
    user = _user_or_exit(email)
    token = services.issue_reset_token(user)
    db.session.commit()
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context():
        path = url_for("auth.reset_password", token=token)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    click.echo(f"Reset link for {user.email} (valid {hours} h, usable once):\n{base}{path}")


courses_cli = AppGroup("courses", help="Check and load the course folders.")


@courses_cli.command("check")
@click.argument("path", required=False, type=click.Path(path_type=str))
def check_courses(path: str | None) -> None:
    """Validate course files without touching the database.

    PATH is the courses folder (default: the configured one), one course folder or one file.
    Prints every problem as path:line: message and exits 1 if any is an error. When the
    database can be read, instructor e-mails without an account are warnings.
    """
    from learnapp.catalog.services import courses_dir
    from learnapp.content import check

    target = path or str(courses_dir())
    problems = check(target, known_emails=_known_emails())
    for problem in problems:
        click.echo(str(problem))
    errors = [problem for problem in problems if problem.is_error]
    warnings = len(problems) - len(errors)
    if errors:
        click.echo(f"{len(errors)} error(s), {warnings} warning(s) in {target}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {target} ({warnings} warning(s))", err=True)


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


@courses_cli.command("sync")
def sync_courses() -> None:
    """Load every valid course into the database (idempotent; broken courses keep their last
    good version). Exits 1 if any course could not be loaded."""
    from learnapp.catalog import services as catalog

    report = catalog.sync_courses(progress=lambda line: click.echo(line, err=True))
    db.session.commit()
    for line in report.problems:
        click.echo(line)
    summary = ", ".join(
        f"{len(items)} {label}"
        for label, items in (
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
            ("retired", report.retired),
            ("failed", report.failed),
        )
    )
    click.echo(f"Courses: {summary}; {report.rendered_lessons} lesson(s) rendered.", err=True)
    if not report.ok:
        raise SystemExit(1)


@courses_cli.command("assign-instructor")
@click.option("--course", "course_slug", required=True, help="Course id.")
@click.option("--email", required=True, help="Account e-mail.")
def assign_instructor(course_slug: str, email: str) -> None:
    """Make an account an instructor of a course (besides those the course file names)."""
    from learnapp.admin import services as admin
    from learnapp.catalog.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(f"No course with id {course_slug}.")
    user = _user_or_exit(email)
    try:
        added = admin.assign_instructor(course, user, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{user.email} {'now teaches' if added else 'already teaches'} {course.slug}.")


@courses_cli.command("unassign-instructor")
@click.option("--course", "course_slug", required=True, help="Course id.")
@click.option("--email", required=True, help="Account e-mail.")
def unassign_instructor(course_slug: str, email: str) -> None:
    """Remove an admin's assignment of an instructor to a course (not the course file's)."""
    from learnapp.admin import services as admin
    from learnapp.catalog.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(f"No course with id {course_slug}.")
    user = _user_or_exit(email)
    removed = admin.unassign_instructor(course, user, actor=None)
    db.session.commit()
    done = "is no longer assigned to" if removed else "was not assigned to"
    click.echo(f"{user.email} {done} {course.slug}.")


@courses_cli.command("import-gift")
@click.argument("gift_file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--course", "course_id", required=True, help="Id of the course to import into.")
@click.option(
    "--quiz",
    "quiz_id",
    help="Quiz id to create, or an existing quiz whose questions to replace (with --force)."
    " Default: made from the file name.",
)
@click.option("--module", "module_id", help="Module id for a new quiz (default: the last module).")
@click.option("--title", help="Title of a new quiz (default: made from the file name).")
@click.option("--force", is_flag=True, help="Replace an existing quiz file or file of that name.")
def import_gift(
    gift_file: str,
    course_id: str,
    quiz_id: str | None,
    module_id: str | None,
    title: str | None,
    force: bool,
) -> None:
    """Convert the Moodle GIFT file GIFT_FILE into a quiz of a course.

    A new quiz is written as <quiz id>.md into the module folder and added to that module's
    quizzes: list. An existing quiz keeps its settings and introduction; its questions are
    replaced (only with --force). Question ids come from ::titles:: or the question text, so
    importing the same file again keeps them. Every problem is printed as FILE:line: message;
    with any problem, or if the course check fails afterwards, nothing is changed and the
    exit status is 1. See docs/course-format.md, "Coming from Moodle GIFT".
    """
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
        click.echo(str(problem))
    if not report.ok:
        click.echo(f"{len(report.problems)} problem(s); nothing was written.", err=True)
        raise SystemExit(1)
    if report.created:
        click.echo(
            f"Wrote {report.path}: new quiz {report.quiz_id} with {report.questions} question(s),"
            f" listed in {report.listed_in}."
        )
    else:
        click.echo(
            f"Wrote {report.path}: quiz {report.quiz_id} now has {report.questions} question(s)"
            f" ({report.kept} kept, {report.added} new, {report.removed} removed)."
        )
    click.echo("The course passes flask courses check; flask courses sync publishes it.", err=True)


@courses_cli.command("export-gift")
@click.option("--course", "course_id", required=True, help="Course id.")
@click.option("--quiz", "quiz_id", required=True, help="Id of the quiz to export.")
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help="GIFT file to write; - writes to standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option(
    "--skip-unsupported",
    is_flag=True,
    help="Leave out questions GIFT cannot express (ordering, pattern:, case_sensitive:)"
    " with a warning, instead of failing.",
)
def export_gift(
    course_id: str, quiz_id: str, output: str, force: bool, skip_unsupported: bool
) -> None:
    """Write a quiz as a Moodle GIFT file (UTF-8).

    Texts are written as [markdown]; points, lesson links, extra tags and choice ids go into
    "// learnapp:" comments that Moodle ignores and import-gift reads back, so exporting and
    importing again gives the same questions. Problems are printed as FILE:line: message and
    exit with status 1 (nothing is written).
    """
    from learnapp.catalog.services import courses_dir
    from learnapp.content import gift

    if output != "-" and Path(output).exists() and not force:
        raise click.ClickException(f"{output} exists; use --force to overwrite it.")
    report = gift.export_gift(courses_dir(), course_id, quiz_id, skip_unsupported=skip_unsupported)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if not report.ok:
        errors = sum(1 for p in report.problems if p.is_error)
        click.echo(f"{errors} problem(s); nothing was written.", err=True)
        raise SystemExit(1)
    skipped = len(report.problems)
    note = f", {skipped} skipped" if skipped else ""
    if output == "-":
        click.echo(report.text, nl=False)
        click.echo(f"Exported {report.questions} question(s) from {report.source}{note}.", err=True)
        return
    try:
        Path(output).write_text(report.text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"Wrote {output}: {report.questions} question(s) from {report.source}{note}.")


quizzes_cli = AppGroup("quizzes", help="Quiz maintenance: close overdue attempts, regrade.")


@quizzes_cli.command("close-overdue")
def close_overdue() -> None:
    """Submit every open attempt past its time limit, graded with what was saved (for cron)."""
    from learnapp.catalog.models import Course, Quiz
    from learnapp.certificates import services as certificates
    from learnapp.quizzes import services as quizzes

    closed = quizzes.close_overdue()
    for attempt in closed:
        # Closing the last required quiz can complete a course.
        user = db.session.get(User, attempt.user_id)
        quiz = db.session.get(Quiz, attempt.quiz_id)
        course = db.session.get(Course, quiz.course_id) if quiz else None
        if user is not None and course is not None:
            certificates.issue_if_complete(user, course)
    db.session.commit()
    for attempt in closed:
        click.echo(f"closed attempt {attempt.id} (user {attempt.user_id}): {attempt.percent}%")
    click.echo(f"{len(closed)} overdue attempt(s) closed.", err=True)


@quizzes_cli.command("regrade")
@click.argument("quiz_slug")
@click.option("--course", "course_slug", required=True, help="Course id.")
def regrade(quiz_slug: str, course_slug: str) -> None:
    """Re-score submitted attempts of QUIZ_SLUG with the current questions (after a key fix)."""
    from learnapp.audit import services as audit
    from learnapp.catalog.models import Course, Quiz
    from learnapp.quizzes import services as quizzes

    quiz = db.session.scalar(
        select(Quiz).join(Course).where(Course.slug == course_slug, Quiz.slug == quiz_slug)
    )
    if quiz is None:
        raise click.ClickException(f"No quiz {quiz_slug} in course {course_slug}.")
    changed = quizzes.regrade_quiz(quiz)
    audit.record("quiz.regraded", target=quiz, changed=len(changed))
    db.session.commit()
    for attempt, old, new in changed:
        click.echo(f"attempt {attempt.id} (user {attempt.user_id}): {old} -> {new} points")
    click.echo(f"{len(changed)} score(s) changed.", err=True)


@quizzes_cli.command("grant")
@click.argument("quiz_slug")
@click.option("--course", "course_slug", required=True, help="Course id.")
@click.option("--email", required=True, help="The student's e-mail.")
@click.option("--extra-minutes", type=click.IntRange(0, 24 * 60), default=0, show_default=True)
@click.option("--extra-attempts", type=click.IntRange(0, 100), default=0, show_default=True)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
def grant(
    quiz_slug: str,
    course_slug: str,
    email: str,
    extra_minutes: int,
    extra_attempts: int,
    reason: str,
) -> None:
    """Give one student extra time or extra attempts on a quiz (replaces an earlier grant)."""
    from learnapp.catalog.models import Course, Quiz
    from learnapp.quizzes import services as quizzes

    quiz = db.session.scalar(
        select(Quiz).join(Course).where(Course.slug == course_slug, Quiz.slug == quiz_slug)
    )
    if quiz is None:
        raise click.ClickException(f"No quiz {quiz_slug} in course {course_slug}.")
    user = _user_or_exit(email)
    quizzes.grant_override(user, quiz, extra_minutes, extra_attempts, reason)
    db.session.commit()
    click.echo(f"{user.email}: +{extra_minutes} min, +{extra_attempts} attempt(s) on {quiz_slug}.")


certificates_cli = AppGroup("certificates", help="Award, revoke and verify certificates.")


def _course_or_exit(course_slug: str) -> Course:
    from learnapp.catalog.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(f"No course with id {course_slug}.")
    return course


def _certificate_or_exit(public_id: str) -> Certificate:
    from learnapp.certificates import services as certificates

    certificate = certificates.get_by_public_id(public_id)
    if certificate is None:
        raise click.ClickException(f"No certificate with id {public_id}.")
    return certificate


@certificates_cli.command("issue")
@click.option("--user", "email", required=True, help="The student's e-mail.")
@click.option("--course", "course_slug", required=True, help="Course id.")
@click.option("--reason", required=True, help="Why (shown to staff and kept in the audit log).")
def issue_certificate(email: str, course_slug: str, reason: str) -> None:
    """Award a certificate manually (recognised prior learning, a fix after a wrong key)."""
    from learnapp.certificates import services as certificates

    user = _user_or_exit(email)
    course = _course_or_exit(course_slug)
    try:
        certificate = certificates.award(user, course, reason=reason, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        f"Awarded {certificate.public_id} to {user.email}: {certificates.verify_url(certificate)}"
    )


@certificates_cli.command("revoke")
@click.argument("public_id")
@click.option("--reason", required=True, help="Shown on the verification page.")
def revoke_certificate(public_id: str, reason: str) -> None:
    """Revoke a certificate (undo with `flask certificates restore`)."""
    from learnapp.certificates import services as certificates

    certificate = _certificate_or_exit(public_id)
    try:
        certificates.revoke(certificate, reason=reason, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Revoked {public_id}.")


@certificates_cli.command("restore")
@click.argument("public_id")
def restore_certificate(public_id: str) -> None:
    """Undo a revocation."""
    from learnapp.certificates import services as certificates

    certificate = _certificate_or_exit(public_id)
    try:
        certificates.restore(certificate, actor=None)
    except LearnAppError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Restored {public_id}: valid again.")


@certificates_cli.command("verify")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def verify_certificate(file: TextIO) -> None:
    """Check a downloaded credential (.jwt): its signature, revocation status and record.

    Exits with 1 when the credential is invalid, revoked or superseded by a reissue.
    """
    from learnapp.certificates import services as certificates
    from learnapp.certificates.credentials import CredentialError

    try:
        result = certificates.verify_credential(file.read(1_000_000))
    except (CredentialError, KeyError, TypeError, ValueError) as exc:
        click.echo(f"INVALID: {exc}", err=True)
        raise SystemExit(1) from exc
    credential = result.credential
    subject = credential.get("credentialSubject", {})
    names = ", ".join(i.get("identityHash", "") for i in subject.get("identifier", []))
    click.echo("Signature: valid (Ed25519, issuer key)")
    click.echo(f"Credential: {credential.get('id')}")
    click.echo(f"Awarded to: {names}")
    click.echo(f"Course: {subject.get('achievement', {}).get('name')}")
    click.echo(f"Issued: {credential.get('validFrom')}")
    if result.certificate is None:
        click.echo("INVALID: no such certificate in this site's records.", err=True)
        raise SystemExit(1)
    if result.revoked:
        click.echo(f"REVOKED: {result.certificate.revoked_reason}", err=True)
        raise SystemExit(1)
    if result.superseded:
        click.echo(
            f"SUPERSEDED: the certificate was reissued to {result.certificate.name}; "
            "download the current credential.",
            err=True,
        )
        raise SystemExit(1)
    click.echo("Status: valid (not revoked)")
