"""
Email connections shared by consecutive sends in one thread.

Opening an SMTP connection (TCP, greeting, EHLO, maybe STARTTLS and login) costs more than
sending one email over it, so the Django email channel reuses one connection per thread:

- inside :func:`batch` (``ace.send_many()`` opens one per chunk of messages), every email
  goes over one connection of the configured backend, closed when the batch ends;
- between plain ``ace.send()`` calls, an SMTP connection stays open for
  ``ACE_EMAIL_CONNECTION_REUSE_SECONDS`` of idleness and at most
  ``ACE_SEND_MANY_CHUNK_SIZE`` emails. Other backends get a new connection per email, as
  Django's ``EmailMessage.send()`` gives them.

A reused connection may have been closed by the server while idle. When the failure came
before the message data was sent, the email is sent again over a new connection. Once the
data was sent, the server may have accepted it, so the error is raised and the email is
not sent again. A connection is dropped after any error other than an SMTP reply, since
its state is then unknown. A connection is never shared between threads or carried into a
forked child process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import threading
import time
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend

from edx_ace import conf

log = logging.getLogger(__name__)

#: Settings that decide where a connection goes; a kept connection is used only while they stay the same.
CONNECTION_SETTINGS = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_SSL_CERTFILE",
    "EMAIL_SSL_KEYFILE",
    "EMAIL_TIMEOUT",
)

#: The SMTP reply code with which a server closes the connection (RFC 5321, section 3.8).
SERVICE_CLOSING = 421

_local = threading.local()


class SharedConnection:
    """One email backend of one thread, kept open between emails, with how much it was used."""

    def __init__(self, backend, key: tuple):
        self.backend = backend
        self.key = key
        self.pid = os.getpid()
        self.is_open = False
        self.sent = 0
        self.last_used = time.monotonic()
        self.progress: Any = None

    @property
    def is_smtp(self) -> bool:
        return isinstance(self.backend, SmtpEmailBackend)

    def open(self, progress_factory) -> None:
        """Open the backend's connection, and watch its SMTP session with ``progress_factory``."""
        self.backend.open()
        self.is_open = True
        self.sent = 0
        if self.is_smtp and self.backend.connection is not None:
            self.progress = progress_factory(self.backend.connection)

    def close(self) -> None:
        self.is_open = False
        self.progress = None
        close_quietly(self.backend)


class EmailAttempt:
    """
    Sends one email over the thread's shared connection, or over a new one.

    After ``send()``, ``progress`` records how far the last SMTP session got (``None`` for
    other backends), so the channel can decide whether a failure may be retried.
    """

    def __init__(self, progress_factory, logger: logging.Logger | logging.LoggerAdapter = log):
        self.progress_factory = progress_factory
        self.logger = logger
        self.progress = None

    def send(self, email) -> int:
        """Send ``email`` and return the backend's count of sent emails (1, or 0 when it dropped it)."""
        shared, backend = _connection_for_next_email()
        if shared is None:
            return self._send_alone(email, backend)

        reused = shared.is_open
        try:
            if not shared.is_open:
                shared.open(self.progress_factory)
            return self._send_over(shared, email)
        except Exception as error:
            if not (reused and self._failed_before_data(error)):
                _drop_unless_reply(shared, error)
                raise
            self.logger.info(
                "The reused SMTP connection failed before the message data was sent (%s); reconnecting", error
            )

        shared.close()
        try:
            shared.open(self.progress_factory)
            return self._send_over(shared, email)
        except Exception as error:
            _drop_unless_reply(shared, error)
            raise

    def _send_alone(self, email, connection) -> int:
        """Send ``email`` over a connection of its own, closed afterwards."""
        try:
            if isinstance(connection, SmtpEmailBackend):
                connection.open()
                self.progress = self.progress_factory(connection.connection)
            email.connection = connection
            return email.send()
        finally:
            close_quietly(connection)

    def _send_over(self, shared: SharedConnection, email) -> int:
        if shared.progress is not None:
            shared.progress.reset()
        self.progress = shared.progress
        email.connection = shared.backend
        sent = email.send()
        shared.sent += 1
        shared.last_used = time.monotonic()
        return sent

    def _failed_before_data(self, error: Exception) -> bool:
        """Return whether ``error`` means the connection was lost before the server could accept the message."""
        if self.progress is None or self.progress.payload_sent:
            return False
        if isinstance(error, smtplib.SMTPResponseException):
            return error.smtp_code == SERVICE_CLOSING
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            return any(code == SERVICE_CLOSING for code, _reply in error.recipients.values())
        # smtplib's errors are OSErrors too; of those, only a lost connection counts here.
        return isinstance(error, smtplib.SMTPServerDisconnected) or (
            isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)
        )


@contextlib.contextmanager
def batch():
    """
    Send every email of the block over one connection of the configured backend.

    The connection opens at the first email and closes when the block ends. Nested
    blocks share the outer block's connection.
    """
    depth = getattr(_local, "batch_depth", 0)
    _local.batch_depth = depth + 1
    try:
        yield
    finally:
        _local.batch_depth = depth
        if depth == 0:
            close()


def close() -> None:
    """Close this thread's shared connection, if it has one."""
    shared = getattr(_local, "shared", None)
    _local.shared = None
    if shared is not None and shared.pid == os.getpid():
        shared.close()


def _connection_for_next_email() -> tuple[SharedConnection | None, Any]:
    """
    Return the shared connection this thread's next email goes over, or ``None`` and a new
    backend for that email alone.
    """
    in_batch = getattr(_local, "batch_depth", 0) > 0
    shared = getattr(_local, "shared", None)

    if shared is not None:
        if _still_usable(shared, _settings_key(), in_batch):
            return shared, shared.backend
        if shared.pid == os.getpid():
            shared.close()
        _local.shared = None

    backend = get_connection(fail_silently=False)
    if not in_batch and not (isinstance(backend, SmtpEmailBackend) and _reuse_seconds() > 0):
        return None, backend
    shared = _local.shared = SharedConnection(backend, _settings_key())
    return shared, backend


def _settings_key() -> tuple:
    return tuple(getattr(settings, name, None) for name in CONNECTION_SETTINGS)


def _still_usable(shared: SharedConnection, key: tuple, in_batch: bool) -> bool:
    if shared.pid != os.getpid() or shared.key != key:
        return False
    if in_batch:
        return True
    if not shared.is_smtp or not shared.is_open or shared.sent >= _max_emails_per_connection():
        return False
    return time.monotonic() - shared.last_used < _reuse_seconds()


def _reuse_seconds() -> float:
    """Return ACE_EMAIL_CONNECTION_REUSE_SECONDS, or 0 (no reuse) when it is not a number >= 0 (check E143)."""
    seconds = conf.get("ACE_EMAIL_CONNECTION_REUSE_SECONDS")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
        return 0
    return seconds


def _max_emails_per_connection() -> int:
    """Return ACE_SEND_MANY_CHUNK_SIZE, or 1 when it is not a positive integer (check E142)."""
    size = conf.get("ACE_SEND_MANY_CHUNK_SIZE")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        return 1
    return size


def _drop_unless_reply(shared: SharedConnection, error: Exception) -> None:
    """Close and forget ``shared`` unless ``error`` is an SMTP reply, after which smtplib has reset the session."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code != SERVICE_CLOSING for code, _reply in error.recipients.values()
    ):
        return
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code != SERVICE_CLOSING:
        return
    shared.close()
    if getattr(_local, "shared", None) is shared:
        _local.shared = None


def close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception as error:
        log.debug("Closing the email connection failed: %s", error)
