"""
Records of which channel types delivered a message, kept in a Django cache.

A task queue that redelivers a task (because the worker died before acknowledging it)
reads these records to skip the channel types that already delivered the message. A
record is keyed by the message's ``uuid`` and the channel type, so it stays valid across
retries and redeliveries of the same message.

The setting ``ACE_DELIVERY_RECORD_CACHE`` names the cache alias and
``ACE_DELIVERY_RECORD_TIMEOUT`` the seconds a record is kept. The cache must be shared
by every worker process (Redis or Memcached, not the per-process ``LocMemCache``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.cache import caches

from edx_ace import conf
from edx_ace.channel import ChannelType

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache

    from edx_ace.message import Message

KEY_PREFIX = "edx_ace:delivered"


def record_key(message: Message, channel_type: ChannelType) -> str:
    """Return the cache key of the record for ``message`` on ``channel_type``."""
    return f"{KEY_PREFIX}:{message.uuid}:{channel_type.value}"


def record_cache() -> BaseCache:
    """Return the cache named by ``ACE_DELIVERY_RECORD_CACHE``."""
    return caches[conf.get("ACE_DELIVERY_RECORD_CACHE")]


def delivered_channel_types(message: Message, channel_types: Iterable[ChannelType] = ChannelType) -> set[ChannelType]:
    """
    Return the channel types among ``channel_types`` that have a delivery record for ``message``.

    Raises:
        Exception: whatever the cache backend raises when it cannot be read (for example a
            ``redis.ConnectionError``); the caller cannot tell then what was delivered.
    """
    keys = {record_key(message, channel_type): channel_type for channel_type in channel_types}
    found = record_cache().get_many(list(keys))
    return {keys[key] for key in found}


def record_delivery(message: Message, channel_type: ChannelType, channel_name: str | None) -> None:
    """
    Record that ``channel_name`` delivered ``message`` over ``channel_type``.

    The record's value is the channel name, so an operator reading the cache can tell which
    channel delivered.
    """
    record_cache().set(
        record_key(message, channel_type),
        channel_name or "",
        timeout=conf.get("ACE_DELIVERY_RECORD_TIMEOUT"),
    )


def forget_deliveries(message: Message) -> None:
    """Delete every delivery record of ``message``, so that it can be sent again on purpose."""
    record_cache().delete_many([record_key(message, channel_type) for channel_type in ChannelType])
