"""
The main entry point for sending messages with ACE.

Usage::

    from edx_ace import ace
    from edx_ace.message import Message, MessageType
    from edx_ace.recipient import Recipient

    msg = Message(
        app_label="my_app",
        name="test_message",
        recipient=Recipient(username="a_user", email_address="a_user@example.com"),
        language="en",
        context={"stuff": "to personalize the message"},
    )
    result = ace.send(msg)
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from typing import Any

import attr

from edx_ace import channel as channel_module
from edx_ace import conf, delivery, language, outcomes, policy, presentation, signals
from edx_ace.channel import Channel, ChannelType, connections
from edx_ace.channel.headers import validate_headers
from edx_ace.errors import (
    ChannelError,
    FatalChannelDeliveryError,
    InvalidMessageError,
    MessageExpiredError,
    RecoverableChannelDeliveryError,
    UnsupportedChannelError,
)
from edx_ace.message import Message, MessageType
from edx_ace.options import validate_options
from edx_ace.render_pool import Rendering, RenderPool
from edx_ace.result import ChannelOutcome, DeliveryStatus, SendResult
from edx_ace.validators import optional_aware_datetime

log = logging.getLogger(__name__)


def send(msg: Message, limit_to_channels: Iterable[ChannelType | str] | None = None) -> SendResult:
    """
    Send a message to its recipient over every channel type the policies allow.

    The message is rendered and delivered once per allowed channel type. A failure on one
    channel type (a missing template, an invalid recipient, a transport error) is logged
    with the message's log id and recorded in the result. It never stops the other channel
    types, and ``send()`` returns normally, so a caller's loop over many recipients goes on.

    Args:
        msg: The :class:`~edx_ace.message.Message` to send.
        limit_to_channels: If given, a list of the channel types and channel names that
            may be used. A channel type is rendered and delivered when its ``ChannelType``
            is listed, or when the name of the channel routing chooses for it is listed
            (such as ``"file_email"``). It narrows what the policies allow and never
            widens it, nor changes which channel routing chooses; an empty list delivers
            nothing.

    Returns:
        A :class:`~edx_ace.result.SendResult` with one outcome per channel type.

    Raises:
        TypeError: ``msg`` is not a Message, or ``limit_to_channels`` contains something
            other than ChannelType values and channel names. These are mistakes in the
            calling code.
    """
    return send_message(msg, limit_to_channels=limit_to_channels)


def send_many(
    messages: Iterable[Message],
    limit_to_channels: Iterable[ChannelType | str] | None = None,
    *,
    render_processes: int | None = None,
) -> list[SendResult]:
    """
    Send each message as ``send()`` does, reusing one email connection per chunk of messages.

    Messages are sent in order, in chunks of ``ACE_SEND_MANY_CHUNK_SIZE``, and the Django
    email channel sends a chunk over one connection of the email backend. A failure is
    recorded in that message's result, as ``send()`` records it, and never stops the
    messages after it. An item that is not a :class:`~edx_ace.message.Message` gets a
    result with FAILED outcomes. ``messages`` may be a generator, which is read one chunk
    at a time.

    To keep a large batch's results small, each outcome's ``error`` is kept without its
    traceback, which would keep the message and its context in memory (the traceback was
    logged when the error happened). A channel type that has no enabled channel gets a
    shared SKIPPED outcome whose ``error`` is ``None``; its ``reason`` and ``code`` give the cause.

    With ``render_processes`` above 0 (default: ``ACE_SEND_MANY_RENDER_PROCESSES``, 0),
    that many forked worker processes render the next chunk while this process delivers
    the current one; see :mod:`edx_ace.render_pool`. The policies and routing of a chunk
    then run before the previous chunk is delivered. The results are the same.

    Returns:
        One :class:`~edx_ace.result.SendResult` per message, in the order of ``messages``.

    Raises:
        TypeError: ``limit_to_channels`` contains something other than ChannelType values
            or channel names.
        ValueError: ``ACE_SEND_MANY_CHUNK_SIZE`` is not a positive integer, or
            ``render_processes`` (or ``ACE_SEND_MANY_RENDER_PROCESSES``) is not an integer >= 0.
    """
    if limit_to_channels is not None and not isinstance(limit_to_channels, ChannelType | str):
        limit_to_channels = list(limit_to_channels)
    # Checked once here, so a wrong argument raises before any message is sent.
    limit = _check_limit(limit_to_channels)
    chunk_size = _chunk_size()
    processes = _render_processes(render_processes)
    iterator = iter(messages)
    chunks = iter(lambda: list(itertools.islice(iterator, chunk_size)), [])

    if processes == 0:
        results: list[SendResult] = []
        for chunk in chunks:
            with connections.batch():
                results.extend(_finish_one_of_many(_plan_one_of_many(msg, limit)) for msg in chunk)
        return results

    with RenderPool(processes) as pool:
        return _send_rendering_ahead(chunks, limit, pool)


def _send_rendering_ahead(chunks: Iterator[list], limit: _Limit | None, pool: RenderPool) -> list[SendResult]:
    """
    Send the chunks while ``pool`` renders the chunk after the one being delivered.

    The policies and routing of a chunk run in this process before the previous chunk is
    delivered. Rendering runs in the pool, and delivery runs here, in order.
    """
    results: list[SendResult] = []

    def start(chunk: list) -> tuple[list, Rendering]:
        plans = [_plan_one_of_many(msg, limit) for msg in chunk]
        # A message that a policy denied, or that no channel serves, has nothing to render.
        work = [(plan.msg, plan.channels()) for plan in plans if isinstance(plan, _Plan) and plan.channels()]
        return plans, pool.render(work)

    current = start(next(chunks, []))
    while current[0]:
        following = start(next(chunks, []))
        plans, rendering = current
        with connections.batch():
            rendered_index = 0
            for plan in plans:
                rendered = {}
                if isinstance(plan, _Plan) and plan.channels():
                    rendered = rendering.get(rendered_index)
                    rendered_index += 1
                results.append(_finish_one_of_many(plan, rendered))
        current = following
    return results


def _plan_one_of_many(msg, limit: _Limit | None) -> _Plan | SendResult:
    """Run the policies and routing of one message of ``send_many()``, or return its final result when they fail."""
    try:
        return _plan(msg, limit, caller="ace.send_many()")
    except Exception as error:
        return _failed_one_of_many(msg, error)


def _finish_one_of_many(plan: _Plan | SendResult, rendered: dict[str, Any] | None = None) -> SendResult:
    """Render and deliver one planned message of ``send_many()`` and return its compacted result."""
    if isinstance(plan, SendResult):
        result = plan
    else:
        try:
            result = _complete(plan, wait_for_retries=True, rendered=rendered)
        except Exception as error:
            result = _failed_one_of_many(plan.msg, error)
    _compact(result)
    return result


def _failed_one_of_many(msg, error: Exception) -> SendResult:
    log_id = msg.log_id if isinstance(msg, Message) else f"<{type(msg).__name__}, not a Message>"
    log.error("[%s] ace.send_many() could not send this message", log_id, exc_info=error)
    result = SendResult(log_id=log_id)
    for channel_type in ChannelType:
        reason = f"{type(error).__name__}: {error}"
        result.outcomes.append(
            ChannelOutcome(
                channel_type, DeliveryStatus.FAILED, reason=reason, error=error, code=outcomes.UNEXPECTED_ERROR
            )
        )
    return result


def _compact(result: SendResult) -> None:
    """
    Shrink a result that ``send_many()`` keeps until the whole batch is sent.

    A channel type without an enabled channel gets one shared SKIPPED outcome whose reason
    names the missing channel and whose ``error`` is ``None``. Every other error loses its
    traceback.
    """
    for index, outcome in enumerate(result.outcomes):
        if outcome.status is DeliveryStatus.SKIPPED and isinstance(outcome.error, UnsupportedChannelError):
            result.outcomes[index] = _shared_skip(attr.evolve(outcome, error=None))
        else:
            _drop_traceback(outcome.error)


@functools.lru_cache(maxsize=64)
def _shared_skip(outcome: ChannelOutcome) -> ChannelOutcome:
    """Return the first outcome equal to ``outcome``, so equal outcomes share one object."""
    return outcome


def _drop_traceback(error: BaseException | None) -> None:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def _render_processes(argument: int | None) -> int:
    if argument is not None:
        if isinstance(argument, bool) or not isinstance(argument, int) or argument < 0:
            raise ValueError(
                f"render_processes must be an integer >= 0, got {argument!r:.80}; pass 0 to render in the calling "
                "process, or the number of spare cores"
            )
        return argument
    processes = conf.get("ACE_SEND_MANY_RENDER_PROCESSES")
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 0:
        raise ValueError(
            f"ACE_SEND_MANY_RENDER_PROCESSES must be an integer >= 0, got {processes!r:.80}; set it to 0 to render "
            "in the calling process, or to the number of spare cores"
        )
    return processes


def _chunk_size() -> int:
    size = conf.get("ACE_SEND_MANY_CHUNK_SIZE")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(
            f"ACE_SEND_MANY_CHUNK_SIZE must be a positive integer, got {size!r}; set it to a whole number such as 100"
        )
    return size


def send_message(
    msg: Message,
    *,
    limit_to_channels: Iterable[ChannelType | str] | None = None,
    wait_for_retries: bool = True,
) -> SendResult:
    """
    Run the pipeline for one message; ``send()`` with the option a task queue needs.

    With ``wait_for_retries`` false, a recoverable delivery error ends that channel type's
    attempt with the status ``DEFERRED`` and its ``next_attempt_time`` instead of sleeping.
    """
    return _complete(_plan(msg, _check_limit(limit_to_channels)), wait_for_retries)


@attr.s(slots=True)
class _Plan:
    """
    A message whose policies and routing ran: what is left is rendering and delivery.

    ``steps`` has one entry per channel type, in ``ChannelType`` order: the final
    ``ChannelOutcome``, or the ``Channel`` that routing chose to render and deliver over.
    """

    msg: Message = attr.ib()
    logger = attr.ib()
    result: SendResult = attr.ib()
    steps: list[ChannelOutcome | Channel] = attr.ib()

    def channels(self) -> list[Channel]:
        return [step for step in self.steps if isinstance(step, Channel)]


def _plan(msg: Message, limit: _Limit | None, caller: str = "ace.send()") -> _Plan:
    """
    Check ``msg``, run the policies, and choose a channel for each channel type they allow.

    Raises:
        TypeError: ``msg`` is not a Message; the error names ``caller``.
    """
    if isinstance(msg, MessageType):
        raise TypeError(
            f"{caller} takes an edx_ace.Message, got the message type {type(msg).__name__}; call "
            "msg_type.personalize(recipient, language, user_context) and send the message it returns"
        )
    if not isinstance(msg, Message):
        raise TypeError(f"{caller} takes an edx_ace.Message, got {type(msg).__name__} ({msg!r:.80})")
    logger = msg.get_message_specific_logger(log)
    result = SendResult(log_id=msg.log_id, language=language.language_for(msg))

    msg.report_basics()
    msg.report("edx_ace.language_used", result.language)

    invalid = _invalid_outcomes(msg, logger)
    if invalid:
        return _Plan(msg, logger, result, list(invalid))

    try:
        denied = policy.denials(msg)
    except Exception as error:
        # A policy that fails cannot decide whether the recipient may be contacted, so no
        # channel is used.
        logger.exception("A policy raised an error, so the message is not sent")
        failed = [
            ChannelOutcome(
                channel_type,
                DeliveryStatus.FAILED,
                reason=f"a policy raised {error!r}",
                error=error,
                code=outcomes.POLICY_FAILED,
            )
            for channel_type in ChannelType
        ]
        return _Plan(msg, logger, result, list(failed))

    steps: list[ChannelOutcome | Channel] = []
    for channel_type in ChannelType:
        if channel_type in denied:
            names = ", ".join(denied[channel_type])
            steps.append(
                ChannelOutcome(
                    channel_type, DeliveryStatus.DENIED, reason=f"denied by {names}", code=outcomes.DENIED_BY_POLICY
                )
            )
        elif limit is not None and not limit.may_use(channel_type):
            steps.append(
                ChannelOutcome(
                    channel_type, DeliveryStatus.SKIPPED, reason="not in limit_to_channels", code=outcomes.NOT_IN_LIMIT
                )
            )
        else:
            steps.append(_choose_channel(channel_type, msg, limit))
    return _Plan(msg, logger, result, steps)


def _complete(plan: _Plan, wait_for_retries: bool, rendered: dict[str, Any] | None = None) -> SendResult:
    """
    Render and deliver a planned message over its chosen channels, report, and return the result.

    ``rendered`` contains content already rendered for some channels, by channel name; the
    others are rendered here.
    """
    for step in plan.steps:
        if isinstance(step, ChannelOutcome):
            plan.result.outcomes.append(step)
            continue
        content = (rendered or {}).get(step.channel_name, _NOT_RENDERED)
        plan.result.outcomes.append(_render_and_deliver(step, plan.msg, plan.logger, wait_for_retries, content))

    _report_outcomes(plan.msg, plan.result)
    return plan.result


def _invalid_outcomes(msg: Message, logger) -> list[ChannelOutcome]:
    """
    Return an INVALID outcome per channel type when the options, headers or expiration time are invalid.

    The message validated them when it was created. This check catches changes made
    since then, before any policy or channel reads them. It returns an empty list when
    they are valid.
    """
    try:
        validate_options(msg.options, log_id=msg.log_id)
        validate_headers(msg.headers, log_id=msg.log_id)
        _check_expiration_time(msg)
    except InvalidMessageError as error:
        return [
            ChannelOutcome(
                channel_type,
                DeliveryStatus.INVALID,
                reason=error.message,
                error=error,
                code=error.code or outcomes.INVALID_MESSAGE,
            )
            for channel_type in ChannelType
        ]
    return []


def _check_expiration_time(msg: Message) -> None:
    # A naive time set after construction would fail the comparison with the aware
    # current time deep inside delivery.
    try:
        optional_aware_datetime(msg, attr.fields(Message).expiration_time, msg.expiration_time)
    except (TypeError, ValueError) as error:
        raise InvalidMessageError(str(error), log_id=msg.log_id, code="invalid_expiration_time") from None


class _Limit:
    """The channel types and channel names of a ``limit_to_channels`` argument."""

    def __init__(self, types: set[ChannelType], names: set[str]):
        self.types = types
        self.names = names
        self.types_of_names = {
            channel.channel_type for channel in channel_module.enabled_channels() if channel.channel_name in names
        }

    def may_use(self, channel_type: ChannelType) -> bool:
        """Return whether some channel of ``channel_type`` may be used, before routing chooses one."""
        return channel_type in self.types or channel_type in self.types_of_names

    def allows(self, channel: Channel) -> bool:
        """Return whether the channel that routing chose may be used."""
        return channel.channel_type in self.types or channel.channel_name in self.names


def _check_limit(limit_to_channels) -> _Limit | None:
    if limit_to_channels is None:
        return None
    if isinstance(limit_to_channels, ChannelType | str):
        raise TypeError(
            f"limit_to_channels must be a list of ChannelType values or channel names, got the single value "
            f"{limit_to_channels!r}; wrap it in a list"
        )

    types: set[ChannelType] = set()
    names: set[str] = set()
    for entry in limit_to_channels:
        if isinstance(entry, ChannelType):
            types.add(entry)
        elif isinstance(entry, str) and entry in _channel_names():
            names.add(entry)
        else:
            enabled = ", ".join(sorted(channel.channel_name for channel in channel_module.enabled_channels()))
            raise TypeError(
                f"limit_to_channels contains {entry!r} ({type(entry).__name__}), which is neither a ChannelType nor "
                f"a channel name; use ChannelType values such as ChannelType.EMAIL or channel names "
                f"(enabled: {enabled or 'none'})"
            )
    return _Limit(types, names)


def _channel_names() -> set[str]:
    """
    Return every name that ``limit_to_channels`` accepts as a channel name.

    Besides the enabled channels, it contains the names in ``ACE_ENABLED_CHANNELS`` and
    the installed channel plugins. Code that names a channel therefore does not raise in a
    deployment where that channel is disabled, and the channel is never chosen there.
    """
    names = set(conf.get("ACE_ENABLED_CHANNELS") or ())
    names.update(entry_point.name for entry_point in entry_points(group=channel_module.CHANNEL_NAMESPACE))
    names.update(channel.channel_name for channel in channel_module.enabled_channels())
    return names


#: Marks a channel whose content is still to be rendered.
_NOT_RENDERED = object()


def _choose_channel(channel_type: ChannelType, msg: Message, limit: _Limit | None) -> Channel | ChannelOutcome:
    """Return the channel routing chooses for ``msg`` and ``channel_type``, or the outcome when there is none."""
    try:
        channel = channel_module.get_channel_for_message(channel_type, msg)
    except UnsupportedChannelError as error:
        return ChannelOutcome(
            channel_type, DeliveryStatus.SKIPPED, reason=error.message, error=error, code=outcomes.NO_CHANNEL
        )
    except InvalidMessageError as error:
        return ChannelOutcome(
            channel_type,
            DeliveryStatus.INVALID,
            reason=error.message,
            error=error,
            code=error.code or outcomes.INVALID_MESSAGE,
        )
    except Exception as error:
        return ChannelOutcome(
            channel_type,
            DeliveryStatus.SKIPPED,
            reason=f"channel unavailable: {error}",
            error=error,
            code=outcomes.CHANNEL_UNAVAILABLE,
        )

    if limit is not None and not limit.allows(channel):
        name = channel.channel_name
        return ChannelOutcome(
            channel_type,
            DeliveryStatus.SKIPPED,
            channel_name=name,
            reason=f"{name} is not in limit_to_channels",
            code=outcomes.NOT_IN_LIMIT,
        )
    return channel


def _render_and_deliver(
    channel: Channel, msg: Message, logger, wait_for_retries: bool, rendered: Any = _NOT_RENDERED
) -> ChannelOutcome:
    """Render ``msg`` for ``channel`` unless ``rendered`` contains its content, deliver it, and return what happened."""
    if rendered is _NOT_RENDERED:
        try:
            rendered = presentation.render(channel, msg)
        except Exception as error:
            return _outcome(
                channel, DeliveryStatus.FAILED, outcomes.rendering_reason(error), error, outcomes.RENDERING_FAILED
            )

    try:
        receipt = delivery.deliver_to_channel(channel, rendered, msg, wait_for_retries=wait_for_retries)
    except MessageExpiredError as error:
        return _outcome(channel, DeliveryStatus.EXPIRED, error.message, error, outcomes.EXPIRED)
    except InvalidMessageError as error:
        return _outcome(channel, DeliveryStatus.INVALID, error.message, error, error.code or outcomes.INVALID_MESSAGE)
    except RecoverableChannelDeliveryError as error:
        return ChannelOutcome(
            channel.channel_type,
            DeliveryStatus.DEFERRED,
            channel_name=channel.channel_name,
            reason=error.message,
            error=error,
            next_attempt_time=error.next_attempt_time,
            code=error.code or outcomes.RETRY_LATER,
        )
    except (FatalChannelDeliveryError, ChannelError) as error:
        return _outcome(channel, DeliveryStatus.FAILED, error.message, error, error.code or outcomes.DELIVERY_FAILED)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        return _outcome(channel, DeliveryStatus.FAILED, reason, error, outcomes.UNEXPECTED_ERROR)

    _announce_delivery(channel, msg, logger)
    return ChannelOutcome(
        channel.channel_type,
        DeliveryStatus.DELIVERED,
        channel_name=channel.channel_name,
        reason="delivered",
        receipt=receipt,
        code=outcomes.DELIVERED,
    )


def _announce_delivery(channel: Channel, msg: Message, logger) -> None:
    # A receiver of ACE_MESSAGE_SENT must not turn a delivered message into a failed one,
    # so any error here is logged and the outcome stays DELIVERED.
    try:
        signals.send_message_sent(channel, msg)
    except Exception:
        logger.exception("Sending ACE_MESSAGE_SENT after delivery over %s failed", channel.channel_name)


def _outcome(channel: Channel, status: DeliveryStatus, reason: str, error: BaseException, code: str) -> ChannelOutcome:
    return ChannelOutcome(
        channel.channel_type, status, channel_name=channel.channel_name, reason=reason, error=error, code=code
    )


def _report_outcomes(msg: Message, result: SendResult) -> None:
    logger = msg.get_message_specific_logger(log)
    for outcome in result.outcomes:
        outcomes.log_outcome(logger, outcome)
        outcomes.report_outcome(msg, outcome)
