"""A person's own data as JSON, and anonymising an account on request.

Services flush and raise; routes commit.

Anonymisation keeps the ``users`` row, so every result (enrollments, completions, attempts,
overrides) keeps its foreign keys and the gradebook and statistics still add up; what identified
the person is replaced (docs/privacy.md):

- name -> "Anonymised student #N", e-mail -> ``anonymised-N@anonymised.invalid`` (``.invalid`` is
  reserved and never routable, and the id keeps it unique);
- the password hash -> a value that is no argon2 hash, so no password ever matches; the account
  is deactivated, its sessions end (``session_generation``) and its reset links are deleted;
- issued certificates stay valid and verifiable, unlinked from the account (``user_id`` NULL), with
  the certified name replaced by :data:`WITHHELD_NAME` and their cached PDFs removed;
- admin-assigned course teaching is removed;
- the removed name and e-mail are redacted from earlier audit events about the account (and the
  IP addresses of its own actions dropped); the anonymisation event itself stores no personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import selectinload

from learnapp.audit import services as audit
from learnapp.audit.models import AuditEvent
from learnapp.auth.models import PasswordResetToken, Role, User
from learnapp.auth.services import end_other_sessions
from learnapp.catalog.models import (
    Course,
    CourseInstructor,
    Lesson,
    Question,
    Quiz,
)
from learnapp.certificates import services as certificate_services
from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.errors import Conflict
from learnapp.extensions import db
from learnapp.mail import notices
from learnapp.mail.models import MailPreferences, OutboxMessage
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.progress.services import courses_progress
from learnapp.quizzes import rules
from learnapp.quizzes.models import PracticeItem, QuizAttempt, QuizOverride
from learnapp.quizzes.questions import QUESTION_TYPES
from learnapp.quizzes.services import question_specs, review_scopes
from learnapp.reports.models import QuestionReport
from learnapp.two_factor.models import RecoveryCode, TotpCredential

#: What a certificate of an anonymised account shows instead of the holder's name.
WITHHELD_NAME = "Name withheld at the holder's request"
#: Replaces removed personal data inside audit event details.
REMOVED = "[removed]"
#: Not an argon2 hash: ``verify_password`` returns False for every password.
UNUSABLE_PASSWORD_HASH = "!anonymised"  # noqa: S105  # nosec B105 - a marker, not a password
EXPORT_FORMAT = "learnapp-personal-data"
EXPORT_VERSION = 1
#: Open attempts: the student sees their own saved answers on the attempt page, nothing more.
OPEN_ATTEMPT_SCOPE = rules.ReviewScope(False, True, False, False)


class AnonymisationRefused(Conflict):
    """The account cannot be anonymised (already done, or it is the admin's own)."""


# --- anonymisation ----------------------------------------------------------------------------


def anonymised_email(user_id: int) -> str:
    return f"anonymised-{user_id}@anonymised.invalid"


def anonymised_name(user: User) -> str:
    return f"Anonymised {user.role} #{user.id}"


@dataclass(frozen=True)
class AnonymisationReport:
    certificates: int
    assignments: int
    redacted_events: int


def anonymise_user(
    user: User, *, actor: User | None, reason: str, now: datetime | None = None
) -> AnonymisationReport:
    """Remove what identifies ``user`` and close the account for good; keep their results.

    ``reason`` is recorded in the audit log with the person's name and e-mail redacted.

    :raises AnonymisationRefused: already anonymised, or ``actor`` is ``user``.
    """
    if user.is_anonymised:
        raise AnonymisationRefused(_("This account has already been anonymised."))
    if actor is not None and actor.id == user.id:
        raise AnonymisationRefused(
            _("You cannot anonymise your own account; ask another admin to do it.")
        )
    now = now or utcnow()
    # Claim the account with a conditional UPDATE: of two admins acting at once, one wins
    # (PostgreSQL re-checks the condition after the row lock; SQLite writes one at a time).
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id, User.anonymised_at.is_(None))
        .values(anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise AnonymisationRefused(_("This account has already been anonymised."))
    certificates = list(
        db.session.scalars(select(Certificate).where(Certificate.user_id == user.id))
    )
    personal = _personal_strings(user, [certificate.name for certificate in certificates])
    for certificate in certificates:
        certificate.name = WITHHELD_NAME
        certificate.user_id = None
        certificate_services.forget_pdf(certificate)  # the cached PDF shows the name
    redacted = _redact_audit_events(user, [c.id for c in certificates], personal)
    assignments = db.session.execute(
        delete(CourseInstructor).where(CourseInstructor.user_id == user.id)
    ).rowcount
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    # Mails hold the address and name; the preferences mean nothing without an account.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user.id))
    db.session.execute(delete(MailPreferences).where(MailPreferences.user_id == user.id))

    user.email = anonymised_email(user.id)
    user.display_name = anonymised_name(user)
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.is_active = False
    user.last_login_at = None
    user.password_changed_at = None
    user.anonymised_at = now
    end_other_sessions(user)
    audit.record(
        "user.anonymised",
        actor=actor,
        target=user,
        reason=_redact(reason.strip(), personal),
        certificates=len(certificates),
        assignments_removed=assignments,
        audit_events_redacted=redacted,
    )
    db.session.flush()
    return AnonymisationReport(len(certificates), assignments, redacted)


def _about(user: User, certificate_ids: Iterable[int]) -> Any:
    """Audit events about ``user``: on the account, by the account, on its certificates."""
    ids = [str(i) for i in certificate_ids]
    return or_(
        and_(AuditEvent.target_type == User.__tablename__, AuditEvent.target_id == str(user.id)),
        AuditEvent.actor_id == user.id,
        and_(AuditEvent.target_type == Certificate.__tablename__, AuditEvent.target_id.in_(ids)),
    )


def _personal_strings(user: User, certified_names: Iterable[str]) -> list[str]:
    """The name and e-mail, the names certified, and every earlier name the audit log
    recorded; longest first."""
    values = {user.email, user.display_name, *certified_names}
    renames = db.session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == "user.profile_updated",
            AuditEvent.target_type == User.__tablename__,
            AuditEvent.target_id == str(user.id),
        )
    )
    for details in renames:
        values.update(str(details.get(key) or "") for key in ("old", "new"))
    return sorted({v.strip() for v in values if v and v.strip()}, key=len, reverse=True)


def _redact(value: Any, personal: list[str]) -> Any:
    """``value`` with each personal string replaced by :data:`REMOVED` (case-insensitive).

    Strings shorter than 3 characters are only replaced as a whole value, so a two-letter name
    does not mangle every word containing it.
    """
    if isinstance(value, str):
        for text in personal:
            if len(text) >= 3:
                value = re.sub(re.escape(text), REMOVED, value, flags=re.IGNORECASE)
            elif value.strip().lower() == text.lower():
                value = REMOVED
        return value
    if isinstance(value, list):
        return [_redact(item, personal) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item, personal) for key, item in value.items()}
    return value


def _redact_audit_events(user: User, certificate_ids: list[int], personal: list[str]) -> int:
    changed = 0
    for event in db.session.scalars(select(AuditEvent).where(_about(user, certificate_ids))):
        details = _redact(event.details or {}, personal)
        ip_address = None if event.actor_id == user.id else event.ip_address
        if details != event.details or ip_address != event.ip_address:
            event.details = details  # a new dict, so the JSON column is written
            event.ip_address = ip_address
            changed += 1
    return changed


# --- export -----------------------------------------------------------------------------------


def export_data(user: User, now: datetime | None = None) -> dict[str, Any]:
    """Everything stored about ``user``, in a fixed number of queries.

    Never included: the password hash, reset tokens, attempt tokens, other people's data, and
    answer keys, points or feedback an attempt's review setting does not show yet (decided by
    :func:`learnapp.quizzes.services.review_scopes`, as on the review page).
    """
    now = now or utcnow()
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now,
        "about": (
            "The personal data LearnApp stores about this account. Quiz scores, correct "
            "answers and feedback appear only once the quiz's review setting shows them on "
            "the review page. See /privacy."
        ),
        "profile": _profile(user),
        "enrollments": _enrollments(user),
        "lesson_completions": _lesson_completions(user),
        "quiz_attempts": _attempts(user, now),
        "quiz_overrides": _overrides(user),
        "practice_schedule": _practice(user),
        "certificates": _certificates(user),
        "question_reports": _question_reports(user),
        "audit_events": _audit_events(user),
        "mail_preferences": _mail_preferences(user),
        "mails": _mails(user),
    }


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "password_changed_at": user.password_changed_at,
        "locale": user.locale,
        "email_verified_at": user.email_verified_at,
    }


def _enrollments(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Enrollment, Course)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == user.id)
        .order_by(Enrollment.enrolled_at, Enrollment.id)
    ).all()
    progress = courses_progress(user, [course for _, course in rows])
    found = []
    for enrollment, course in rows:
        state = progress[course.id]
        found.append(
            {
                "course": course.slug,
                "course_title": course.title,
                "enrolled_at": enrollment.enrolled_at,
                "unenrolled_at": enrollment.unenrolled_at,
                "progress": {
                    "done": state.done,
                    "total": state.total,
                    "percent": state.percent,
                    "complete": state.is_complete,
                },
            }
        )
    return found


def _lesson_completions(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(LessonCompletion, Lesson.slug, Lesson.title, Course.slug)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(LessonCompletion.user_id == user.id)
        .order_by(LessonCompletion.completed_at, LessonCompletion.id)
    ).all()
    return [
        {
            "course": course_slug,
            "lesson": lesson_slug,
            "lesson_title": lesson_title,
            "completed_at": completion.completed_at,
        }
        for completion, lesson_slug, lesson_title, course_slug in rows
    ]


def _attempts(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(QuizAttempt, Quiz, Course.slug)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(QuizAttempt.user_id == user.id)
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
        .options(selectinload(QuizAttempt.answers))
    ).all()
    if not rows:
        return []
    scopes = review_scopes(user.id, {quiz.id: quiz for _a, quiz, _s in rows}.values(), now)
    specs = question_specs(
        (answer.question_id, answer.question_hash)
        for attempt, _q, _s in rows
        for answer in attempt.answers
    )
    found = []
    for attempt, quiz, course_slug in rows:
        scope = OPEN_ATTEMPT_SCOPE if attempt.is_open else scopes[attempt.id]
        entry: dict[str, Any] = {
            "course": course_slug,
            "quiz": quiz.slug,
            "quiz_title": quiz.title,
            "number": attempt.number,
            "status": attempt.status,
            "started_at": attempt.started_at,
            "deadline_at": attempt.deadline_at,
            "submitted_at": attempt.submitted_at,
            "closed_by_deadline": attempt.was_closed_by_deadline,
            "shown": {
                "score": scope.show_score,
                "responses": scope.show_responses,
                "correct_answers": scope.show_correct,
                "feedback": scope.show_feedback,
            },
        }
        if scope.show_score:
            entry.update(score=attempt.score, max_score=attempt.max_score, percent=attempt.percent)
        questions = []
        for answer in attempt.answers:
            spec = specs[(answer.question_id, answer.question_hash)]
            grade = answer.stored_grade
            questions.append(
                QUESTION_TYPES[spec.type].review(
                    spec, answer.option_order, answer.response, grade, **scope.question_flags()
                )
            )
        entry["questions"] = questions
        found.append(entry)
    return found


def _overrides(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(QuizOverride, Quiz.slug, Course.slug)
        .join(Quiz, Quiz.id == QuizOverride.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(QuizOverride.user_id == user.id)
        .order_by(QuizOverride.created_at, QuizOverride.id)
    ).all()
    return [
        {
            "course": course_slug,
            "quiz": quiz_slug,
            "extra_minutes": override.extra_minutes,
            "extra_attempts": override.extra_attempts,
            "reason": override.reason,
            "created_at": override.created_at,
        }
        for override, quiz_slug, course_slug in rows
    ]


def _practice(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(PracticeItem, Question.slug, Course.slug)
        .join(Question, Question.id == PracticeItem.question_id)
        .join(Course, Course.id == Question.course_id)
        .where(PracticeItem.user_id == user.id)
        .order_by(PracticeItem.due_at, PracticeItem.id)
    ).all()
    return [
        {
            "course": course_slug,
            "question": question_slug,
            "box": item.box,
            "due_at": item.due_at,
            "reviewed_at": item.reviewed_at,
        }
        for item, question_slug, course_slug in rows
    ]


def _certificates(user: User) -> list[dict[str, Any]]:
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at)
    )
    base = current_app.config["BASE_URL"].rstrip("/")
    return [
        {
            "public_id": certificate.public_id,
            "verify_url": base + url_for("certificates.verify", public_id=certificate.public_id),
            "name": certificate.name,
            "course_title": certificate.course_title,
            "version": certificate.version_label,
            "score": certificate.score,
            "completed_at": certificate.completed_at,
            "issued_at": certificate.issued_at,
            "awarded_manually": certificate.is_manual,
            "reissued_at": certificate.reissued_at,
            "revoked_at": certificate.revoked_at,
            "revoked_reason": certificate.revoked_reason,
        }
        for certificate in certificates
    ]


def _mail_preferences(user: User) -> dict[str, bool]:
    preferences = notices.preferences(user)
    return {notice.value: bool(getattr(preferences, notice.value)) for notice in notices.Notice}


def _mails(user: User) -> list[dict[str, Any]]:
    """The mails sent or queued to the account, without their bodies (a reset link's body is
    blanked once sent; the others are rebuilt from the data above)."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == user.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "kind": row.kind,
            "to": row.to_address,
            "subject": row.subject,
            "status": row.status,
            "queued_at": row.created_at,
            "sent_at": row.sent_at,
        }
        for row in rows
    ]


def _question_reports(user: User) -> list[dict[str, Any]]:
    """Problems the user reported on quiz questions, with the instructor's reply."""
    rows = db.session.execute(
        select(QuestionReport, Question.slug)
        .join(Question, Question.id == QuestionReport.question_id)
        .where(QuestionReport.user_id == user.id)
        .order_by(QuestionReport.created_at, QuestionReport.id)
    )
    return [
        {
            "question": slug,
            "reason": report.reason_text,
            "comment": report.comment,
            "status": report.status,
            "created_at": report.created_at,
            "closed_at": report.closed_at,
            "reply": report.note,
        }
        for report, slug in rows
    ]


def _audit_events(user: User) -> list[dict[str, Any]]:
    """Events recorded about the account. Staff who acted are not named, only their role."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == User.__tablename__, AuditEvent.target_id == str(user.id))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    found = []
    for event in events:
        by_you = event.actor_id == user.id
        entry: dict[str, Any] = {
            "at": event.created_at,
            "action": event.action,
            "by": "you" if by_you else ("staff" if event.actor_id else "system"),
            "details": event.details,
        }
        if by_you:
            entry["ip_address"] = event.ip_address
        found.append(entry)
    return found


def json_default(value: Any) -> Any:
    """``json.dumps`` hook for the export: ISO 8601 times, decimals as strings."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Role):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")
