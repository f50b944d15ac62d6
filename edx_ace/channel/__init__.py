"""
Delivery channels: the :class:`Channel` extension point, the :class:`ChannelType` values,
and the registry of enabled channels.

To add a channel, subclass :class:`Channel` and register the class under the entry point
group ``openedx.ace.channel`` in your package's metadata. Then list its name in the
setting ``ACE_ENABLED_CHANNELS``.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

from edx_ace import conf
from edx_ace.errors import InvalidMessageError, UnsupportedChannelError
from edx_ace.options import get_option
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

    # Every concrete channel sets a ChannelType. The base keeps None, which the annotation
    # leaves out so that callers need no None check.
    channel_type: ChannelType = None  # type: ignore[assignment]

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
        """
        Return whether this channel claims ``message`` over the routing settings.

        ACE calls it only when a routing setting of the channel's type is set (see
        :func:`get_channel_for_message`), and the option ``override_default_channel`` still
        takes precedence over a claim.
        """
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
        # get_plugins() instantiates every extension it returns, so obj is set.
        channel = cast(Channel, extension.obj)
        channel.name = extension.name
        loaded.append(channel)
    return loaded


#: The routing settings of each channel type: the setting that names its default channel,
#: and the setting that names its channel for transactional messages (or ``None``).
ROUTING_SETTINGS: dict[ChannelType, tuple[str, str | None]] = {
    ChannelType.EMAIL: ("ACE_CHANNEL_DEFAULT_EMAIL", "ACE_CHANNEL_TRANSACTIONAL_EMAIL"),
    ChannelType.PUSH: ("ACE_CHANNEL_DEFAULT_PUSH", None),
}


def enabled_channels() -> list[Channel]:
    """
    Return every enabled channel, in the order of ``ACE_ENABLED_CHANNELS``.

    Unlike :func:`channels`, it may contain several channels of one type, and the routing
    settings choose among them.
    """
    return list(_loaded_channels())


def routing_settings(channel_type: ChannelType) -> dict[str, str]:
    """Return the routing settings of ``channel_type`` that are set, as ``{setting: channel name}``."""
    names = {}
    for setting in ROUTING_SETTINGS.get(channel_type, ()):
        if setting is None:
            continue
        value = conf.get(setting)
        if value:
            names[setting] = value
    return names


def channels() -> dict[ChannelType, Channel]:
    """
    Return the enabled channels, one per channel type: the default channel of each type.

    The setting ``ACE_ENABLED_CHANNELS`` names the plugins (entry points of the group
    ``openedx.ace.channel``) to use. A plugin whose ``enabled()`` is false is left out.
    When several enabled channels share a type, the routing setting
    ``ACE_CHANNEL_DEFAULT_<TYPE>`` (such as ``ACE_CHANNEL_DEFAULT_EMAIL``) names the one
    returned here.

    Raises:
        ValueError: two enabled plugins have the same channel type and no routing setting
            names the default one, or a routing setting names a channel that is not enabled.
    """
    by_type: dict[ChannelType, Channel] = {}
    for channel in enabled_channels():
        channel_type = channel.channel_type
        if channel_type is None or channel_type in by_type:
            continue
        default = default_channel(channel_type)
        if default is not None:
            by_type[channel_type] = default
    return by_type


def default_channel(channel_type: ChannelType) -> Channel | None:
    """
    Return the channel that sends messages of ``channel_type`` unless routing chooses another.

    It is the channel named by ``ACE_CHANNEL_DEFAULT_<TYPE>`` when that setting is set, else
    the only enabled channel of the type, else ``None`` when the type has none.

    Raises:
        ValueError: the type has several enabled channels and no default is named, or the
            setting names a channel that is not enabled or has another type.
    """
    default_setting = ROUTING_SETTINGS[channel_type][0] if channel_type in ROUTING_SETTINGS else None
    if default_setting and conf.get(default_setting):
        return channel_named_by_setting(default_setting, conf.get(default_setting), channel_type)

    candidates = [channel for channel in enabled_channels() if channel.channel_type == channel_type]
    if not candidates:
        return None
    if len(candidates) > 1:
        names = " and ".join(repr(channel.channel_name) for channel in candidates)
        fix = f"name the one to use in {default_setting}, or " if default_setting else ""
        raise ValueError(
            f"ACE_ENABLED_CHANNELS enables {_count(len(candidates))} {channel_type} channels, {names}; "
            f"{fix}enable only one channel per channel type"
        )
    return candidates[0]


def channel_named_by_setting(setting: str, name: str, channel_type: ChannelType) -> Channel:
    """
    Return the enabled channel called ``name``, which the routing setting ``setting`` names.

    Raises:
        ValueError: no enabled channel has that name, or it is not a ``channel_type`` channel.
            A routing setting never falls back to another channel.
    """
    enabled = enabled_channels()
    for channel in enabled:
        if channel.channel_name != name:
            continue
        if channel.channel_type != channel_type:
            raise ValueError(
                f"{setting} is {name!r}, which is a {channel.channel_type} channel; name a {channel_type} channel"
            )
        return channel
    known = ", ".join(channel.channel_name for channel in enabled) or "none"
    raise ValueError(
        f"{setting} is {name!r}, which is not an enabled channel (enabled: {known}); add it to "
        f"ACE_ENABLED_CHANNELS and complete its settings, or change {setting}"
    )


def get_channel_for_message(channel_type: ChannelType, message: Message) -> Channel:
    """
    Return the channel that delivers ``message`` over ``channel_type``.

    The first rule that applies chooses the channel:

    1. the channel named by ``message.options["override_default_channel"]``, when it has
       this type;
    2. without a routing setting for this type, the one enabled channel of the type
       (two channels of one type are an error, as in 0.1.5);
    3. the first enabled channel of this type whose
       :meth:`Channel.overrides_delivery_for_message` returns true;
    4. for email, the channel named by ``ACE_CHANNEL_TRANSACTIONAL_EMAIL`` when the
       message's option ``transactional`` is true;
    5. the default channel of the type (see :func:`default_channel`).

    Raises:
        UnsupportedChannelError: no enabled channel has this type.
        InvalidMessageError: the option ``override_default_channel`` names no enabled
            channel, or an option used for routing has the wrong type.
        ValueError: the enabled channels or the routing settings are misconfigured.
    """
    override = get_option(message, "override_default_channel")
    if override:
        chosen = _channel_for_override(override, message)
        if chosen.channel_type == channel_type:
            return chosen

    settings_set = routing_settings(channel_type)
    if not settings_set:
        only = default_channel(channel_type)
        if only is None:
            raise _unsupported(channel_type, message)
        return only

    candidates = [channel for channel in enabled_channels() if channel.channel_type == channel_type]
    if not candidates:
        raise _unsupported(channel_type, message)

    for channel in candidates:
        if channel.overrides_delivery_for_message(message):
            return channel

    transactional_setting = ROUTING_SETTINGS[channel_type][1]
    if transactional_setting in settings_set and get_option(message, "transactional", False):
        return channel_named_by_setting(transactional_setting, settings_set[transactional_setting], channel_type)

    default = default_channel(channel_type)
    if default is None:
        raise _unsupported(channel_type, message)
    return default


def _channel_for_override(name: str, message: Message) -> Channel:
    enabled = enabled_channels()
    for channel in enabled:
        if channel.channel_name == name:
            return channel
    known = ", ".join(channel.channel_name for channel in enabled) or "none"
    raise InvalidMessageError(
        f"options['override_default_channel'] is {name!r}, which is not an enabled channel (enabled: {known}); "
        "name an enabled channel or remove the option",
        log_id=message.log_id,
    )


def _unsupported(channel_type: ChannelType, message: Message) -> UnsupportedChannelError:
    return UnsupportedChannelError(f"no enabled {channel_type} channel", log_id=message.log_id)


def _count(number: int) -> str:
    words = {2: "two", 3: "three", 4: "four"}
    return words.get(number, str(number))


def clear_caches() -> None:
    """Forget the loaded channels so the next send loads them from the current settings."""
    _loaded_channels.cache_clear()
