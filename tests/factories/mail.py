"""A real local SMTP server (aiosmtpd) that keeps what it receives, and a mailer for it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from evcare.core.mail import SmtpMailer


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content.decode("utf-8", errors="replace")
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def mailer_for(port: int) -> SmtpMailer:
    return SmtpMailer(
        host="127.0.0.1", port=port, sender="EVCare <no-reply@evcare.dev>", starttls=False
    )
