"""The delivery loop: retries after recoverable errors, bounded by the message's expiration."""

from __future__ import annotations

import datetime

import pytest

from edx_ace import delivery
from edx_ace.channel import ChannelType
from edx_ace.errors import (
    FatalChannelDeliveryError,
    MessageExpiredError,
    RecoverableChannelDeliveryError,
    UnsupportedChannelError,
)
from edx_ace.test_utils import patch_channels
from tests.conftest import make_message
from tests.scripted import ScriptedChannel

SECOND = datetime.timedelta(seconds=1)


def retry_at(clock, seconds):
    """Return a scripted step that requests a retry ``seconds`` after the attempt."""
    return lambda: RecoverableChannelDeliveryError("busy", clock.now + seconds * SECOND)


def test_first_success_returns_receipt(clock):
    channel = ScriptedChannel(script=["receipt-1"])

    assert delivery.deliver_to_channel(channel, "rendered", make_message()) == "receipt-1"
    assert len(channel.attempts) == 1
    assert clock.sleeps == []


def test_retries_until_next_attempt_time(clock):
    channel = ScriptedChannel(script=[retry_at(clock, 10), retry_at(clock, 30)])

    delivery.deliver_to_channel(channel, "rendered", make_message())

    assert len(channel.attempts) == 3
    assert clock.sleeps == [10.0, 30.0]


def test_past_next_attempt_time_retries_at_once(clock):
    channel = ScriptedChannel(script=[RecoverableChannelDeliveryError("busy", clock.now - 5 * SECOND)])

    delivery.deliver_to_channel(channel, "rendered", make_message())

    assert clock.sleeps == [0.0]


def test_retry_after_expiration_gives_up_at_once(clock):
    message = make_message(expiration_time=clock.now + 60 * SECOND)
    channel = ScriptedChannel(script=[retry_at(clock, 61)])

    with pytest.raises(MessageExpiredError, match="past the retry deadline"):
        delivery.deliver_to_channel(channel, "rendered", message)
    assert clock.sleeps == []
    assert len(channel.attempts) == 1


def test_give_up_names_setting(clock):
    channel = ScriptedChannel(script=[retry_at(clock, 121)])

    with pytest.raises(MessageExpiredError, match="ACE_DEFAULT_EXPIRATION_DELAY"):
        delivery.deliver_to_channel(channel, "rendered", make_message())


def test_expired_message_is_not_attempted(clock):
    message = make_message(expiration_time=clock.now - SECOND)
    channel = ScriptedChannel()

    with pytest.raises(MessageExpiredError, match="expired at"):
        delivery.deliver_to_channel(channel, "rendered", message)
    assert channel.attempts == []


def test_default_expiration_delay_bounds_retries(clock, settings):
    settings.ACE_DEFAULT_EXPIRATION_DELAY = 30
    channel = ScriptedChannel(script=[retry_at(clock, 20), retry_at(clock, 20)])

    with pytest.raises(MessageExpiredError):
        delivery.deliver_to_channel(channel, "rendered", make_message())
    assert clock.sleeps == [20.0]


def test_wait_is_capped_at_five_minutes(clock):
    message = make_message(expiration_time=clock.now + datetime.timedelta(hours=2))
    channel = ScriptedChannel(script=[retry_at(clock, 299), retry_at(clock, 2)])

    with pytest.raises(MessageExpiredError):
        delivery.deliver_to_channel(channel, "rendered", message)
    assert clock.sleeps == [299.0]


def test_fatal_error_is_not_retried(clock):
    channel = ScriptedChannel(script=[FatalChannelDeliveryError("rejected")])

    with pytest.raises(FatalChannelDeliveryError, match="rejected"):
        delivery.deliver_to_channel(channel, "rendered", make_message())
    assert len(channel.attempts) == 1


def test_without_waiting_recoverable_is_raised(clock):
    channel = ScriptedChannel(script=[retry_at(clock, 10)])

    with pytest.raises(RecoverableChannelDeliveryError):
        delivery.deliver_to_channel(channel, "rendered", make_message(), wait_for_retries=False)
    assert clock.sleeps == []


def test_deliver_by_type_uses_enabled_channel(clock, cleanups):
    channel = ScriptedChannel(script=["sent"])
    patch_channels(cleanups, [channel])

    assert delivery.deliver(ChannelType.EMAIL, "rendered", make_message()) == "sent"


def test_deliver_without_channel_raises_unsupported(cleanups):
    patch_channels(cleanups, [])

    with pytest.raises(UnsupportedChannelError, match="no enabled push channel"):
        delivery.deliver(ChannelType.PUSH, "rendered", make_message())


def test_recoverable_error_needs_aware_time():
    with pytest.raises(ValueError, match="naive"):
        RecoverableChannelDeliveryError("busy", datetime.datetime(2026, 1, 1))
