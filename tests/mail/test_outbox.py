"""The outbox: a mail is sent once by its job, after commit, whatever the retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.mail import outbox, tasks
from learnapp.mail.models import FAILED, QUEUED, SENDING, SENT, OutboxMessage
from tests.mail.conftest import SENDER


def queue_one(user, key="test:1", **extra):
    return outbox.queue(
        key=key,
        kind="verify_email",
        to=user.email,
        subject="Confirm your e-mail address",
        user_id=user.id,
        context={"user": user, "verify_url": "http://learnapp.test/verify-email/t", "hours": 48},
        **extra,
    )


def test_a_queued_mail_is_sent_once_after_commit_with_both_parts_and_headers(app, inbox, student):
    row = queue_one(student, headers={"List-Unsubscribe": "<http://learnapp.test/u>"})
    db.session.flush()
    assert inbox.received == []  # nothing leaves before the cause is committed
    db.session.commit()

    [mail] = inbox.received
    assert mail.recipients == ["student@example.com"]
    message = mail.message
    assert message["From"] == SENDER
    assert message["To"] == "student@example.com"
    assert message["Subject"].strip() == "Confirm your e-mail address"
    assert message["Message-ID"] == row.message_id
    assert message["Message-ID"].endswith("@learnapp.test>")
    assert message["Date"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<http://learnapp.test/u>"
    assert "Reply-To" not in message
    assert "http://learnapp.test/verify-email/t" in mail.text
    assert 'href="http://learnapp.test/verify-email/t"' in mail.html
    db.session.refresh(row)
    assert (row.status, row.tries) == (SENT, 1)
    assert row.sent_at is not None


@pytest.mark.app_config(MAIL_REPLY_TO="help@learnapp.test")
def test_reply_to_is_set_when_configured(app, inbox, student):
    queue_one(student)
    db.session.commit()
    assert inbox.received[0].message["Reply-To"] == "help@learnapp.test"


def test_a_mail_queued_in_a_rolled_back_transaction_is_never_sent(app, inbox, student):
    queue_one(student)
    db.session.rollback()
    db.session.commit()
    assert inbox.received == []
    assert db.session.scalar(select(OutboxMessage)) is None


def test_a_savepoint_inside_the_transaction_sends_nothing_early(app, inbox, student):
    queue_one(student)
    queue_one(student, key="test:2")  # its own SAVEPOINT is released: still one transaction
    with db.session.begin_nested():
        pass
    assert inbox.received == []
    db.session.commit()
    assert len(inbox.received) == 2


def test_the_same_cause_queues_one_mail(app, inbox, student):
    assert queue_one(student) is not None
    assert queue_one(student) is None
    db.session.commit()
    assert len(inbox.received) == 1


def sweep_later(row):
    """Run the sweep as if its grace period had passed since ``row`` was last tried."""
    past = utcnow() - timedelta(minutes=10)
    row.created_at = row.claimed_at = past
    db.session.commit()
    return tasks.send_queued.delay().get()


def test_a_deferred_mail_waits_for_the_sweep_and_arrives_once(app, inbox, student):
    inbox.defer = 2  # "451 try again later", twice
    row = queue_one(student)
    db.session.commit()  # no broker: tried once in-process, no retry at once

    db.session.refresh(row)
    assert (row.status, row.tries) == (QUEUED, 1)
    assert "451" in row.last_error
    assert sweep_later(row) == 1
    db.session.refresh(row)
    assert (row.status, row.tries) == (QUEUED, 2)
    assert inbox.received == []

    assert sweep_later(row) == 1
    assert len(inbox.received) == 1
    db.session.refresh(row)
    assert (row.status, row.tries) == (SENT, 3)
    assert sweep_later(row) == 0


def test_a_retried_or_redelivered_job_sends_nothing_twice(app, inbox, student):
    row = queue_one(student)
    db.session.commit()
    assert len(inbox.received) == 1

    # The broker delivers the job again (a worker lost its acknowledgement), and the sweep runs.
    assert tasks.send.delay(row.id).get() == "skipped"
    assert outbox.deliver(row.id) == "skipped"
    assert outbox.unsent(utcnow() + timedelta(days=1)) == []
    assert len(inbox.received) == 1


def test_a_mail_being_sent_by_another_worker_is_left_to_it_until_its_claim_is_stale(
    app, inbox, student
):
    row = queue_one(student)
    # Another worker claimed it a moment ago (the commit's own job finds it claimed).
    row.status, row.claimed_at = SENDING, utcnow()
    db.session.commit()
    assert inbox.received == []
    assert outbox.unsent() == []

    # That worker died before marking it sent: once the lease is over, the sweep takes it.
    later = utcnow() + timedelta(seconds=app.config["MAIL_SEND_LEASE_SECONDS"] + 1)
    assert outbox.unsent(later) == [row.id]
    row.claimed_at = utcnow() - timedelta(seconds=app.config["MAIL_SEND_LEASE_SECONDS"] + 1)
    db.session.commit()
    assert outbox.deliver(row.id) == "sent"
    assert len(inbox.received) == 1


def test_a_refused_recipient_is_given_up_at_once(app, inbox, student):
    inbox.refuse = 1  # 550
    row = queue_one(student)
    db.session.commit()

    db.session.refresh(row)
    assert (row.status, row.tries) == (FAILED, 1)
    assert "550" in row.last_error
    assert inbox.received == []


@pytest.mark.app_config(MAIL_PORT=1)
def test_a_server_that_is_down_leaves_the_mail_queued_for_the_sweep(app, inbox, student):
    row = queue_one(student)
    # No broker: the job runs once, in-process, and leaves the mail for the sweep (a retry at
    # once would hold the web worker that ran it for every try, minutes with a timeout).
    db.session.commit()

    db.session.refresh(row)
    assert row.status == QUEUED
    assert row.tries == 1
    assert row.last_error
    assert outbox.unsent() == []  # tried just now
    assert outbox.unsent(utcnow() + timedelta(minutes=10)) == [row.id]

    # The server is back (here: the configured port is fixed); the sweep sends it, once.
    app.extensions["mailman"].port = inbox.port
    row.claimed_at = row.created_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert tasks.send_queued.delay().get() == 1
    assert tasks.send_queued.delay().get() == 0
    assert len(inbox.received) == 1


@pytest.mark.app_config(MAIL_PORT=1, MAIL_MAX_TRIES=3)
def test_a_mail_is_given_up_after_its_tries(app, inbox, student):
    row = queue_one(student)
    db.session.commit()
    for _ in range(2):
        assert sweep_later(row) == 1
    db.session.refresh(row)
    assert (row.status, row.tries) == (FAILED, 3)
    assert sweep_later(row) == 0  # given up: the sweep leaves it alone


def test_a_sensitive_body_is_blanked_once_sent(app, inbox, student):
    row = queue_one(student, sensitive=True)
    db.session.commit()
    assert "verify-email/t" in inbox.received[0].text
    db.session.refresh(row)
    assert (row.text_body, row.html_body) == ("", "")


def test_old_sent_mail_is_deleted_by_the_sweep(app, inbox, student):
    row = queue_one(student)
    db.session.commit()
    row.created_at = utcnow() - timedelta(days=app.config["MAIL_KEEP_DAYS"] + 1)
    queue_one(student, key="test:recent")
    db.session.commit()
    tasks.send_queued.delay()
    assert db.session.scalars(select(OutboxMessage.key)).all() == ["test:recent"]
