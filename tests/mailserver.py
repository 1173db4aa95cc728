"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it takes.

A test module that sends mail overrides `app` with MAIL_URL=mail_server.url (and a
SITE_URL, for the links in its mails), so `client`, `moderator` and `post` use it."""

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


@dataclass
class Received:
    """One message as the server took it: the envelope and the parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class MailServer:
    """The server, on a port of its own that stays the same across stop() and start()."""

    def __init__(self, handler: "_Handler | None" = None, **controller_options) -> None:
        self.handler = handler or _Handler()
        self.options = controller_options  # aiosmtpd's: TLS, authentication…
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        """For MAIL_URL."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope named this recipient."""
        return [each for each in self.received if address in each.recipients]

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A running SMTP server; a test may stop it and start it again."""
    server = MailServer()
    server.start()
    yield server
    server.stop()
