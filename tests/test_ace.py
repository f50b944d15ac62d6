"""The pipeline of ``ace.send()``: policies, rendering, delivery and the result."""

from __future__ import annotations

import datetime
import logging
import re

import pytest

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.errors import FatalChannelDeliveryError, InvalidMessageError, RecoverableChannelDeliveryError
from edx_ace.message import MessageType
from edx_ace.policy import Policy
from edx_ace.result import DeliveryStatus
from edx_ace.test_utils import StubPolicy, patch_channels, patch_policies
from tests.conftest import make_message
from tests.scripted import ScriptedChannel


class WelcomeType(MessageType):
    APP_LABEL = "testapp"
    NAME = "welcome"


class RaisingPolicy(Policy):
    def check(self, message):
        raise RuntimeError("preferences service is down")


def test_delivers_over_email_and_skips_push(cleanups):
    email = ScriptedChannel(script=["receipt"])
    patch_channels(cleanups, [email])

    result = ace.send(make_message())

    assert result.delivered
    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    assert result.outcome_for(ChannelType.EMAIL).receipt == "receipt"
    assert result.outcome_for(ChannelType.PUSH).status is DeliveryStatus.SKIPPED
    assert len(email.attempts) == 1


def test_rendered_email_reaches_channel(cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])

    ace.send(make_message())

    _message, rendered = email.attempts[0]
    assert rendered.from_name == "Course Team"


def test_policy_denial_is_reported(cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    patch_policies(cleanups, [StubPolicy([ChannelType.EMAIL])])

    result = ace.send(make_message())

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.DENIED
    assert "StubPolicy" in outcome.reason
    assert email.attempts == []
    assert not result.delivered


def test_failing_policy_sends_nothing(cleanups, caplog):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    patch_policies(cleanups, [RaisingPolicy()])
    message = make_message()

    result = ace.send(message)

    assert {outcome.status for outcome in result} == {DeliveryStatus.FAILED}
    assert email.attempts == []
    assert any(record.levelno == logging.ERROR and message.log_id in record.getMessage() for record in caplog.records)


def test_limit_to_channels_narrows(cleanups):
    email = ScriptedChannel()
    push = ScriptedChannel(channel_type=ChannelType.PUSH, name="push")
    patch_channels(cleanups, [email, push])

    result = ace.send(make_message(), limit_to_channels=[ChannelType.PUSH])

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.SKIPPED
    assert result.outcome_for(ChannelType.EMAIL).reason == "not in limit_to_channels"
    assert email.attempts == []
    # No renderer exists for push messages yet, so push fails at rendering.
    assert result.outcome_for(ChannelType.PUSH).status is DeliveryStatus.FAILED


def test_empty_limit_delivers_nothing(cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])

    result = ace.send(make_message(), limit_to_channels=[])

    assert not result.delivered
    assert email.attempts == []


@pytest.mark.parametrize("limit", ["email", ChannelType.EMAIL, ["email"], [None]])
def test_bad_limit_raises(limit):
    with pytest.raises(TypeError, match="limit_to_channels"):
        ace.send(make_message(), limit_to_channels=limit)


def test_send_rejects_non_message():
    with pytest.raises(TypeError, match=re.escape("takes an edx_ace.Message, got dict")):
        ace.send({"name": "welcome"})


def test_send_rejects_message_type():
    with pytest.raises(TypeError, match=r"call msg_type\.personalize"):
        ace.send(WelcomeType())


def test_missing_template_does_not_stop_batch(cleanups, caplog):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    broken = make_message(name="nosuchmessage")

    first = ace.send(broken)
    second = ace.send(make_message())

    outcome = first.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.FAILED
    assert "testapp/edx_ace/nosuchmessage/email/from_name.txt" in outcome.reason
    assert second.delivered
    assert len(email.attempts) == 1
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert broken.log_id in errors[0].getMessage()
    assert errors[0].exc_info is not None


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidMessageError("no address"), DeliveryStatus.INVALID),
        (FatalChannelDeliveryError("rejected"), DeliveryStatus.FAILED),
        (RuntimeError("bug in channel"), DeliveryStatus.FAILED),
    ],
)
def test_channel_errors_become_outcomes(cleanups, error, status):
    patch_channels(cleanups, [ScriptedChannel(script=[error])])

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is status
    assert outcome.error is error


def test_one_channel_failure_spares_other(cleanups, monkeypatch):
    email = ScriptedChannel(script=[FatalChannelDeliveryError("rejected")])
    push = ScriptedChannel(channel_type=ChannelType.PUSH, name="push")
    patch_channels(cleanups, [email, push])
    monkeypatch.setitem(__import__("edx_ace.presentation").presentation.RENDERERS, ChannelType.PUSH, FakePushRenderer())

    result = ace.send(make_message())

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.FAILED
    assert result.outcome_for(ChannelType.PUSH).status is DeliveryStatus.DELIVERED
    assert len(push.attempts) == 1


def test_expired_message_is_reported(cleanups, clock):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])

    result = ace.send(make_message(expiration_time=clock.now - datetime.timedelta(seconds=1)))

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.EXPIRED
    assert email.attempts == []


def test_deferred_without_waiting(cleanups, clock):
    later = clock.now + datetime.timedelta(seconds=30)
    patch_channels(cleanups, [ScriptedChannel(script=[RecoverableChannelDeliveryError("rate limited", later)])])

    result = ace.send_message(make_message(), wait_for_retries=False)

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.DEFERRED
    assert outcome.next_attempt_time == later
    assert clock.sleeps == []


def test_two_channels_of_one_type_are_reported(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.SKIPPED
    assert "two email channels" in outcome.reason


def test_file_channel_is_default(email_dir):
    result = ace.send(make_message())

    assert result.outcome_for(ChannelType.EMAIL).channel_name == "file_email"
    assert result.delivered


class FakePushRenderer:
    def render(self, message):
        return {"title": "hello"}
