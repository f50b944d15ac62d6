"""
The outcome of one ``ace.send()``: what happened on each channel type, and why.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attr

if TYPE_CHECKING:
    from edx_ace.channel import ChannelType


class DeliveryStatus(StrEnum):
    """The status of a message on one channel type."""

    #: A channel handed the message to its transport, which accepted it.
    DELIVERED = "delivered"
    #: A policy denied the channel type.
    DENIED = "denied"
    #: The channel type was not tried: excluded by ``limit_to_channels``, or no channel is available.
    SKIPPED = "skipped"
    #: The message expired before it could be delivered.
    EXPIRED = "expired"
    #: The message lacks what the channel needs (``InvalidMessageError``).
    INVALID = "invalid"
    #: Rendering or delivery failed and will not be retried.
    FAILED = "failed"
    #: Delivery failed for now and the caller asked to retry later itself.
    DEFERRED = "deferred"


# Slots keep the results of a large ace.send_many() batch small.
@attr.s(frozen=True, slots=True)
class ChannelOutcome:
    """
    The outcome of a message on one channel type.

    Attributes:
        channel_type: The :class:`~edx_ace.channel.ChannelType`.
        status: A :class:`DeliveryStatus`.
        channel_name: The channel used or chosen, or ``None`` when none was.
        reason: A sentence for people: why the status is what it is.
        error: The exception behind a failure, or ``None``.
        receipt: What the channel returned on delivery (a file path, a provider's id).
        next_attempt_time: For ``DEFERRED``, when to try again.
        code: A short, stable reason for monitoring and for code that branches on it, such
            as ``"no_address"`` or ``"backend_accepted_none"``. The docs page "Outcomes of a
            send" lists them all.
    """

    channel_type: ChannelType = attr.ib()
    status: DeliveryStatus = attr.ib()
    channel_name: str | None = attr.ib(default=None)
    reason: str = attr.ib(default="")
    error: BaseException | None = attr.ib(default=None, eq=False)
    receipt: Any = attr.ib(default=None)
    next_attempt_time: Any = attr.ib(default=None)
    code: str = attr.ib(default="")

    @property
    def delivered(self) -> bool:
        return self.status is DeliveryStatus.DELIVERED


@attr.s(slots=True)
class SendResult:
    """
    The outcome of ``ace.send()`` for one message: one :class:`ChannelOutcome` per channel type.

    ``bool(result)`` is true when at least one channel delivered the message.

    ``language`` is the language code the templates were rendered in: ``Message.language``
    matched against ``LANGUAGES``, ``LANGUAGE_CODE`` when it matched nothing, or the active
    language when the message has none.
    """

    log_id: str = attr.ib()
    outcomes: list[ChannelOutcome] = attr.ib(factory=list)
    language: str | None = attr.ib(default=None)

    @property
    def delivered(self) -> bool:
        """Whether at least one channel delivered the message."""
        return any(outcome.delivered for outcome in self.outcomes)

    def outcome_for(self, channel_type: ChannelType) -> ChannelOutcome | None:
        """Return the outcome for ``channel_type``, or ``None`` when it has none."""
        for outcome in self.outcomes:
            if outcome.channel_type == channel_type:
                return outcome
        return None

    def __bool__(self) -> bool:
        return self.delivered

    def __iter__(self):
        return iter(self.outcomes)
