"""
Sending messages from Celery workers: the task, and helpers that enqueue messages.

Enqueue one message with ``edx_ace.tasks.enqueue(msg)``. The task carries the message as
its JSON string (``str(msg)``) and runs the same pipeline as ``ace.send()``, with one
difference: a recoverable delivery error does not make the worker sleep. The task is
retried with a countdown until the channel's ``next_attempt_time``, for the channel types
that were deferred only, and gives up when the message expires.

The task is acknowledged late, after it returns, so a worker that dies loses nothing: the
broker hands the task to another worker. Right after each delivery, the task records the
channel type (``edx_ace.delivery_records``), and a redelivered task skips it.

This module needs the ``celery`` extra. ``import edx_ace`` never imports Celery.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from celery import current_app, shared_task

from edx_ace import ace, conf, delivery_records
from edx_ace import channel as channel_module
from edx_ace.channel import ChannelType
from edx_ace.message import Message, MessageType
from edx_ace.recipient import Recipient
from edx_ace.result import DeliveryStatus, SendResult
from edx_ace.signals import ACE_MESSAGE_SENT
from edx_ace.utils.date import get_current_time

log = logging.getLogger(__name__)

#: Seconds to wait before retrying a task whose delivery records could not be read.
RECORD_READ_RETRY_SECONDS = 10

# Celery registers a task under its name when the decorator runs, so the name setting is
# read at import time. Workers import this module after Django's setup, through
# ``app.autodiscover_tasks()`` or an explicit import.
TASK_NAME = conf.get("ACE_CELERY_TASK_NAME")


class _Delivering:
    """The message that a task sends in the current context, and the channel types recorded for it so far."""

    def __init__(self, msg: Message):
        self.msg = msg
        self.recorded: set[ChannelType] = set()


_delivering: ContextVar[_Delivering | None] = ContextVar("edx_ace_tasks_delivering", default=None)


def _record_on_sent(sender, channel_name=None, channel_type=None, message=None, **kwargs) -> None:
    """
    Record a delivery of the task's message as soon as ``ACE_MESSAGE_SENT`` reports it.

    Writing the record here, before the pipeline goes on to the next channel type, keeps
    the crash window to the time between the transport's acceptance and this write.
    Deliveries outside a task, or of another message, are ignored.
    """
    current = _delivering.get()
    if current is None or message is None or message.get("uuid") != str(current.msg.uuid):
        return

    delivered_type = ChannelType(channel_type)
    delivery_records.record_delivery(current.msg, delivered_type, channel_name)
    current.recorded.add(delivered_type)


ACE_MESSAGE_SENT.connect(_record_on_sent, dispatch_uid="edx_ace.tasks.record_on_sent")


@shared_task(
    bind=True,
    name=TASK_NAME,
    # Acknowledge after the task returns, and put the task back when its worker process
    # dies, so a worker crash does not lose the message.
    acks_late=True,
    reject_on_worker_lost=True,
    # Retries are bounded by the message's expiration, not by a count.
    max_retries=None,
    ignore_result=True,
)
def send_message_task(
    self, message_json, channel_types=None, retry_until=None, channel_names=None
) -> dict[str, str] | None:
    """
    Send the message whose JSON string is ``message_json`` and retry deferred channel types.

    Args:
        message_json: ``str(msg)`` of a :class:`~edx_ace.message.Message`.
        channel_types: Values of the :class:`~edx_ace.channel.ChannelType` members to send
            over. With ``channel_names`` it is the ``limit_to_channels`` of ``ace.send()``;
            when both are ``None``, every channel type the policies allow is used.
        retry_until: For a message without ``expiration_time``, the ISO 8601 time after
            which no retry is scheduled. The first run sets it to the current time plus
            ``ACE_DEFAULT_EXPIRATION_DELAY`` seconds.
        channel_names: Names of the channels that may be used, as in ``limit_to_channels``.

    Returns:
        The status of each channel type that was tried, by channel type value, or ``None``
        when nothing was tried. Raises ``celery.exceptions.Retry`` when a retry is scheduled.
    """
    task_id = self.request.id
    try:
        msg = Message.from_string(message_json)
    except (TypeError, ValueError) as error:
        # A payload that is not a message will never become one, so retrying cannot help.
        log.error("Task %s: the payload is not a valid message, so the task is dropped: %s", task_id, error)
        return None

    logger = msg.get_message_specific_logger(log)
    try:
        limit = _TaskLimit(channel_types, channel_names)
        deadline = _deadline(msg, retry_until)
    except (TypeError, ValueError) as error:
        logger.error("Task %s has invalid arguments, so it is dropped: %s", task_id, error)
        return None

    now = get_current_time()
    if now >= deadline:
        logger.warning("Task %s: gave up, because the retry deadline %s has passed", task_id, deadline.isoformat())
        return None

    try:
        delivered = delivery_records.delivered_channel_types(msg, limit.channel_types)
    except Exception:
        logger.exception(
            "Task %s: the delivery records could not be read, so the task is retried in %d s",
            task_id,
            RECORD_READ_RETRY_SECONDS,
        )
        return _retry(self, msg, limit.channel_types, deadline, RECORD_READ_RETRY_SECONDS)

    if delivered:
        names = ", ".join(sorted(channel_type.value for channel_type in delivered))
        logger.info("Task %s: already delivered over %s, so not sent there again", task_id, names)
    remaining = limit.channel_types - delivered
    if not remaining:
        return None

    delivering = _Delivering(msg)
    token = _delivering.set(delivering)
    try:
        result = ace.send_message(msg, limit_to_channels=limit.narrowed_to(remaining), wait_for_retries=False)
    except TypeError as error:
        # send_message() raises TypeError only for an invalid limit, such as a channel name
        # that no installed channel has. The same arguments would fail again.
        logger.error("Task %s has invalid arguments, so it is dropped: %s", task_id, error)
        return None
    finally:
        _delivering.reset(token)
    _record_deliveries(msg, result, delivering.recorded, logger)

    deferred = [outcome for outcome in result if outcome.status is DeliveryStatus.DEFERRED]
    if not deferred:
        return _statuses(result)

    next_attempt_time = min(outcome.next_attempt_time for outcome in deferred)
    if next_attempt_time > deadline:
        logger.warning(
            "Task %s: gave up, because the next attempt at %s would come after the retry deadline %s",
            task_id,
            next_attempt_time.isoformat(),
            deadline.isoformat(),
        )
        return _statuses(result)

    countdown = max(0.0, (next_attempt_time - now).total_seconds())
    return _retry(self, msg, {outcome.channel_type for outcome in deferred}, deadline, countdown)


def enqueue(msg: Message, *, limit_to_channels: Iterable[ChannelType | str] | None = None, app=None, **options):
    """
    Enqueue ``msg`` for a Celery worker to send: the task queue's counterpart of ``ace.send(msg)``.

    ``limit_to_channels`` (channel types and channel names) narrows the channel types as
    in ``ace.send()``. ``app`` is the Celery app to send through (the current app by
    default). ``options`` go to ``apply_async()`` (for example ``countdown`` or
    ``priority``), and a ``queue`` or ``routing_key`` among them overrides the settings.

    Returns:
        The ``AsyncResult`` of the task.

    Raises:
        TypeError: ``msg`` is not a Message, ``limit_to_channels`` contains something other
            than ChannelType values and channel names, or a context value cannot be written to JSON.
    """
    if not isinstance(msg, Message):
        raise TypeError(f"enqueue() takes an edx_ace.Message, got {type(msg).__name__} ({msg!r:.80})")

    kwargs = {}
    if limit_to_channels is not None:
        # The same check as ace.send(), so an unknown channel name fails here and not in a
        # worker. A single value reaches it unchanged and raises there.
        limit = limit_to_channels if isinstance(limit_to_channels, ChannelType | str) else list(limit_to_channels)
        ace._check_limit(limit)
        kwargs = _limit_kwargs(list(limit))

    task = task_for_app(app)
    return task.apply_async(args=(str(msg),), kwargs=kwargs, **{**routing_options(), **options})


def enqueue_for_recipients(
    msg_type: MessageType,
    recipients: Iterable[Recipient | tuple[Recipient, str | None, dict[str, Any] | None]],
    *,
    language: str | None = None,
    user_context: dict[str, Any] | None = None,
    limit_to_channels: Iterable[ChannelType | str] | None = None,
    app=None,
) -> int:
    """
    Personalize ``msg_type`` for each recipient and enqueue one task per message.

    Each item of ``recipients`` is a :class:`~edx_ace.recipient.Recipient`, personalized
    with ``language`` and ``user_context``, or a ``(recipient, language, user_context)``
    tuple with values of its own. A :class:`~edx_ace.recipient_resolver.RecipientResolver`
    can pass a generator, so the recipients are never all in memory.

    Returns:
        The number of messages enqueued.

    Raises:
        TypeError: an item is neither a Recipient nor a three-item tuple; the messages
            before it are already enqueued.
    """
    limit = limit_to_channels
    if limit_to_channels is not None and not isinstance(limit_to_channels, ChannelType | str):
        # A generator of channels would be used up by the first message.
        limit = list(limit_to_channels)
    app = app or current_app
    count = 0
    for item in recipients:
        recipient, item_language, item_context = _unpack_recipient(item, language, user_context)
        msg = msg_type.personalize(recipient, item_language, item_context or {})
        enqueue(msg, limit_to_channels=limit, app=app)
        count += 1
    return count


def task_for_app(app=None):
    """Return the send task as registered in ``app`` (the current Celery app by default)."""
    app = app or current_app
    return app.tasks[TASK_NAME]


def routing_options() -> dict[str, str]:
    """Return the ``queue`` and ``routing_key`` options that the settings give, leaving out unset ones."""
    options = {}
    queue = conf.get("ACE_CELERY_QUEUE")
    if queue:
        options["queue"] = queue
    routing_key = conf.get("ACE_CELERY_ROUTING_KEY")
    if routing_key:
        options["routing_key"] = routing_key
    return options


def _retry(task, msg: Message, channel_types: set[ChannelType], deadline: datetime.datetime, countdown: float):
    names = ", ".join(sorted(channel_type.value for channel_type in channel_types))
    msg.get_message_specific_logger(log).warning("Task %s: %s retried in %.1f s", task.request.id, names, countdown)
    kwargs = {
        "channel_types": sorted(channel_type.value for channel_type in channel_types),
        "retry_until": None if msg.expiration_time is not None else deadline.isoformat(),
    }
    raise task.retry(kwargs=kwargs, countdown=countdown, **routing_options())


def _record_deliveries(msg: Message, result: SendResult, recorded: set[ChannelType], logger) -> None:
    """Write the records that ``_record_on_sent()`` did not, for example because its write failed."""
    for outcome in result:
        if not outcome.delivered or outcome.channel_type in recorded:
            continue
        try:
            delivery_records.record_delivery(msg, outcome.channel_type, outcome.channel_name)
        except Exception:
            # The message went out, so the task must not fail or retry. Only a redelivery of
            # this task could now repeat the send.
            logger.exception("Delivered over %s, but the delivery record could not be written", outcome.channel_name)


def _statuses(result: SendResult) -> dict[str, str]:
    return {
        outcome.channel_type.value: outcome.status.value
        for outcome in result
        if outcome.status is not DeliveryStatus.SKIPPED
    }


def _deadline(msg: Message, retry_until: str | None) -> datetime.datetime:
    if msg.expiration_time is not None:
        return msg.expiration_time
    if retry_until is not None:
        deadline = datetime.datetime.fromisoformat(retry_until)
        if deadline.tzinfo is None:
            raise ValueError(f"retry_until {retry_until!r} has no UTC offset; write it with one, as isoformat() does")
        return deadline
    return get_current_time() + datetime.timedelta(seconds=conf.get("ACE_DEFAULT_EXPIRATION_DELAY"))


class _TaskLimit:
    """The ``limit_to_channels`` of a task, rebuilt from its ``channel_types`` and ``channel_names``."""

    def __init__(self, channel_type_values, channel_names):
        self.unlimited = channel_type_values is None and channel_names is None
        self.types = {ChannelType(value) for value in _string_list("channel_types", channel_type_values)}
        self.names = set(_string_list("channel_names", channel_names))
        self.type_of_name: dict[str, ChannelType] = {
            channel.channel_name: channel.channel_type
            for channel in channel_module.enabled_channels()
            if channel.channel_name in self.names and channel.channel_type is not None
        }

    @property
    def channel_types(self) -> set[ChannelType]:
        """The channel types this task may send over, before the delivery records are read."""
        if self.unlimited:
            return set(ChannelType)
        return self.types | set(self.type_of_name.values())

    def narrowed_to(self, channel_types: set[ChannelType]) -> list[ChannelType | str]:
        """Return the ``limit_to_channels`` for ``ace.send_message()`` that leaves out every other channel type."""
        narrowed: list[ChannelType | str] = []
        if self.unlimited:
            ordered = sorted(channel_types, key=lambda channel_type: channel_type.value)
            narrowed.extend(ordered)
            return narrowed
        narrowed.extend(channel_type for channel_type in self.types if channel_type in channel_types)
        enabled_names = [name for name, channel_type in self.type_of_name.items() if channel_type in channel_types]
        narrowed.extend(sorted(enabled_names))
        # A name without an enabled channel selects nothing, but ace.send_message() still
        # checks that some installed channel has it.
        narrowed.extend(sorted(self.names - set(self.type_of_name)))
        return narrowed


def _string_list(argument: str, values) -> list[str]:
    if values is None:
        return []
    if (
        isinstance(values, str)
        or not isinstance(values, list | tuple)
        or not all(isinstance(value, str) for value in values)
    ):
        raise TypeError(f"{argument} must be a list of str, got {values!r}")
    return list(values)


def _limit_kwargs(limit_to_channels: list[ChannelType | str]) -> dict[str, list[str]]:
    """Split a ``limit_to_channels`` that ``ace._check_limit()`` accepted into the task's JSON arguments."""
    types = {entry.value for entry in limit_to_channels if isinstance(entry, ChannelType)}
    names = {entry for entry in limit_to_channels if isinstance(entry, str)}
    return {"channel_types": sorted(types), "channel_names": sorted(names)}


def _unpack_recipient(item, language, user_context):
    if isinstance(item, Recipient):
        return item, language, user_context
    if isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], Recipient):
        return item
    raise TypeError(
        f"recipients must yield Recipient objects or (recipient, language, user_context) tuples, got "
        f"{type(item).__name__}"
    )


__all__ = [
    "enqueue",
    "enqueue_for_recipients",
    "routing_options",
    "send_message_task",
    "task_for_app",
]
