"""
Logging and monitoring of each channel outcome of ``ace.send()``, and the reason codes.

Every outcome is logged with the message's log id, the channel and the channel type, and
counted in monitoring by channel type, status and code. Faults (expired, invalid, failed,
deferred, channel unavailable) are logged at WARNING or ERROR; decisions (a policy's
denial, ``limit_to_channels``, a channel type that no channel serves) at INFO or DEBUG.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from edx_ace import monitoring
from edx_ace.result import ChannelOutcome, DeliveryStatus
from edx_ace.utils.repeats import RepeatCounter

if TYPE_CHECKING:
    from edx_ace.message import Message

# Reason codes set by the pipeline. Channels add their own through the ``code`` of the
# errors they raise, such as ``no_address``, ``invalid_address`` or ``backend_accepted_none``.
DELIVERED = "delivered"
DENIED_BY_POLICY = "denied_by_policy"
POLICY_FAILED = "policy_failed"
NOT_IN_LIMIT = "not_in_limit"
NO_CHANNEL = "no_channel"
CHANNEL_UNAVAILABLE = "channel_unavailable"
RENDERING_FAILED = "rendering_failed"
EXPIRED = "expired"
INVALID_MESSAGE = "invalid_message"
RETRY_LATER = "retry_later"
DELIVERY_FAILED = "delivery_failed"
UNEXPECTED_ERROR = "unexpected_error"

#: Codes whose error's traceback is logged: they come from a bug or a broken template.
_WITH_TRACEBACK = frozenset({RENDERING_FAILED, UNEXPECTED_ERROR})

# A misconfigured or missing channel affects every message of a batch, so its line is
# written on the 1st, 10th, 100th... message only.
_repeated_skips = RepeatCounter()


def rendering_reason(error: BaseException) -> str:
    """Return the reason of a rendering failure: the template path, the exception type and text."""
    path = getattr(error, "ace_template_path", None)
    where = f"rendering {path} failed" if path else "rendering failed"
    return f"{where}: {type(error).__name__}: {error}"


def log_outcome(logger, outcome: ChannelOutcome) -> None:
    """Log ``outcome`` on ``logger``, an adapter from ``Message.get_message_specific_logger()``."""
    if outcome.channel_name:
        channel = f"{outcome.channel_name} ({outcome.channel_type})"
    else:
        channel = f"any {outcome.channel_type} channel"
    status = outcome.status

    if status is DeliveryStatus.DELIVERED:
        logger.info("Delivered over %s", channel)
        return
    if status is DeliveryStatus.DENIED:
        logger.info("Not sent over %s: %s", channel, outcome.reason)
        return
    if status is DeliveryStatus.SKIPPED:
        _log_skip(logger, outcome, channel)
        return

    level = logging.WARNING if status in (DeliveryStatus.EXPIRED, DeliveryStatus.DEFERRED) else logging.ERROR
    exc_info = outcome.error if outcome.code in _WITH_TRACEBACK else None
    logger.log(
        level,
        "Not delivered over %s: %s, %s: %s",
        channel,
        status.value,
        outcome.code,
        outcome.reason,
        exc_info=exc_info,
    )


def _log_skip(logger, outcome: ChannelOutcome, channel: str) -> None:
    if outcome.code == NOT_IN_LIMIT:
        logger.debug("Not sent over %s: %s", channel, outcome.reason)
        return

    _key, count, should_log = _repeated_skips.add(f"{outcome.channel_type}:{outcome.code}:{outcome.reason}")
    if not should_log:
        logger.debug("Not sent over %s: %s, %s: %s", channel, outcome.status.value, outcome.code, outcome.reason)
        return
    level = logging.WARNING if outcome.code == CHANNEL_UNAVAILABLE else logging.INFO
    logger.log(
        level,
        "Not sent over %s: %s, %s: %s (%d message(s) so far in this process)",
        channel,
        outcome.status.value,
        outcome.code,
        outcome.reason,
        count,
    )


def report_outcome(message: Message, outcome: ChannelOutcome) -> None:
    """Report ``outcome`` to monitoring: its status and code as attributes, and one counter."""
    channel_type = outcome.channel_type.value
    message.report(f"edx_ace.{channel_type}.status", outcome.status.value)
    message.report(f"edx_ace.{channel_type}.reason", outcome.code)
    monitoring.increment(f"edx_ace.outcome.{channel_type}.{outcome.status.value}.{outcome.code}")


def reset_repeats() -> None:
    """Forget the skips logged so far, so the next one of each kind is logged again."""
    _repeated_skips.clear()
