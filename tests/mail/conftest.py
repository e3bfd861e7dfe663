"""A real SMTP server (aiosmtpd on 127.0.0.1, a free port) for each test, and an app that
sends its mail there."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from learnapp import create_app
from learnapp.extensions import db as _db
from tests.conftest import IsolatedClient, _empty_tables, base_config

SENDER = "LearnApp <noreply@learnapp.test>"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        # Long or non-ASCII headers are folded onto a continuation line; unfolded, the
        # folding whitespace leads.
        return str(self.message["Subject"]).strip()

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def links(self) -> list[str]:
        return re.findall(r"http://learnapp\.test/\S+", self.text)


@dataclass
class Inbox:
    """What the server accepted; ``defer``/``refuse`` make it answer 451/550 to the next
    messages instead."""

    port: int
    received: list[Received] = field(default_factory=list)
    defer: int = 0
    refuse: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.defer:
            self.defer -= 1
            return "451 4.3.0 Try again later"
        if self.refuse:
            self.refuse -= 1
            return "550 5.1.1 No such mailbox"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [mail for mail in self.received if address in mail.recipients]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def app(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, inbox: Inbox
) -> Iterator[Flask]:
    """The test app, sending mail by SMTP to ``inbox``."""
    marker = request.node.get_closest_marker("app_config")
    overrides = {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": inbox.port,
        "MAIL_TIMEOUT": 10,
        "MAIL_DEFAULT_SENDER": SENDER,
        **(marker.kwargs if marker else {}),
    }
    app = create_app(base_config(database_url, tmp_path / "instance", **overrides))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _db.session.remove()
        _empty_tables()
        _db.engine.dispose()


def sent(client_response: Any) -> Any:
    """Close a response the way a server does once it is sent: mail queued by the request is
    sent then (jobs run in-process in tests)."""
    client_response.close()
    return client_response
