"""
A scriptable SMTP server for tests, built on aiosmtpd and bound to 127.0.0.1.

Tests queue replies for RCPT TO and DATA to play a server that refuses a recipient,
asks to try later, or stalls; every accepted email is parsed and kept.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import deque

from aiosmtpd.controller import Controller


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ScriptedHandler:
    """An aiosmtpd handler that records sessions and emails and replays scripted replies."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.sessions = 0
        self.rcpt_replies: dict[str, str] = {}
        self.data_replies: deque[str] = deque()
        self.data_delay = 0.0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        with self.lock:
            if self.data_replies:
                return self.data_replies.popleft()
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted"


class SmtpServer:
    """
    A running aiosmtpd server with its handler; use ``host``, ``port`` and ``handler``.

    With ``enable_smtputf8`` true, the server offers the SMTPUTF8 extension (RFC 6531) in
    its EHLO reply.
    """

    def __init__(self, enable_smtputf8: bool = False):
        self.handler = ScriptedHandler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            server_hostname="ace-test",
            enable_SMTPUTF8=enable_smtputf8,
        )

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages
