"""``flask mail``: send what is queued, the practice digest, a test mail."""

from __future__ import annotations

from datetime import timedelta

import click
from celery.result import EagerResult
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from learnapp.extensions import db
from learnapp.i18n import lazy_cli_gettext as _l
from learnapp.mail import notices, outbox, tasks

mail_cli = AppGroup("mail", help=_l("E-mail: send queued mail, the practice digest, a test mail."))


def _run(outbox_id: int) -> None:
    job = tasks.send.delay(outbox_id)  # on the job runner, or here without one
    if isinstance(job, EagerResult):
        result = job.result
        outcome = result if isinstance(result, str) else repr(result)
        click.echo(_("mail %(id)d: %(outcome)s", id=outbox_id, outcome=outcome))


@mail_cli.command(
    "send-queued",
    help=_l(
        "Send every mail still queued, and those a dead worker left half-sent; delete sent mail"
        " older than LEARNAPP_MAIL_KEEP_DAYS. Safe on every host at once (each mail is claimed"
        " by one send). With a job runner, celery beat does this every"
        " LEARNAPP_MAIL_SWEEP_SECONDS."
    ),
)
def send_queued() -> None:
    ids = outbox.unsent(grace=timedelta(0))
    outbox.prune()
    db.session.commit()
    for outbox_id in ids:
        _run(outbox_id)
    click.echo(_("%(count)d unsent mail(s) handled.", count=len(ids)), err=True)


@mail_cli.command(
    "digest",
    help=_l("Queue today's practice digest (once a day per student, however often it runs)."),
)
def digest() -> None:
    queued = notices.queue_practice_digests()
    if queued is None:
        click.echo(_("Another digest run holds the lock; nothing done."), err=True)
        return
    click.echo(_("%(count)d practice digest(s) queued.", count=queued), err=True)


@mail_cli.command(
    "test", help=_l("Send a test mail to ADDRESS, to check the LEARNAPP_MAIL_* settings.")
)
@click.argument("address")
def send_test(address: str) -> None:
    import secrets

    row = outbox.queue(
        key=f"test:{secrets.token_hex(8)}",
        kind="test",
        to=address,
        subject=lazy_gettext("LearnApp test mail"),
        context={},
    )
    db.session.commit()
    if row is not None:
        db.session.refresh(row)
        click.echo(
            _(
                "mail %(id)d to %(address)s: %(status)s %(error)s",
                id=row.id,
                address=address,
                status=row.status,
                error=row.last_error or "",
            ).rstrip()
        )
