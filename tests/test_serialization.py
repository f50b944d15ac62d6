"""Tests of the JSON form of messages, message types and recipients."""

from __future__ import annotations

import datetime
import decimal
import json
import re
import uuid

import pytest
from django.utils import translation
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given, settings

from edx_ace.message import Message, MessageType
from edx_ace.recipient import Recipient
from edx_ace.serialization import MessageEncoder
from tests import strategies

UTC = datetime.UTC
IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
PST = datetime.timezone(datetime.timedelta(hours=-8))
MESSAGE_UUID = uuid.UUID("6f1c5e4a-0f6e-4a7c-9a3b-1d2e3f405162")
SEND_UUID = uuid.UUID("0b5e9d1c-7a43-4f0e-8f6b-2c3d4e5f6a7b")


def make_message(**kwargs) -> Message:
    values = {
        "app_label": "testapp",
        "name": "welcome",
        "recipient": Recipient(username="ada", email_address="ada@example.com"),
    }
    values.update(kwargs)
    return Message(**values)


def round_trip(obj):
    return type(obj).from_string(str(obj))


def type_shape(value):
    """Return ``value`` as nested ``(type, ...)`` tuples, so equal values of other types differ."""
    if isinstance(value, dict):
        return (type(value), tuple((key, type_shape(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return (type(value), tuple(type_shape(item) for item in value))
    if isinstance(value, datetime.datetime | datetime.time):
        return (type(value), value.utcoffset())
    return (type(value),)


def json_message(**fields) -> str:
    """Return the JSON form of a valid message with ``fields`` replaced."""
    data = json.loads(str(make_message(uuid=MESSAGE_UUID)))
    data.update(fields)
    return json.dumps(data)


class DigestType(MessageType):
    APP_LABEL = "courses"
    NAME = "digest"


# Round trips of whole objects


def test_message_round_trip_minimal():
    msg = make_message()

    assert round_trip(msg) == msg


def test_message_round_trip_all_fields():
    msg = make_message(
        expiration_time=datetime.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        context={"course": "Physics", "week": 3},
        send_uuid=SEND_UUID,
        language="es-419",
        log_level=20,
        uuid=MESSAGE_UUID,
    )

    assert round_trip(msg) == msg


def test_message_round_trip_no_recipient():
    msg = make_message(recipient=None)

    assert round_trip(msg) == msg


def test_message_round_trip_recipient_without_address():
    msg = make_message(recipient=Recipient(username="ada"))

    assert round_trip(msg).recipient == Recipient(username="ada")


def test_message_recipient_nested_object():
    data = json.loads(str(make_message()))

    assert data["recipient"] == {"username": "ada", "email_address": "ada@example.com"}


def test_message_uuids_as_strings():
    data = json.loads(str(make_message(uuid=MESSAGE_UUID, send_uuid=SEND_UUID)))

    assert data["uuid"] == str(MESSAGE_UUID)
    assert data["send_uuid"] == str(SEND_UUID)


def test_message_round_trip_keeps_uuids():
    decoded = round_trip(make_message(uuid=MESSAGE_UUID, send_uuid=SEND_UUID))

    assert decoded.uuid == MESSAGE_UUID
    assert decoded.send_uuid == SEND_UUID


@pytest.mark.parametrize("offset", [IST, PST, UTC], ids=["+05:30", "-08:00", "UTC"])
def test_expiration_time_keeps_offset(offset):
    expiration_time = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=offset)

    decoded = round_trip(make_message(expiration_time=expiration_time))

    assert decoded.expiration_time == expiration_time
    assert decoded.expiration_time.utcoffset() == expiration_time.utcoffset()


def test_expiration_time_iso_8601_with_offset():
    expiration_time = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=IST)

    data = json.loads(str(make_message(expiration_time=expiration_time)))

    assert data["expiration_time"] == "2030-01-02T03:04:05+05:30"


def test_expiration_time_year_0999():
    expiration_time = datetime.datetime(999, 12, 31, 23, 59, tzinfo=UTC)

    msg = make_message(expiration_time=expiration_time)

    assert json.loads(str(msg))["expiration_time"].startswith("0999-12-31")
    assert round_trip(msg).expiration_time == expiration_time


def test_message_from_bytes():
    msg = make_message()

    assert Message.from_string(str(msg).encode("utf-8")) == msg


def test_message_type_round_trip():
    msg_type = MessageType(
        app_label="courses",
        name="digest",
        context={"week": 3},
        expiration_time=datetime.datetime(2030, 1, 2, tzinfo=PST),
        log_level=10,
    )

    assert round_trip(msg_type) == msg_type


def test_message_type_subclass_round_trip():
    msg_type = DigestType(context={"week": 3})

    decoded = round_trip(msg_type)

    assert type(decoded) is DigestType
    assert decoded == msg_type


def test_recipient_round_trip():
    recipient = Recipient(username="ada", email_address="ada@example.com")

    assert round_trip(recipient) == recipient


def test_recipient_round_trip_unicode():
    recipient = Recipient(username="Zoë 李", email_address="zoë@例え.jp")

    assert round_trip(recipient) == recipient


# Context values


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=IST),
        datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=PST),
        datetime.datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime.datetime(2030, 1, 2, 3, 4, 5),
        datetime.date(2030, 1, 2),
        datetime.date(999, 1, 2),
        datetime.time(3, 4, 5, 6),
        datetime.time(3, 4, tzinfo=IST),
        MESSAGE_UUID,
        decimal.Decimal("12.50"),
        decimal.Decimal("-0.000001"),
        (1, "two", 3.0),
        (),
        [1, [2, [3]]],
        {"nested": {"deeper": [None, True, 1.5]}},
        Recipient(username="bob", email_address="bob@example.com"),
        "Zoë 李 \u2028 \U0001f600",
        10**30,
    ],
    ids=repr,
)
def test_context_value_round_trip(value):
    decoded = round_trip(make_message(context={"value": value})).context["value"]

    assert decoded == value
    assert type_shape(decoded) == type_shape(value)


def test_context_nested_types_round_trip():
    context = {"outer": [{"at": datetime.datetime(2030, 1, 2, tzinfo=IST), "ids": (MESSAGE_UUID, SEND_UUID)}]}

    decoded = round_trip(make_message(context=context)).context

    assert decoded == context
    assert type_shape(decoded) == type_shape(context)


def test_context_safe_string_stays_safe():
    decoded = round_trip(make_message(context={"link": mark_safe('<a href="/">home</a>')})).context["link"]

    assert decoded == '<a href="/">home</a>'
    assert isinstance(decoded, SafeData)


def test_context_plain_string_stays_unsafe():
    decoded = round_trip(make_message(context={"link": '<a href="/">home</a>'})).context["link"]

    assert not isinstance(decoded, SafeData)


@pytest.mark.parametrize(
    "value",
    [
        {"__ace__": "uuid", "value": "not a uuid"},
        {"__ace__": "no such tag"},
        {"__ace__": {"__ace__": "dict"}},
        {"__ace__": None, "value": [1, 2]},
    ],
    ids=repr,
)
def test_context_dict_with_tag_key(value):
    decoded = round_trip(make_message(context={"data": value})).context["data"]

    assert decoded == value


def test_context_top_level_tag_key():
    context = {"__ace__": "decimal", "value": "1.5"}

    assert round_trip(make_message(context=context)).context == context


def test_lazy_translation_in_message_language():
    msg = make_message(language="es", context={"answer": gettext_lazy("Yes")})

    with translation.override("en"):
        decoded = round_trip(msg)

    assert decoded.context["answer"] == "Sí"


def test_lazy_translation_leaves_active_language():
    msg = make_message(language="es", context={"answer": gettext_lazy("Yes")})

    with translation.override("fr"):
        str(msg)
        active = translation.get_language()

    assert active == "fr"


def test_lazy_translation_without_language_uses_active():
    msg = make_message(context={"answer": gettext_lazy("Yes")})

    with translation.override("es"):
        decoded = round_trip(msg)

    assert decoded.context["answer"] == "Sí"


# Values that cannot be encoded


class Course:
    pass


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"course": Course()}, "Message.context['course']"),
        ({"tags": {"a", "b"}}, "Message.context['tags']"),
        ({"outer": {"inner": [1, object()]}}, "Message.context['outer']['inner'][1]"),
        ({"when": (1, b"bytes")}, "Message.context['when'][1]"),
        ({"scores": {1: "A", 2: "B"}}, "Message.context['scores']"),
    ],
    ids=["object", "set", "nested object", "bytes in tuple", "int keys"],
)
def test_unencodable_context_raises_at_str(context, path):
    msg = make_message(context=context)

    with pytest.raises(TypeError) as raised:
        str(msg)

    assert path in str(raised.value)


def test_int_key_error_names_key():
    msg = make_message(context={"scores": {1: "A"}})

    with pytest.raises(TypeError) as raised:
        str(msg)

    assert "1 (int)" in str(raised.value)


def test_unencodable_type_named():
    with pytest.raises(TypeError) as raised:
        str(make_message(context={"course": Course()}))

    assert "Course" in str(raised.value)


def test_top_level_int_key_raises_at_str():
    msg = make_message(context={1: "A"})

    with pytest.raises(TypeError) as raised:
        str(msg)

    assert "Message.context" in str(raised.value)


def test_message_type_unencodable_context_names_path():
    msg_type = DigestType(context={"course": Course()})

    with pytest.raises(TypeError) as raised:
        str(msg_type)

    assert "DigestType.context['course']" in str(raised.value)


# Reading malformed JSON


def test_from_string_invalid_json():
    with pytest.raises(ValueError, match=re.escape("not valid JSON")):
        Message.from_string("{not json")


def test_from_string_json_list():
    with pytest.raises(TypeError) as raised:
        Message.from_string("[1, 2]")

    assert "JSON object" in str(raised.value)
    assert "list" in str(raised.value)


def test_from_string_not_a_string():
    with pytest.raises(TypeError) as raised:
        Message.from_string({"app_label": "testapp"})

    assert "dict" in str(raised.value)


@pytest.mark.parametrize("field", ["app_label", "name", "recipient"])
def test_from_string_missing_required_field(field):
    data = json.loads(json_message())
    del data[field]

    with pytest.raises(TypeError) as raised:
        Message.from_string(json.dumps(data))

    assert repr(field) in str(raised.value)


def test_from_string_missing_optional_fields():
    data = {"app_label": "testapp", "name": "welcome", "recipient": None}

    msg = Message.from_string(json.dumps(data))

    assert msg.context == {}
    assert isinstance(msg.uuid, uuid.UUID)


def test_from_string_recipient_missing_username():
    with pytest.raises(TypeError) as raised:
        Message.from_string(json_message(recipient={"email_address": "ada@example.com"}))

    assert "Message.recipient" in str(raised.value)
    assert "'username'" in str(raised.value)


def test_from_string_recipient_not_object():
    with pytest.raises(TypeError) as raised:
        Message.from_string(json_message(recipient=["ada"]))

    assert "Message.recipient" in str(raised.value)


@pytest.mark.parametrize("field", ["uuid", "send_uuid"])
def test_from_string_bad_uuid(field):
    with pytest.raises(ValueError, match=re.escape(f"Message.{field}")) as raised:
        Message.from_string(json_message(**{field: "not-a-uuid"}))

    assert "'not-a-uuid'" in str(raised.value)


def test_from_string_uuid_not_string():
    with pytest.raises(TypeError) as raised:
        Message.from_string(json_message(uuid=12))

    assert "Message.uuid" in str(raised.value)


@pytest.mark.parametrize("value", ["next tuesday", "2030-13-45T00:00:00+00:00", 1893456000])
def test_from_string_bad_datetime(value):
    with pytest.raises(ValueError, match=re.escape("Message.expiration_time")) as raised:
        Message.from_string(json_message(expiration_time=value))

    assert repr(value) in str(raised.value)


def test_from_string_naive_datetime():
    with pytest.raises(ValueError, match=re.escape("Message.expiration_time")) as raised:
        Message.from_string(json_message(expiration_time="2030-01-02T03:04:05"))

    assert "naive" in str(raised.value)


@pytest.mark.parametrize(("field", "value"), [("app_label", 5), ("context", [1]), ("log_level", "INFO")])
def test_from_string_wrong_field_type(field, value):
    with pytest.raises(TypeError) as raised:
        Message.from_string(json_message(**{field: value}))

    assert f"Message.{field}" in str(raised.value)


def test_from_string_invalid_template_name():
    with pytest.raises(ValueError, match=re.escape("Message.name")):
        Message.from_string(json_message(name="../secrets"))


@pytest.mark.parametrize(
    "value",
    [
        {"__ace__": "uuid", "value": "zz"},
        {"__ace__": "datetime", "value": "yesterday"},
        {"__ace__": "decimal", "value": "ten"},
        {"__ace__": "unknown", "value": 1},
        {"__ace__": "recipient", "value": 5},
    ],
    ids=repr,
)
def test_from_string_bad_tagged_value(value):
    with pytest.raises((TypeError, ValueError)) as raised:
        Message.from_string(json_message(context={"key": value}))

    assert "Message.context['key']" in str(raised.value)


@pytest.mark.parametrize(
    "value",
    [
        {"__ace__": "dict", "value": 5},
        {"__ace__": "dict"},
        {"__ace__": "tuple", "value": 5},
        {"__ace__": "uuid", "value": 5},
        {"__ace__": ["list"]},
    ],
    ids=repr,
)
def test_from_string_malformed_tagged_value(value):
    with pytest.raises((TypeError, ValueError)) as raised:
        Message.from_string(json_message(context={"key": value}))

    assert "Message.context['key']" in str(raised.value)


def test_message_type_from_string_bad_uuid():
    data = json.loads(str(DigestType()))
    data["uuid"] = "nope"

    with pytest.raises(ValueError, match=re.escape("DigestType.uuid")):
        DigestType.from_string(json.dumps(data))


def test_recipient_from_string_missing_username():
    with pytest.raises(TypeError) as raised:
        Recipient.from_string('{"email_address": "ada@example.com"}')

    assert "'username'" in str(raised.value)


# MessageEncoder


def test_message_encoder_document():
    msg = make_message(context={"week": 3})
    at = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=IST)

    text = json.dumps({"msg": msg, "at": at, "id": MESSAGE_UUID}, cls=MessageEncoder)
    document = json.loads(text)

    assert Message.from_json(document["msg"]) == msg
    assert document["at"] == "2030-01-02T03:04:05+05:30"
    assert document["id"] == str(MESSAGE_UUID)


def test_message_encoder_lazy_string():
    with translation.override("es"):
        text = json.dumps({"answer": gettext_lazy("Yes")}, cls=MessageEncoder)

    assert json.loads(text) == {"answer": "Sí"}


def test_message_encoder_rejects_unknown():
    with pytest.raises(TypeError):
        json.dumps({"course": Course()}, cls=MessageEncoder)


# Random messages


@settings(max_examples=300, deadline=None)
@given(strategies.messages)
def test_message_round_trip_random(msg):
    decoded = round_trip(msg)

    assert decoded == msg
    assert type_shape(decoded.context) == type_shape(msg.context)


@settings(deadline=None)
@given(strategies.messages)
def test_message_round_trip_keeps_offset(msg):
    decoded = round_trip(msg)

    if msg.expiration_time is None:
        assert decoded.expiration_time is None
    else:
        assert decoded.expiration_time.utcoffset() == msg.expiration_time.utcoffset()


@settings(deadline=None)
@given(strategies.message_types)
def test_message_type_round_trip_random(msg_type):
    decoded = round_trip(msg_type)

    assert decoded == msg_type
    assert type_shape(decoded.context) == type_shape(msg_type.context)


@settings(deadline=None)
@given(strategies.recipients)
def test_recipient_round_trip_random(recipient):
    assert round_trip(recipient) == recipient
