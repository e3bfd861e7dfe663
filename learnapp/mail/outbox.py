"""Queue e-mails in the outbox with what caused them; send each once, by a job, after commit.

A mail is rendered and stored (:class:`OutboxMessage`) inside the transaction of its cause,
and its send job is started only once that transaction has committed: with a broker, the job
is queued for a worker (``send.delay`` is quick, and if the broker is down the periodic sweep
sends the mail later); without one (development, a single host), Celery runs jobs in-process,
so a mail queued by a request is sent after the response has gone to the browser
(``call_on_close``) and one queued by a command or a job is sent right after its commit. No
page waits for an SMTP server either way.

A send claims its row first (``queued`` -> ``sending``, a conditional UPDATE committed before
talking to the server) and marks it ``sent`` right after the server accepted it, so a retried
or redelivered job, or the sweep, finds nothing to send. The one gap SMTP leaves: a worker that
dies between the server's acceptance and the commit; its row is taken again once its claim is
older than ``MAIL_SEND_LEASE_SECONDS``, and the copy carries the same Message-ID, which mail
clients use to drop duplicates.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, url_for
from flask.wrappers import Response
from flask_babel import get_locale
from flask_mailman import EmailMultiAlternatives, Mail
from sqlalchemy import and_, delete, event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.i18n import force_locale
from learnapp.mail.models import FAILED, QUEUED, SENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)

mail = Mail()

#: Outbox ids flushed in the session's transaction, to send once it commits.
_PENDING = "mail.pending"
#: Outbox ids to send once the current response has been sent (in-process jobs only).
_AFTER_RESPONSE = "mail_after_response"
SWEEP_BATCH = 500


class TemporaryFailure(Exception):
    """The server or the network failed in a way another try may not: the job retries."""


# --- queueing ----------------------------------------------------------------------------------


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL from ``BASE_URL``, in requests, jobs and commands alike."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def sender() -> str:
    return str(current_app.config["MAIL_DEFAULT_SENDER"])


def _message_id() -> str:
    domain = parseaddr(sender())[1].rpartition("@")[2]
    return make_msgid(domain=domain or urlsplit(current_app.config["BASE_URL"]).hostname)


def mail_locale(chosen: str | None, *, asked_here: bool = False) -> str:
    """The language of a mail: the recipient's own choice (``users.locale``); else, when the
    recipient caused it in this request (registering, asking for a reset link), the language
    of the page they were on; else the site's first language (English)."""
    supported = list(current_app.config["LANGUAGES"])
    if chosen in supported:
        return str(chosen)
    if asked_here and has_request_context():
        current = str(get_locale() or "")
        if current in supported:
            return current
    return supported[0]


def _render(name: str, context: Mapping[str, Any]) -> str:
    # The page context processors assume a request (and the visitor): a mail has neither.
    return current_app.jinja_env.get_template(name).render(**context)


def queue(
    *,
    key: str,
    kind: str,
    to: str,
    subject: Any,
    context: Mapping[str, Any],
    user_id: int | None = None,
    headers: Mapping[str, str] | None = None,
    sensitive: bool = False,
    locale: str | None = None,
) -> OutboxMessage | None:
    """Render ``mail/<kind>.txt`` and ``.html`` and queue the mail; None if ``key`` is queued
    already (the same cause never mails twice). Sent once the transaction commits.

    ``subject`` (a lazy translation, or a function giving the text) and the templates are
    rendered in ``locale`` (see :func:`mail_locale`; the site's first language when None),
    whatever the language of the page that caused the mail.
    """
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    locale = locale or current_app.config["LANGUAGES"][0]
    with force_locale(locale):
        subject = str(subject()) if callable(subject) else str(subject)
        context = {
            "site_name": current_app.config["ISSUER_NAME"],
            "site_url": external_url("main.index"),
            "subject": subject,
            "mail_lang": locale.replace("_", "-"),
            **context,
        }
        text_body = _render(f"mail/{kind}.txt", context)
        html_body = _render(f"mail/{kind}.html", context)
    row = OutboxMessage(
        key=key,
        kind=kind,
        user_id=user_id,
        to_address=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
        message_id=_message_id(),
        sensitive=sensitive,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same cause queued by a parallel transaction
        return None
    db.session.info.setdefault(_PENDING, []).append(row.id)
    return row


# --- starting the send jobs after commit -------------------------------------------------------


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: the transaction goes on
        return
    ids = session.info.pop(_PENDING, None)
    if ids:
        _start_jobs(ids)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    # Rows flushed in a transaction that rolled back do not exist; a savepoint's rollback
    # leaves the others (a row of its own has no id in the list: queue() appends after it).
    if not previous.nested:
        session.info.pop(_PENDING, None)


def _start_jobs(ids: list[int]) -> None:
    from learnapp.mail import tasks

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_BROKER_URL"]:
        for outbox_id in ids:
            try:
                tasks.send.delay(outbox_id)
            except Exception:  # the broker is down: the periodic sweep sends it
                log.exception("could not queue the send job of mail %s", outbox_id)
    elif has_request_context():
        g.setdefault(_AFTER_RESPONSE, []).extend(ids)
    else:
        _send_in_process(app, ids)


def _send_in_process(app: Flask, ids: Iterable[int]) -> None:
    """Run the send jobs here (Celery's eager mode), in an app context, and so a database
    session, of their own: the caller's session has just committed."""
    from learnapp.mail import tasks

    try:
        with app.app_context():
            for outbox_id in ids:
                tasks.send.delay(outbox_id)
    except Exception:
        log.exception("sending mails %s failed; `flask mail send-queued` sends them", ids)


def _send_after_response(response: Response) -> Response:
    ids = g.pop(_AFTER_RESPONSE, None)
    if ids:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(partial(_send_in_process, app, ids))
    return response


def init_mail(app: Flask) -> None:
    mail.init_app(app)
    app.after_request(_send_after_response)
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _after_commit):
        event.listen(session_class, "after_commit", _after_commit)
        event.listen(session_class, "after_soft_rollback", _after_soft_rollback)


# --- sending -----------------------------------------------------------------------------------


def _permanent(exc: Exception) -> bool:
    """True when the server refused this message for good (5xx): trying again cannot help.
    A refused login is not: it is the configuration's fault, and the mail waits for the fix."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _message(row: OutboxMessage, connection: Any) -> EmailMultiAlternatives:
    reply_to = current_app.config["MAIL_REPLY_TO"]
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text_body,
        from_email=sender(),
        to=[row.to_address],
        reply_to=[reply_to] if reply_to else None,
        headers={"Message-ID": row.message_id, **row.headers},
        connection=connection,
    )
    message.attach_alternative(row.html_body, "text/html")
    return message


def _finish(row: OutboxMessage, status: str, error: str | None = None) -> None:
    row.status = status
    row.last_error = error[:500] if error else None
    if status == SENT:
        row.sent_at = utcnow()
    if row.sensitive and status in (SENT, FAILED):
        row.text_body = row.html_body = ""
    db.session.commit()


def deliver(outbox_id: int) -> str:
    """Send mail ``outbox_id`` unless it is sent, being sent, or gone; commits.

    :returns: ``"sent"``, ``"failed"`` (refused for good, or out of tries) or ``"skipped"``.
    :raises TemporaryFailure: the server could not be reached or deferred it; the row is
        queued again for the job's next try.
    """
    now = utcnow()
    lease = timedelta(seconds=int(current_app.config["MAIL_SEND_LEASE_SECONDS"]))
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            or_(
                OutboxMessage.status == QUEUED,
                and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < now - lease),
            ),
        )
        .values(status=SENDING, claimed_at=now, tries=OutboxMessage.tries + 1)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return "skipped"
    row = db.session.get(OutboxMessage, outbox_id)
    if row is None:  # its account was deleted meanwhile (rows go with it)
        return "skipped"
    connection = mail.get_connection()
    try:
        connection.open()
        connection.send_messages([_message(row, connection)])
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        if _permanent(exc) or row.tries >= int(current_app.config["MAIL_MAX_TRIES"]):
            log.warning("mail %s (%s) not sent, giving up: %s", row.id, row.kind, error)
            _finish(row, FAILED, error)
            return "failed"
        log.warning("mail %s (%s) not sent, will retry: %s", row.id, row.kind, error)
        _finish(row, QUEUED, error)
        raise TemporaryFailure(error) from exc
    finally:
        # Once the server has the message, a failure to say goodbye changes nothing.
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            log.info("closing the SMTP connection failed after mail %s", outbox_id)
    _finish(row, SENT)
    log.info("mail %s (%s) sent to user %s", row.id, row.kind, row.user_id)
    return "sent"


def unsent(now: datetime | None = None, grace: timedelta | None = None) -> list[int]:
    """Mails the sweep should (re)start: queued for ``grace`` (``MAIL_SWEEP_SECONDS``) without
    a job that took them (the broker was down, the job ran out of retries), or claimed by a
    worker that died."""
    now = now or utcnow()
    if grace is None:
        grace = timedelta(seconds=int(current_app.config["MAIL_SWEEP_SECONDS"]))
    lease = timedelta(seconds=int(current_app.config["MAIL_SEND_LEASE_SECONDS"]))
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    and_(
                        OutboxMessage.status == QUEUED,
                        OutboxMessage.created_at < now - grace,
                        or_(
                            OutboxMessage.claimed_at.is_(None),
                            OutboxMessage.claimed_at < now - grace,
                        ),
                    ),
                    and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < now - lease),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(SWEEP_BATCH)
        )
    )


def prune(now: datetime | None = None) -> int:
    """Delete sent and failed mails older than ``MAIL_KEEP_DAYS``; how many. The caller commits."""
    now = now or utcnow()
    keep = timedelta(days=int(current_app.config["MAIL_KEEP_DAYS"]))
    return int(
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status.in_((SENT, FAILED)), OutboxMessage.created_at < now - keep
            )
        ).rowcount
    )
