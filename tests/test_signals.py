"""ACE_MESSAGE_SENT: sent once per delivery, with a JSON-safe summary, and safe from raising receivers."""

from __future__ import annotations

import json
import logging

import pytest

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.channel.file import FileEmailChannel
from edx_ace.errors import FatalChannelDeliveryError
from edx_ace.message import Message
from edx_ace.recipient import Recipient
from edx_ace.result import DeliveryStatus
from edx_ace.signals import ACE_MESSAGE_SENT
from edx_ace.test_utils import patch_channels
from tests.conftest import make_message
from tests.scripted import ScriptedChannel


@pytest.fixture
def received():
    """Connect a receiver to ACE_MESSAGE_SENT and return the list of its calls' arguments."""
    calls = []

    def receiver(sender, **kwargs):
        calls.append({"sender": sender, **kwargs})

    ACE_MESSAGE_SENT.connect(receiver)
    yield calls
    ACE_MESSAGE_SENT.disconnect(receiver)


@pytest.fixture
def raising_receiver():
    def receiver(sender, **kwargs):
        raise RuntimeError("analytics service is down")

    ACE_MESSAGE_SENT.connect(receiver)
    yield receiver
    ACE_MESSAGE_SENT.disconnect(receiver)


def test_sent_once_per_delivery(email_dir, received):
    message = Message(
        app_label="testapp",
        name="welcome",
        recipient=Recipient(username="ada", email_address="ada@example.com", lms_user_id=42),
        context={"name": "Ada", "course": "Tom & Jerry 101", "greeting": "Hi", "sender": "Course Team"},
        options={"transactional": True, "campaign": "spring"},
    )

    ace.send(message)

    assert len(received) == 1
    call = received[0]
    assert call["sender"] is FileEmailChannel
    assert call["channel_name"] == "file_email"
    assert call["channel_type"] == "email"
    assert call["message"] == {
        "name": "welcome",
        "app_label": "testapp",
        "recipient": {"username": "ada", "lms_user_id": 42},
        "uuid": str(message.uuid),
        "send_uuid": None,
        "options": {"transactional": True, "campaign": "spring"},
    }


def test_summary_is_json_safe(email_dir, received):
    message = make_message(options={"window": ("09:00", "17:00")})

    ace.send(message)

    summary = received[0]["message"]
    assert json.loads(json.dumps(summary)) == summary
    assert "ada@example.com" not in json.dumps(summary)


def test_not_sent_without_delivery(cleanups, received):
    patch_channels(cleanups, [ScriptedChannel(script=[FatalChannelDeliveryError("rejected")])])

    ace.send(make_message())

    assert received == []


def test_sent_per_channel_type(cleanups, received, monkeypatch):
    push = ScriptedChannel(ChannelType.PUSH, name="push")
    patch_channels(cleanups, [ScriptedChannel(name="scripted"), push])
    monkeypatch.setitem(__import__("edx_ace.presentation").presentation.RENDERERS, ChannelType.PUSH, FakePushRenderer())

    ace.send(make_message())

    assert sorted(call["channel_name"] for call in received) == ["push", "scripted"]


def test_raising_receiver_keeps_delivery(email_dir, raising_receiver, received, caplog):
    message = make_message()

    result = ace.send(message)

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.DELIVERED
    assert len(received) == 1
    # Django's send_robust() logs the error too, under django.dispatch, without the log id.
    errors = [
        record for record in caplog.records if record.levelno == logging.ERROR and record.name == "edx_ace.signals"
    ]
    assert len(errors) == 1
    assert message.log_id in errors[0].getMessage()
    assert "ACE_MESSAGE_SENT" in errors[0].getMessage()
    assert "stays delivered" in errors[0].getMessage()
    assert "analytics service is down" in str(errors[0].exc_info[1])


def test_unencodable_option_keeps_delivery(email_dir, received, caplog):
    message = make_message(options={"user": object()})

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED
    assert received == []
    assert any("the message summary failed" in record.getMessage() for record in caplog.records)


class FakePushRenderer:
    def render(self, message):
        return {"title": "hello"}
