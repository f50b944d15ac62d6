"""
Helpers for the test suites of applications that send messages with ACE.

``patch_channels`` and ``patch_policies`` replace the enabled channels or policies for
one test and restore them when it ends. They take any object with ``addCleanup()``,
such as a ``unittest.TestCase``; with pytest, use them inside a ``TestCase`` or pass
an object that collects cleanups.
"""

from __future__ import annotations

from collections.abc import Iterable
from unittest import mock

from edx_ace.channel import Channel, ChannelType
from edx_ace.policy import Policy, PolicyResult


class StubPolicy(Policy):
    """A policy that denies the same channel types for every message."""

    def __init__(self, deny_value: Iterable[ChannelType]):
        super().__init__()
        self.deny_value = set(deny_value)

    def check(self, message):
        return PolicyResult(deny=set(self.deny_value))


def patch_channels(test_case, channels: Iterable[Channel]):
    """
    Set the active channels for the duration of a test.

    The channels take the place of those that ``ACE_ENABLED_CHANNELS`` enables, and
    routing chooses among them as it does among real channels. With several channels of
    one type, set the routing setting of that type (such as ``ACE_CHANNEL_DEFAULT_EMAIL``)
    to the name of one of them.

    Args:
        test_case: The running test; its ``addCleanup()`` restores the real channels.
        channels: Channel instances. Channels of one type need distinct names.

    Returns:
        The started patcher.
    """
    channels = list(channels)
    seen: dict[tuple[ChannelType | None, str], Channel] = {}
    for channel in channels:
        key = (channel.channel_type, channel.channel_name)
        if key in seen:
            raise ValueError(
                f"patch_channels got two {channel.channel_type} channels named {channel.channel_name!r}, "
                f"{seen[key]!r} and {channel!r}, which routing cannot tell apart; pass one channel per channel "
                "type, or give each channel its own name and set the routing setting of the type"
            )
        seen[key] = channel

    patcher = mock.patch("edx_ace.channel.enabled_channels", return_value=channels)
    patcher.start()
    test_case.addCleanup(patcher.stop)
    return patcher


def patch_policies(test_case, policies: Iterable[Policy]):
    """
    Set the active policies for the duration of a test.

    Args:
        test_case: The running test; its ``addCleanup()`` restores the real policies.
        policies: Policy instances, applied in order.

    Returns:
        The started patcher.
    """
    patcher = mock.patch("edx_ace.policy.policies", return_value=list(policies))
    patcher.start()
    test_case.addCleanup(patcher.stop)
    return patcher
