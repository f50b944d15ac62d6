"""Tests of the helpers in edx_ace.test_utils, used the way an application's test suite uses them."""

from __future__ import annotations

import pytest
from django.test import SimpleTestCase, override_settings

from edx_ace import channel, policy
from edx_ace.channel import Channel, ChannelType
from edx_ace.channel.file import FileEmailChannel
from edx_ace.message import Message
from edx_ace.policy import Policy, PolicyResult
from edx_ace.recipient import Recipient
from edx_ace.test_utils import StubPolicy, patch_channels, patch_policies


class RecordingEmailChannel(Channel):
    channel_type = ChannelType.EMAIL

    def __init__(self):
        self.delivered = []

    def deliver(self, message, rendered_message):
        self.delivered.append((message, rendered_message))


class RecordingPushChannel(RecordingEmailChannel):
    channel_type = ChannelType.PUSH


def make_message() -> Message:
    return Message(app_label="testapp", name="welcome", recipient=Recipient(username="ada"))


class StubPolicyTest(SimpleTestCase):
    def test_is_policy(self):
        assert isinstance(StubPolicy([]), Policy)

    def test_check_denies_given_types(self):
        stub = StubPolicy([ChannelType.EMAIL])

        assert stub.check(make_message()) == PolicyResult(deny={ChannelType.EMAIL})

    def test_check_empty_denies_nothing(self):
        assert StubPolicy([]).check(make_message()).deny == set()

    def test_check_accepts_any_iterable(self):
        stub = StubPolicy(channel_type for channel_type in [ChannelType.PUSH])

        assert stub.check(make_message()).deny == {ChannelType.PUSH}
        assert stub.check(make_message()).deny == {ChannelType.PUSH}

    def test_check_result_independent(self):
        stub = StubPolicy([ChannelType.EMAIL])

        stub.check(make_message()).deny.add(ChannelType.PUSH)

        assert stub.check(make_message()).deny == {ChannelType.EMAIL}

    def test_copies_deny_value(self):
        deny = [ChannelType.EMAIL]
        stub = StubPolicy(deny)

        deny.append(ChannelType.PUSH)

        assert stub.check(make_message()).deny == {ChannelType.EMAIL}


@override_settings(ACE_ENABLED_CHANNELS=["file_email"])
class PatchChannelsTest(SimpleTestCase):
    def test_replaces_channels(self):
        email = RecordingEmailChannel()

        patch_channels(self, [email])

        assert channel.channels() == {ChannelType.EMAIL: email}

    def test_one_per_type(self):
        email = RecordingEmailChannel()
        push = RecordingPushChannel()

        patch_channels(self, [email, push])

        assert channel.channels() == {ChannelType.EMAIL: email, ChannelType.PUSH: push}

    def test_empty_disables_all(self):
        patch_channels(self, [])

        assert channel.channels() == {}

    def test_routes_messages(self):
        push = RecordingPushChannel()
        patch_channels(self, [push])

        assert channel.get_channel_for_message(ChannelType.PUSH, make_message()) is push

    def test_restores_after_cleanup(self):
        patch_channels(self, [RecordingEmailChannel()])

        self.doCleanups()

        assert isinstance(channel.channels()[ChannelType.EMAIL], FileEmailChannel)

    def test_returns_started_patcher(self):
        patcher = patch_channels(self, [RecordingEmailChannel()])

        patcher.stop()

        assert isinstance(channel.channels()[ChannelType.EMAIL], FileEmailChannel)
        patcher.start()  # so that the cleanup patch_channels registered can stop it

    def test_two_channels_of_one_type(self):
        first = RecordingEmailChannel()
        second = RecordingEmailChannel()

        with pytest.raises(ValueError, match="one channel per channel type") as raised:
            patch_channels(self, [first, second])

        assert repr(first) in str(raised.value)

    def test_two_channels_leave_real_channels(self):
        with pytest.raises(ValueError, match="one channel per channel type"):
            patch_channels(self, [RecordingEmailChannel(), RecordingEmailChannel()])

        assert isinstance(channel.channels()[ChannelType.EMAIL], FileEmailChannel)


@override_settings(ACE_ENABLED_POLICIES=[])
class PatchPoliciesTest(SimpleTestCase):
    def test_replaces_policies(self):
        stub = StubPolicy([ChannelType.EMAIL])

        patch_policies(self, [stub])

        assert policy.policies() == [stub]

    def test_applied_by_channels_for(self):
        patch_policies(self, [StubPolicy([ChannelType.EMAIL])])

        assert policy.channels_for(make_message()) == {ChannelType.PUSH}

    def test_keeps_order(self):
        first = StubPolicy([ChannelType.EMAIL])
        second = StubPolicy([ChannelType.PUSH])

        patch_policies(self, (stub for stub in [first, second]))

        assert policy.policies() == [first, second]

    def test_restores_after_cleanup(self):
        patch_policies(self, [StubPolicy([ChannelType.EMAIL])])

        self.doCleanups()

        assert policy.policies() == []
        assert policy.channels_for(make_message()) == set(ChannelType)
