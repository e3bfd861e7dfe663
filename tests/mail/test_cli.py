"""``flask mail`` and the development console backend."""

from __future__ import annotations

from learnapp import create_app
from learnapp.extensions import db
from learnapp.mail import notices, outbox
from learnapp.mail.models import QUEUED, SENT, OutboxMessage
from tests.conftest import base_config


def test_flask_mail_test_sends_a_mail_to_check_the_settings(app, inbox):
    result = app.test_cli_runner().invoke(args=["mail", "test", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert "sent" in result.output
    [mail] = inbox.received
    assert mail.recipients == ["ops@example.com"]
    assert "the mail settings work" in mail.text


def test_send_queued_sends_what_was_left_and_nothing_twice(app, inbox, student):
    app.extensions["mailman"].port = 1  # the server is unreachable for the first try
    row = outbox.queue(
        key="left",
        kind="test",
        to=student.email,
        subject="Left behind",
        context={},
    )
    db.session.commit()
    db.session.refresh(row)
    assert row.status == QUEUED
    app.extensions["mailman"].port = inbox.port

    runner = app.test_cli_runner()
    assert "1 unsent mail(s)" in runner.invoke(args=["mail", "send-queued"]).output
    assert "0 unsent mail(s)" in runner.invoke(args=["mail", "send-queued"]).output
    assert len(inbox.received) == 1
    db.session.refresh(row)
    assert row.status == SENT


def test_digest_command_queues_once_a_day(app, inbox, student):
    notices.set_preferences(student, {notices.Notice.PRACTICE_DIGEST: True})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "digest"])
    assert "0 practice digest(s) queued" in result.output  # nothing due


def test_development_prints_mail_to_the_console(database_url, tmp_path, student, capsys):
    dev = create_app(
        base_config(database_url, tmp_path / "dev", ENV="development", MAIL_BACKEND=None)
    )
    assert dev.config["MAIL_BACKEND"] == "console"
    with dev.app_context():
        outbox.queue(key="dev", kind="test", to="dev@example.com", subject="Hello", context={})
        db.session.commit()
        assert db.session.scalar(db.select(OutboxMessage.status)) == SENT
        db.session.remove()
        db.engine.dispose()  # this app's own pool: no connection left to the garbage collector
    printed = capsys.readouterr().out
    assert "To: dev@example.com" in printed
    assert "the mail settings work" in printed
