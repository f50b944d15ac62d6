"""
Exceptions raised by ACE and by its channels.

Every error keeps the context it was raised with (the channel and the message's log id
where known) and shows it in ``str()``, so a log line or a task failure explains itself.
"""

from __future__ import annotations

import datetime


class _ContextMixin:
    """Stores the context of an ACE error and shows it in ``str()``."""

    def __init__(
        self, message: str = "", *, channel: str | None = None, log_id: str | None = None, code: str | None = None
    ):
        # The mixin always precedes an Exception class in the bases, whose __init__ takes the message.
        super().__init__(message)  # type: ignore[call-arg]
        self.message = message
        self.channel = channel
        self.log_id = log_id
        self.code = code

    def __str__(self) -> str:
        context = [f"{name}={value}" for name, value in (("channel", self.channel), ("message", self.log_id)) if value]
        if not context:
            return self.message
        return f"{self.message} [{', '.join(context)}]"


class ChannelError(_ContextMixin, Exception):
    """
    Indicates something went wrong in a delivery channel.

    ``channel`` and ``log_id`` are optional context that ``str()`` shows. ``code`` is an
    optional short reason such as ``"backend_accepted_none"`` for send results and
    monitoring counters.
    """


class RecoverableChannelDeliveryError(ChannelError):
    """
    A delivery failed in a way that may succeed later: a rate limit, a busy server, a network fault.

    ``next_attempt_time`` is the timezone-aware time before which the channel should not be
    tried again for this message.
    """

    def __init__(self, message: str, next_attempt_time: datetime.datetime, **context):
        super().__init__(message, **context)
        if not isinstance(next_attempt_time, datetime.datetime):
            raise TypeError(
                f"next_attempt_time must be a datetime, not {type(next_attempt_time).__name__} ({next_attempt_time!r})"
            )
        if next_attempt_time.tzinfo is None or next_attempt_time.utcoffset() is None:
            raise ValueError(
                f"next_attempt_time {next_attempt_time.isoformat()} is naive; "
                "pass a timezone-aware datetime such as datetime.now(timezone.utc)"
            )
        self.next_attempt_time = next_attempt_time


class FatalChannelDeliveryError(ChannelError):
    """A delivery failed in a way that retrying will not fix. The channel must not be tried again."""


class UnsupportedChannelError(ChannelError):
    """Raised when a message is routed to a channel type that has no enabled channel."""


class InvalidMessageError(_ContextMixin, ValueError):
    """
    A message cannot be sent because it lacks information or carries an inconsistent value.

    It is raised before anything is transmitted. It inherits ``ValueError`` because the
    caller passed a bad value. ``code`` is an optional short reason such as ``"no_address"``.
    """


class MessageExpiredError(FatalChannelDeliveryError):
    """The message's expiration time passed, or would pass before the next allowed attempt."""
