"""
A scriptable SMTP server for tests, built on aiosmtpd and bound to 127.0.0.1.

Tests queue replies for RCPT TO and DATA to play a server that refuses a recipient,
replies to try later, or stalls. Every accepted email is parsed and kept. A test can also
play a server that closes connections it considers idle: after every N accepted emails,
or on request with ``close_sessions()``.
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
        #: Close each connection silently after this many accepted emails, as a server
        #: whose idle timeout expired does; ``None`` keeps connections open.
        self.close_after_emails: int | None = None
        self.open_sessions: set = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
            self.open_sessions.add(server)
        session.host_name = hostname
        session.accepted_emails = 0
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
        session.accepted_emails = getattr(session, "accepted_emails", 0) + 1
        if self.close_after_emails and session.accepted_emails >= self.close_after_emails:
            # Runs after aiosmtpd has queued the 250 reply; close() sends it before closing.
            asyncio.get_running_loop().call_soon(self._close, server)
        return "250 Message accepted"

    def _close(self, server):
        with self.lock:
            self.open_sessions.discard(server)
        if server.transport is not None:
            server.transport.close()

    async def close_all(self):
        with self.lock:
            servers = list(self.open_sessions)
        for server in servers:
            self._close(server)


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

    def close_sessions(self):
        """Close every open connection without a reply, as a server does to idle clients."""
        asyncio.run_coroutine_threadsafe(self.handler.close_all(), self.controller.loop).result(timeout=5)

    @property
    def messages(self):
        return self.handler.messages
