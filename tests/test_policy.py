"""Tests of PolicyResult, policy denials and channels_for()."""

from __future__ import annotations

import unittest

import pytest

from edx_ace import policy
from edx_ace.channel import ChannelType
from edx_ace.message import Message
from edx_ace.policy import Policy, PolicyResult
from edx_ace.recipient import Recipient
from edx_ace.test_utils import StubPolicy, patch_policies

ALL_CHANNEL_TYPES = set(ChannelType)


@pytest.fixture
def test_case():
    """A TestCase whose cleanups run when the test ends, for patch_policies()."""
    case = unittest.TestCase()
    yield case
    case.doCleanups()


@pytest.fixture
def msg():
    return Message(app_label="testapp", name="welcome", recipient=Recipient(username="ada"))


def named_stub(name, deny):
    stub = StubPolicy(deny)
    stub.name = name
    return stub


class ReturnsNone(Policy):
    def check(self, message):
        return None


class ReturnsSet(Policy):
    def check(self, message):
        return {ChannelType.EMAIL}


# PolicyResult


def test_policy_result_default_denies_nothing():
    assert PolicyResult().deny == set()


@pytest.mark.parametrize("deny", [{ChannelType.EMAIL}, frozenset({ChannelType.PUSH}), set(ChannelType)])
def test_policy_result_accepts_sets(deny):
    assert PolicyResult(deny=deny).deny == deny


@pytest.mark.parametrize("value", ["email", 1, None])
def test_policy_result_rejects_non_channel_type(value):
    with pytest.raises(TypeError) as raised:
        PolicyResult(deny={ChannelType.EMAIL, value})

    assert repr(value) in str(raised.value)
    assert "ChannelType" in str(raised.value)


@pytest.mark.parametrize("deny", [[ChannelType.EMAIL], (ChannelType.EMAIL,), ChannelType.EMAIL, None])
def test_policy_result_rejects_non_set(deny):
    with pytest.raises(TypeError) as raised:
        PolicyResult(deny=deny)

    assert "PolicyResult.deny" in str(raised.value)
    assert type(deny).__name__ in str(raised.value)


def test_policy_result_frozen():
    result = PolicyResult(deny={ChannelType.EMAIL})

    with pytest.raises(AttributeError):
        result.deny = set()


def test_policy_result_equality():
    assert PolicyResult(deny={ChannelType.EMAIL}) == PolicyResult(deny={ChannelType.EMAIL})


# Policy base class


def test_policy_check_not_implemented(msg):
    class Unfinished(Policy):
        pass

    with pytest.raises(NotImplementedError) as raised:
        Unfinished().check(msg)

    assert "Unfinished" in str(raised.value)


def test_policy_enabled_by_default():
    assert Policy.enabled()


def test_policy_name_defaults_to_class_name():
    assert ReturnsNone().policy_name == "ReturnsNone"


def test_policy_name_from_entry_point():
    assert named_stub("quiet_hours", []).policy_name == "quiet_hours"


# channels_for() and denials()


def test_channels_for_without_policies(test_case, msg):
    patch_policies(test_case, [])

    assert policy.channels_for(msg) == ALL_CHANNEL_TYPES


def test_channels_for_allow_all_policy(test_case, msg):
    patch_policies(test_case, [StubPolicy([])])

    assert policy.channels_for(msg) == ALL_CHANNEL_TYPES


def test_channels_for_removes_denied(test_case, msg):
    patch_policies(test_case, [StubPolicy([ChannelType.EMAIL])])

    assert policy.channels_for(msg) == ALL_CHANNEL_TYPES - {ChannelType.EMAIL}


def test_channels_for_combines_policies(test_case, msg):
    patch_policies(test_case, [StubPolicy([ChannelType.EMAIL]), StubPolicy([ChannelType.PUSH])])

    assert policy.channels_for(msg) == set()


def test_channels_for_same_denial_twice(test_case, msg):
    patch_policies(test_case, [StubPolicy([ChannelType.EMAIL]), StubPolicy([ChannelType.EMAIL])])

    assert policy.channels_for(msg) == ALL_CHANNEL_TYPES - {ChannelType.EMAIL}


def test_denials_names_policies(test_case, msg):
    patch_policies(
        test_case,
        [
            named_stub("quiet_hours", [ChannelType.EMAIL]),
            named_stub("unsubscribed", [ChannelType.EMAIL, ChannelType.PUSH]),
        ],
    )

    denied = policy.denials(msg)

    assert denied == {ChannelType.EMAIL: ["quiet_hours", "unsubscribed"], ChannelType.PUSH: ["unsubscribed"]}


def test_denials_class_name_without_entry_point(test_case, msg):
    patch_policies(test_case, [StubPolicy([ChannelType.PUSH])])

    assert policy.denials(msg) == {ChannelType.PUSH: ["StubPolicy"]}


def test_denials_empty_when_allowed(test_case, msg):
    patch_policies(test_case, [StubPolicy([])])

    assert policy.denials(msg) == {}


@pytest.mark.parametrize("bad_policy", [ReturnsNone(), ReturnsSet()], ids=["None", "set"])
def test_policy_returning_non_result(test_case, msg, bad_policy):
    patch_policies(test_case, [bad_policy])

    with pytest.raises(TypeError) as raised:
        policy.channels_for(msg)

    assert repr(bad_policy.policy_name) in str(raised.value)
    assert "PolicyResult" in str(raised.value)


def test_policy_error_propagates(test_case, msg):
    class Failing(Policy):
        def check(self, message):
            raise RuntimeError("preferences service unavailable")

    patch_policies(test_case, [Failing()])

    with pytest.raises(RuntimeError, match="preferences service unavailable"):
        policy.channels_for(msg)


def test_policies_none_enabled(settings):
    settings.ACE_ENABLED_POLICIES = []

    assert policy.policies() == []


def test_policies_returns_copy(settings):
    settings.ACE_ENABLED_POLICIES = []

    policy.policies().append(StubPolicy([ChannelType.EMAIL]))

    assert policy.policies() == []
