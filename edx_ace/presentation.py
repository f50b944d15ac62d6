"""
The presentation step of the pipeline: render a message for a channel in the message's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import translation

from edx_ace import language
from edx_ace.channel import Channel, ChannelType
from edx_ace.errors import UnsupportedChannelError
from edx_ace.renderers import AbstractRenderer, EmailRenderer

if TYPE_CHECKING:
    from edx_ace.message import Message

#: The renderer of each channel type.
RENDERERS: dict[ChannelType, AbstractRenderer] = {
    ChannelType.EMAIL: EmailRenderer(),
}


def render(channel: Channel | ChannelType, message: Message) -> Any:
    """
    Return the rendered content of ``message`` for ``channel`` (a channel or a channel type).

    Templates render inside ``translation.override()`` of the message's language as
    :func:`edx_ace.language.normalize` maps it to ``LANGUAGES``, or in the active language
    when the message has none; the caller's language is restored afterwards.

    Raises:
        UnsupportedChannelError: no renderer exists for the channel type.
    """
    channel_type = channel if isinstance(channel, ChannelType) else channel.channel_type
    renderer = RENDERERS.get(channel_type)
    if renderer is None:
        raise UnsupportedChannelError(f"no renderer for {channel_type} messages", log_id=message.log_id)

    code = language.normalize(message.language)
    if code is None:
        return renderer.render(message)
    with translation.override(code):
        return renderer.render(message)
