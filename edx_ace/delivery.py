"""
The delivery step of the pipeline: hand a rendered message to a channel, retrying after
recoverable errors until the message expires.

Delivery is at most once per channel per call: a successful attempt is never repeated,
and a retry follows only a :class:`~edx_ace.errors.RecoverableChannelDeliveryError`,
which the channel raises when the earlier attempt did not go through.
"""

from __future__ import annotations

import datetime
import logging
from time import sleep
from typing import TYPE_CHECKING, Any

from edx_ace import conf
from edx_ace.channel import Channel, ChannelType, get_channel_for_message
from edx_ace.errors import MessageExpiredError, RecoverableChannelDeliveryError
from edx_ace.utils.date import get_current_time
from edx_ace.utils.repeats import RepeatCounter

if TYPE_CHECKING:
    from edx_ace.message import Message

log = logging.getLogger(__name__)

_invalid_settings = RepeatCounter()


def deliver(channel_type: ChannelType, rendered_message: Any, message: Message) -> Any:
    """
    Deliver a rendered message over the channel that handles ``channel_type`` for it.

    Returns:
        The channel's receipt (see :meth:`edx_ace.channel.Channel.deliver`).

    Raises:
        UnsupportedChannelError: no channel of ``channel_type`` is enabled.
        MessageExpiredError: the message expired before it could be delivered.
        ChannelError, InvalidMessageError: as raised by the channel.
    """
    channel = get_channel_for_message(channel_type, message)
    return deliver_to_channel(channel, rendered_message, message)


def retry_deadline(message: Message, start: datetime.datetime) -> datetime.datetime:
    """
    Return the time after which no further attempt is made for ``message``.

    It is the message's ``expiration_time``, or ``start`` plus ``ACE_DEFAULT_EXPIRATION_DELAY``
    seconds when it has none, and never later than ``start`` plus five minutes.
    """
    longest = start + datetime.timedelta(seconds=conf.MAX_RETRY_WAIT_SECONDS)
    if message.expiration_time is not None:
        return min(message.expiration_time, longest)
    default = start + datetime.timedelta(seconds=default_expiration_delay(message))
    return min(default, longest)


def default_expiration_delay(message: Message) -> float:
    """
    Return ``ACE_DEFAULT_EXPIRATION_DELAY`` in seconds, or its default when the value is invalid.

    An invalid value is logged (rate-limited) and reported by the system check ``edx_ace.E140``
    instead of failing every message.
    """
    value = conf.get("ACE_DEFAULT_EXPIRATION_DELAY")
    if not isinstance(value, bool) and isinstance(value, int | float) and 0 <= value < float("inf"):
        return value

    default, _meaning = conf.SETTINGS["ACE_DEFAULT_EXPIRATION_DELAY"]
    _key, count, should_log = _invalid_settings.add(repr(value))
    if should_log:
        message.get_message_specific_logger(log).warning(
            "ACE_DEFAULT_EXPIRATION_DELAY is %.80r, not a number of seconds >= 0, so %s s is used "
            "(%d message(s) so far in this process); set it to a number such as 120",
            value,
            default,
            count,
        )
    return default


def deliver_to_channel(
    channel: Channel, rendered_message: Any, message: Message, *, wait_for_retries: bool = True
) -> Any:
    """
    Deliver a rendered message through ``channel``, retrying recoverable failures.

    With ``wait_for_retries`` false, a recoverable failure is raised to the caller instead
    of waited for, so a task queue can schedule the retry. The five-minute cap on waiting
    then does not apply: only the message's own ``expiration_time`` ends the attempts, and
    the caller bounds retries of a message that has none.

    Raises:
        MessageExpiredError: the message expired, or its next attempt would come too late.
        RecoverableChannelDeliveryError: only with ``wait_for_retries`` false.
        ChannelError, InvalidMessageError: as raised by the channel.
    """
    logger = message.get_message_specific_logger(log)
    start = get_current_time()
    deadline = retry_deadline(message, start) if wait_for_retries else message.expiration_time
    attempt = 0

    while True:
        now = get_current_time()
        if message.expiration_time is not None and now >= message.expiration_time:
            raise MessageExpiredError(
                f"the message expired at {message.expiration_time.isoformat()} before it could be delivered",
                channel=channel.channel_name,
                log_id=message.log_id,
            )

        attempt += 1
        logger.debug("Attempt %d to deliver over %s", attempt, channel.channel_name)
        try:
            return channel.deliver(message, rendered_message)
        except RecoverableChannelDeliveryError as error:
            next_attempt_time = error.next_attempt_time
            if deadline is not None and next_attempt_time > deadline:
                raise MessageExpiredError(
                    f"gave up after {attempt} attempt(s), because the channel asked to wait until "
                    f"{next_attempt_time.isoformat()}, past the retry deadline {deadline.isoformat()} "
                    f"({_deadline_source(message)}); last error: {error}",
                    channel=channel.channel_name,
                    log_id=message.log_id,
                ) from error
            if not wait_for_retries:
                raise

            delay = max(0.0, (next_attempt_time - get_current_time()).total_seconds())
            logger.warning(
                "Attempt %d over %s failed and will be retried in %.1f s: %s",
                attempt,
                channel.channel_name,
                delay,
                error.message,
            )
            sleep(delay)


def _deadline_source(message: Message) -> str:
    if message.expiration_time is not None:
        return "the message's expiration_time, at most five minutes after the first attempt"
    return "ACE_DEFAULT_EXPIRATION_DELAY after the first attempt, at most five minutes"
