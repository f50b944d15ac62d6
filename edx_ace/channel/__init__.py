"""
Delivery channels: the :class:`Channel` extension point, the :class:`ChannelType` values,
and the registry of enabled channels.

To add a channel, subclass :class:`Channel` and register the class under the entry point
group ``openedx.ace.channel`` in your package's metadata; then list its name in the
setting ``ACE_ENABLED_CHANNELS``.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import TYPE_CHECKING, Any

from edx_ace import conf
from edx_ace.errors import UnsupportedChannelError
from edx_ace.utils.once import once
from edx_ace.utils.plugins import check_plugin_names, get_plugins

if TYPE_CHECKING:
    from edx_ace.message import Message

log = logging.getLogger(__name__)

CHANNEL_NAMESPACE = "openedx.ace.channel"


class ChannelType(Enum):
    """All supported communication channels."""

    EMAIL = "email"
    PUSH = "push"

    def __str__(self) -> str:
        return self.value


class Channel:
    """
    Base class of channels, which deliver messages that passed the policy and presentation steps.

    Subclasses set ``channel_type`` to a :class:`ChannelType` and implement ``deliver()``.
    ACE creates one instance per enabled channel without arguments, so a channel reads
    its settings itself, when it is created or used.
    """

    channel_type: ChannelType | None = None

    #: The entry point name this channel was loaded under; set by the registry.
    name: str | None = None

    @classmethod
    def enabled(cls) -> bool:
        """Return whether the settings this channel needs are complete."""
        return not cls.configuration_problems()

    @classmethod
    def configuration_problems(cls) -> list[str]:
        """
        Return one sentence per missing or invalid setting, each naming the setting and the fix.

        An empty list means the channel can be used. ``enabled()`` and the system checks use it.
        """
        return []

    def deliver(self, message: Message, rendered_message: Any) -> Any:
        """
        Transmit a rendered message to its recipient.

        Returns:
            A receipt for the caller's send result, such as a provider's message id or a
            file path, or ``None``.

        Raises:
            InvalidMessageError: the message lacks what this channel needs.
            RecoverableChannelDeliveryError: try again at its ``next_attempt_time``.
            FatalChannelDeliveryError: do not try again.
        """
        raise NotImplementedError(f"{type(self).__qualname__} must implement deliver()")

    def overrides_delivery_for_message(self, message: Message) -> bool:
        """Return whether this channel claims ``message`` over the configured routing."""
        return False

    @property
    def channel_name(self) -> str:
        """The entry point name of this channel, or its class name when it was not loaded by name."""
        return self.name or type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.channel_name!r} ({self.channel_type})>"


@once
def _loaded_channels() -> list[Channel]:
    names = check_plugin_names("ACE_ENABLED_CHANNELS", conf.get("ACE_ENABLED_CHANNELS"))
    loaded = []
    for extension in get_plugins(CHANNEL_NAMESPACE, names):
        channel = extension.obj
        channel.name = extension.name
        loaded.append(channel)
    return loaded


def channels() -> dict[ChannelType, Channel]:
    """
    Return the enabled channels, one per channel type.

    The setting ``ACE_ENABLED_CHANNELS`` names the plugins (entry points of the group
    ``openedx.ace.channel``) to use. A plugin whose ``enabled()`` is false is left out.

    Raises:
        ValueError: two enabled plugins have the same channel type.
    """
    by_type: dict[ChannelType, Channel] = {}
    for channel in _loaded_channels():
        other = by_type.get(channel.channel_type)
        if other is not None:
            raise ValueError(
                f"ACE_ENABLED_CHANNELS enables two {channel.channel_type} channels, {other.channel_name!r} and "
                f"{channel.channel_name!r}; enable only one channel per channel type"
            )
        by_type[channel.channel_type] = channel
    return by_type


def get_channel_for_message(channel_type: ChannelType, message: Message) -> Channel:
    """
    Return the channel that delivers ``message`` over ``channel_type``.

    Raises:
        UnsupportedChannelError: no enabled channel has this type.
        ValueError: the enabled channels are misconfigured (see :func:`channels`).
    """
    available = channels()
    try:
        return available[channel_type]
    except KeyError:
        raise UnsupportedChannelError(f"no enabled {channel_type} channel", log_id=message.log_id) from None


def clear_caches() -> None:
    """Forget the loaded channels so the next send loads them from the current settings."""
    _loaded_channels.cache_clear()
