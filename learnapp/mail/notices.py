"""Notices by e-mail (certificate issued, score set by hand, practice digest), their
preferences and their one-click unsubscribe links.

Each notice carries a signed unsubscribe link (no expiry: old mails keep working) in its body
and in ``List-Unsubscribe`` with ``List-Unsubscribe-Post`` (RFC 8058), so mail programs can
offer their own "Unsubscribe" button, which POSTs to the same URL without a login.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from learnapp.auth.models import User
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.locks import try_transaction_lock
from learnapp.mail import outbox
from learnapp.mail.models import MailPreferences

if TYPE_CHECKING:
    from learnapp.catalog.models import Quiz
    from learnapp.certificates.models import Certificate

DIGEST_LOCK = "practice-digest"


class Notice(enum.StrEnum):
    CERTIFICATE_ISSUED = "certificate_issued"
    ATTEMPT_GRADED = "attempt_graded"
    PRACTICE_DIGEST = "practice_digest"


#: What the preferences page and the unsubscribe page call each notice.
LABELS = {
    Notice.CERTIFICATE_ISSUED: _l("a certificate is issued to you"),
    Notice.ATTEMPT_GRADED: _l("an instructor sets your score on a quiz by hand"),
    Notice.PRACTICE_DIGEST: _l(
        "the daily reminder of practice questions due (only on days with some)"
    ),
}


# --- preferences -------------------------------------------------------------------------------


def preferences(user: User) -> MailPreferences:
    """The account's preferences; the defaults (not yet stored) when it never changed them."""
    found = db.session.get(MailPreferences, user.id)
    if found is not None:
        return found
    return MailPreferences(
        user_id=user.id, certificate_issued=True, attempt_graded=True, practice_digest=False
    )


def set_preferences(user: User, choices: dict[Notice, bool]) -> None:
    row = db.session.get(MailPreferences, user.id)
    if row is None:
        row = preferences(user)
        db.session.add(row)
    for notice, wanted in choices.items():
        setattr(row, notice.value, bool(wanted))
    db.session.flush()


def wants(user: User, notice: Notice) -> bool:
    return bool(getattr(preferences(user), notice.value))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="learnapp.mail.unsubscribe")


def unsubscribe_token(user: User, notice: Notice) -> str:
    return _serializer().dumps({"u": user.id, "n": notice.value})


def read_unsubscribe_token(token: str) -> tuple[User, Notice] | None:
    """The account and notice a link names, or None for a forged or stale link."""
    try:
        data = _serializer().loads(token)
        notice = Notice(data["n"])
        user = db.session.get(User, int(data["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return None if user is None else (user, notice)


def unsubscribe(user: User, notice: Notice) -> None:
    set_preferences(user, {notice: False})


# --- queueing notices --------------------------------------------------------------------------


def _reachable(user: User) -> bool:
    """Mail goes to accounts that can use it: active, not anonymised, and with a verified
    address when verification is required (an unverified one may not be theirs)."""
    if not user.is_active or user.is_anonymised:
        return False
    required = current_app.config["MAIL_VERIFICATION"] == "required"
    return not required or user.email_verified_at is not None


def _queue_notice(
    user: User, notice: Notice, *, key: str, subject: object, context: dict[str, object]
) -> bool:
    if not _reachable(user) or not wants(user, notice):
        return False
    token = unsubscribe_token(user, notice)
    url = outbox.external_url("mail.unsubscribe", token=token)
    one_click = outbox.external_url("mail.one_click_unsubscribe", token=token)
    row = outbox.queue(
        key=key,
        kind=notice.value,
        to=user.email,
        subject=subject,
        user_id=user.id,
        # The recipient's own language, else English: a notice is caused by someone else.
        locale=outbox.mail_locale(user.locale),
        context={
            **context,
            "user": user,
            "unsubscribe_url": url,
            "preferences_url": outbox.external_url("mail.preferences"),
            "notice_label": LABELS[notice],
        },
        headers={
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return row is not None


def certificate_issued(certificate: Certificate) -> bool:
    """Tell the holder their certificate is issued, with its public verification link."""
    from learnapp.certificates import services as certificates

    user = db.session.get(User, certificate.user_id)
    if user is None:
        return False
    return _queue_notice(
        user,
        Notice.CERTIFICATE_ISSUED,
        key=f"certificate-issued:{certificate.public_id}",
        subject=_l("Your certificate for “%(course)s”", course=certificate.course_title),
        context={
            "certificate": certificate,
            "verify_url": certificates.verify_url(certificate),
            "pdf_url": outbox.external_url("certificates.pdf", public_id=certificate.public_id),
        },
    )


def score_set(user: User, quiz: Quiz, percent: Decimal, set_at: datetime) -> bool:
    """Tell the student an instructor set their score on ``quiz`` by hand."""
    from learnapp.catalog.models import Course

    course = db.session.get(Course, quiz.course_id)
    if course is None:
        return False
    return _queue_notice(
        user,
        Notice.ATTEMPT_GRADED,
        key=f"score-set:{user.id}:{quiz.id}:{set_at.isoformat()}",
        subject=_l("Your score on “%(quiz)s” was set by your instructor", quiz=quiz.title),
        context={
            "quiz": quiz,
            "course": course,
            "percent": percent,
            "quiz_url": outbox.external_url(
                "quizzes.overview", course_slug=course.slug, quiz_slug=quiz.slug
            ),
        },
    )


def _due_counts(now: datetime) -> dict[int, int]:
    """Due practice questions per student who asked for the digest."""
    from learnapp.catalog.models import Question
    from learnapp.quizzes.models import PracticeItem

    rows = db.session.execute(
        select(PracticeItem.user_id, func.count(PracticeItem.id))
        .join(Question, Question.id == PracticeItem.question_id)
        .join(MailPreferences, MailPreferences.user_id == PracticeItem.user_id)
        .where(
            MailPreferences.practice_digest.is_(True),
            PracticeItem.due_at <= now,
            Question.is_retired.is_(False),
        )
        .group_by(PracticeItem.user_id)
    ).all()
    return {user_id: count for user_id, count in rows}


def _digest_subject(due: int) -> str:
    return ngettext(
        "%(num)d practice question due for review", "%(num)d practice questions due for review", due
    )


def queue_practice_digests(now: datetime | None = None) -> int | None:
    """Queue today's digest for each student who opted in and has practice due; commit.

    The number queued, or None when another run (another host's scheduler) holds the lock. A
    second run the same day queues nothing: the outbox key holds the date.
    """
    now = now or utcnow()
    if not try_transaction_lock(DIGEST_LOCK):
        db.session.rollback()
        return None
    queued = 0
    for user_id, due in sorted(_due_counts(now).items()):
        user = db.session.get(User, user_id)
        if user is None:
            continue
        queued += _queue_notice(
            user,
            Notice.PRACTICE_DIGEST,
            key=f"practice-digest:{user.id}:{now.date().isoformat()}",
            subject=partial(_digest_subject, due),
            context={"due": due, "practice_url": outbox.external_url("quizzes.practice")},
        )
    db.session.commit()
    return queued
