"""limit_to_channels with two channel types, and with channel names."""

from __future__ import annotations

import pytest
from django.core import mail

from edx_ace import ace, presentation
from edx_ace.channel import ChannelType
from edx_ace.policy import Policy, PolicyResult
from edx_ace.result import DeliveryStatus
from edx_ace.test_utils import StubPolicy, patch_channels, patch_policies
from tests.conftest import make_message
from tests.scripted import ScriptedChannel


class CountingPushRenderer:
    """A push renderer that counts its calls, to show that skipped channels are not rendered."""

    def __init__(self):
        self.calls = 0

    def render(self, message):
        self.calls += 1
        return {"title": "hello"}


@pytest.fixture
def email_and_push(cleanups, monkeypatch):
    """Patch in a scripted email channel and a scripted push channel with a push renderer."""
    email = ScriptedChannel(name="scripted")
    push = ScriptedChannel(ChannelType.PUSH, name="push")
    patch_channels(cleanups, [email, push])
    renderer = CountingPushRenderer()
    monkeypatch.setitem(presentation.RENDERERS, ChannelType.PUSH, renderer)
    return email, push, renderer


def statuses(result):
    return {outcome.channel_type: outcome.status for outcome in result}


def test_no_limit_uses_both_types(email_and_push):
    _email, _push, _renderer = email_and_push

    result = ace.send(make_message())

    assert statuses(result) == {ChannelType.EMAIL: DeliveryStatus.DELIVERED, ChannelType.PUSH: DeliveryStatus.DELIVERED}


def test_limit_to_email_skips_push_rendering(email_and_push):
    _email, push, renderer = email_and_push

    result = ace.send(make_message(), limit_to_channels=[ChannelType.EMAIL])

    assert statuses(result) == {ChannelType.EMAIL: DeliveryStatus.DELIVERED, ChannelType.PUSH: DeliveryStatus.SKIPPED}
    assert result.outcome_for(ChannelType.PUSH).reason == "not in limit_to_channels"
    assert push.attempts == []
    assert renderer.calls == 0


def test_limit_by_channel_name(email_and_push):
    email, _push, renderer = email_and_push

    result = ace.send(make_message(), limit_to_channels=["push"])

    assert statuses(result) == {ChannelType.EMAIL: DeliveryStatus.SKIPPED, ChannelType.PUSH: DeliveryStatus.DELIVERED}
    assert email.attempts == []
    assert renderer.calls == 1


def test_limit_mixes_types_and_names(email_and_push):
    result = ace.send(make_message(), limit_to_channels=[ChannelType.EMAIL, "push"])

    assert statuses(result) == {ChannelType.EMAIL: DeliveryStatus.DELIVERED, ChannelType.PUSH: DeliveryStatus.DELIVERED}


def test_limit_never_widens_policy(email_and_push, cleanups):
    _email, push, _renderer = email_and_push
    patch_policies(cleanups, [StubPolicy([ChannelType.PUSH])])

    result = ace.send(make_message(), limit_to_channels=[ChannelType.EMAIL, ChannelType.PUSH])

    assert statuses(result) == {ChannelType.EMAIL: DeliveryStatus.DELIVERED, ChannelType.PUSH: DeliveryStatus.DENIED}
    assert push.attempts == []


def test_empty_limit_delivers_nothing(email_and_push):
    email, push, renderer = email_and_push

    result = ace.send(make_message(), limit_to_channels=[])

    assert set(statuses(result).values()) == {DeliveryStatus.SKIPPED}
    assert email.attempts == []
    assert push.attempts == []
    assert renderer.calls == 0


def test_name_not_chosen_by_routing_is_skipped(settings, email_dir):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "file_email"
    settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"

    plain = ace.send(make_message(), limit_to_channels=["django_email"]).outcome_for(ChannelType.EMAIL)
    transactional = ace.send(
        make_message(options={"transactional": True}), limit_to_channels=["django_email"]
    ).outcome_for(ChannelType.EMAIL)

    assert plain.status is DeliveryStatus.SKIPPED
    assert plain.reason == "file_email is not in limit_to_channels"
    assert not email_dir.exists()
    assert transactional.status is DeliveryStatus.DELIVERED
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("entry", ["email", "nosuchchannel", "", None, 3])
def test_unknown_entry_is_type_error(email_and_push, entry):
    with pytest.raises(TypeError) as caught:
        ace.send(make_message(), limit_to_channels=[ChannelType.EMAIL, entry])

    assert f"limit_to_channels contains {entry!r}" in str(caught.value)
    assert "enabled: push, scripted" in str(caught.value)


def test_name_in_setting_is_accepted(settings, email_dir):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]

    outcome = ace.send(make_message(), limit_to_channels=["file_email"]).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED


def test_name_of_disabled_channel_is_accepted(settings, email_dir):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]

    outcome = ace.send(make_message(), limit_to_channels=["sailthru_email"]).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.SKIPPED
    assert not email_dir.exists()


class DenyAll(Policy):
    def check(self, message):
        return PolicyResult(deny=set(ChannelType))


def test_denied_type_stays_denied_when_named(cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    patch_policies(cleanups, [DenyAll()])

    outcome = ace.send(make_message(), limit_to_channels=["scripted"]).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DENIED
    assert email.attempts == []
