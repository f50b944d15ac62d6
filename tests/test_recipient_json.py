"""Recipient identity and the JSON forms of messages, old (0.1.5) and new."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest

from edx_ace.message import Message
from edx_ace.recipient import Recipient

#: A message as edx-ace 0.1.5 wrote it: no lms_user_id, no options, no headers.
JSON_0_1_5 = """{
    "app_label": "testapp",
    "name": "welcome",
    "recipient": {"username": "ada", "email_address": "ada@example.com"},
    "expiration_time": "2026-12-04T12:00:00+00:00",
    "context": {"name": "Ada", "course": "Tom & Jerry 101", "count": 3},
    "send_uuid": "3f6b1b4e-5a0e-4d7e-9f43-0b1b7a8c2d11",
    "language": "fr",
    "log_level": null,
    "uuid": "9d1a4f0e-2f8b-4c53-8a41-6b7c1d2e3f40"
}"""


def test_0_1_5_json_loads():
    message = Message.from_string(JSON_0_1_5)

    assert message.recipient == Recipient(username="ada", email_address="ada@example.com")
    assert message.recipient.lms_user_id is None
    assert message.options == {}
    assert message.headers == {}
    assert message.context == {"name": "Ada", "course": "Tom & Jerry 101", "count": 3}
    assert message.expiration_time == datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
    assert message.send_uuid == uuid.UUID("3f6b1b4e-5a0e-4d7e-9f43-0b1b7a8c2d11")
    assert message.uuid == uuid.UUID("9d1a4f0e-2f8b-4c53-8a41-6b7c1d2e3f40")
    assert message.language == "fr"


def test_0_1_5_json_written_back_unchanged():
    message = Message.from_string(JSON_0_1_5)

    data = json.loads(str(message))

    assert data == json.loads(JSON_0_1_5)
    assert Message.from_string(str(message)) == message


def test_new_fields_written_when_set():
    message = Message.from_string(JSON_0_1_5)
    message.options["transactional"] = True
    message.headers["X-Tag"] = "welcome"
    message.recipient.lms_user_id = 42

    data = json.loads(str(message))

    assert data["options"] == {"transactional": True}
    assert data["headers"] == {"X-Tag": "welcome"}
    assert data["recipient"]["lms_user_id"] == 42


def test_new_json_form_round_trips():
    message = Message(
        app_label="testapp",
        name="welcome",
        recipient=Recipient(lms_user_id=42, email_address="ada@example.com"),
        options={"transactional": True, "override_default_channel": "django_email"},
        headers={"X-Course-Id": "course-v1:edX+DemoX+Demo"},
    )

    copy = Message.from_string(str(message))

    assert copy == message
    assert copy.recipient.lms_user_id == 42
    assert copy.recipient.username is None


def test_unknown_json_key_is_ignored():
    data = json.loads(JSON_0_1_5)
    data["added_by_a_newer_version"] = {"x": 1}

    assert Message.from_string(json.dumps(data)) == Message.from_string(JSON_0_1_5)


def test_recipient_positional_form_still_works():
    recipient = Recipient("ada", "ada@example.com")

    assert recipient.username == "ada"
    assert recipient.email_address == "ada@example.com"
    assert recipient.lms_user_id is None


def test_recipient_by_user_id_only():
    recipient = Recipient(lms_user_id=7)

    assert Recipient.from_string(str(recipient)) == recipient


def test_recipient_needs_username_or_user_id():
    with pytest.raises(TypeError, match=r"Recipient\.username and Recipient\.lms_user_id are both None"):
        Recipient(email_address="ada@example.com")


def test_recipient_json_without_ids_is_rejected():
    with pytest.raises(TypeError, match=r"Recipient\.username and Recipient\.lms_user_id are both None"):
        Recipient.from_string('{"email_address": "ada@example.com"}')


@pytest.mark.parametrize("user_id", ["42", True, 4.2])
def test_recipient_rejects_non_int_user_id(user_id):
    with pytest.raises(TypeError, match=r"Recipient\.lms_user_id must be an int user id"):
        Recipient(username="ada", lms_user_id=user_id)


def test_invalid_option_in_json_names_key():
    data = json.loads(JSON_0_1_5)
    data["options"] = {"reply_to": "help@example.com"}

    with pytest.raises(ValueError, match=r"Message: options\['reply_to'\] is not a valid list of email addresses"):
        Message.from_string(json.dumps(data))
