"""The JSON trip of a message changes nothing that a template can see."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
import zoneinfo
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.message import Message, MessageType
from edx_ace.presentation import render
from edx_ace.recipient import Recipient
from edx_ace.result import DeliveryStatus
from tests.hardening.messages import echo_message

UTC = datetime.UTC
KOLKATA = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# (name, context value); each is rendered before and after the trip.
VALUES = [
    ("datetime_utc", datetime.datetime(2026, 12, 4, 12, 30, tzinfo=UTC)),
    ("datetime_offset", datetime.datetime(2026, 12, 4, 12, 30, 15, 250, tzinfo=KOLKATA)),
    ("datetime_negative", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(-datetime.timedelta(hours=9)))),
    ("datetime_zone", datetime.datetime(2026, 3, 29, 1, 30, tzinfo=PARIS)),
    ("datetime_year_1", datetime.datetime(1, 1, 1, tzinfo=UTC)),
    ("datetime_year_999", datetime.datetime(999, 12, 31, 23, 59, tzinfo=KOLKATA)),
    ("datetime_naive", datetime.datetime(2026, 12, 4, 12, 30)),
    ("date", datetime.date(2026, 12, 4)),
    ("date_year_42", datetime.date(42, 1, 2)),
    ("time", datetime.time(9, 15, 30, 5)),
    ("time_offset", datetime.time(9, 15, tzinfo=KOLKATA)),
    ("decimal", decimal.Decimal("19.90")),
    ("decimal_exponent", decimal.Decimal("1E+3")),
    ("decimal_negative_zero", decimal.Decimal("-0.00")),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("safe_html", format_html("<b>{}</b>", "Tom & Jerry")),
    ("marked_safe", mark_safe("<i>already safe</i>")),
    ("unsafe_html", "<b>Tom & Jerry</b>"),
    ("tuple", (1, "two", (3.0, None))),
    ("list_of_safe", [mark_safe("<br>"), "<br>"]),
    ("tag_lookalike", {"__ace__": "uuid", "value": "not a uuid"}),
    ("big_int", 10**30),
    ("float", 0.1),
    ("bool", True),
    ("none", None),
    ("text", "naïve café ☕ \u2028 \x00"),
]


def trip_message(values, **kwargs):
    return Message(
        app_label="hardening",
        name="trip",
        recipient=Recipient(username="ada", email_address="ada@example.com"),
        context={"sender": "Team", "subject": "Values", "values": values},
        **kwargs,
    )


@pytest.mark.parametrize(("name", "value"), VALUES)
def test_trip_renders_identically(name, value):
    message = trip_message({name: value}, language="fr")

    copy = Message.from_string(str(message))

    assert copy == message
    assert type(copy.context["values"][name]) is type(value)
    assert render(ChannelType.EMAIL, copy) == render(ChannelType.EMAIL, message)


def test_zone_survives_trip():
    message = trip_message({"when": datetime.datetime(2026, 7, 1, 9, 0, tzinfo=PARIS)})

    when = Message.from_string(str(message)).context["values"]["when"]

    assert when.tzinfo == PARIS
    assert when.utcoffset() == datetime.timedelta(hours=2)


def test_all_values_through_send(email_dir):
    message = trip_message(dict(VALUES), language="fr")

    direct = ace.send(message)
    tripped = ace.send(Message.from_string(str(message)))

    pages = [
        Path(result.outcome_for(ChannelType.EMAIL).receipt).read_text(encoding="utf-8") for result in (direct, tripped)
    ]
    assert direct.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    assert pages[0] == pages[1]


def test_lazy_string_uses_message_language():
    yes = translation.gettext_lazy("Yes")
    message = trip_message({"lazy": yes, "formatted": format_lazy("{}!", yes), "nested": [yes]}, language="es")

    with translation.override("fr"):
        text = str(message)

    values = Message.from_string(text).context["values"]
    assert values == {"lazy": "Sí", "formatted": "Sí!", "nested": ["Sí"]}


@pytest.mark.parametrize("key", ["recipient", "uuid", "message", "expiration_time", "send_uuid", "language"])
def test_field_named_keys_are_data(key):
    message = echo_message(context={key: "plain data"}, language="fr")

    copy = Message.from_string(str(message))

    assert copy.context[key] == "plain data"
    assert copy.recipient == message.recipient
    assert copy.uuid == message.uuid
    assert copy.expiration_time is None
    assert copy.language == "fr"


def test_field_named_keys_render_as_data(email_dir):
    context = {"recipient": "R", "uuid": "U", "message": "M", "expiration_time": "E", "values": {}}
    message = trip_message({})
    message.context.update(context)

    result = ace.send(Message.from_string(str(message)))

    page = Path(result.outcome_for(ChannelType.EMAIL).receipt).read_text(encoding="utf-8")
    assert "recipient=R uuid=U message=M expiration_time=E" in page


class Level(enum.IntEnum):
    HIGH = 1


class Status(enum.StrEnum):
    OPEN = "open"


class Name(str):
    @property
    def first(self):
        return self.split()[0]


# (context value, words of the error)
REJECTED = [
    (object(), "builtins.object, which cannot be written to JSON"),
    ({1, 2}, "builtins.set, which cannot be written to JSON"),
    (b"bytes", "builtins.bytes, which cannot be written to JSON"),
    (Level.HIGH, "a subclass of int that JSON would read back as a plain int"),
    (Status.OPEN, "a subclass of str that JSON would read back as a plain str"),
    (Name("Ada Lovelace"), "a subclass of str that JSON would read back as a plain str"),
    ({1: "int key"}, "JSON object keys must be str"),
]


@pytest.mark.parametrize(("value", "words"), REJECTED)
def test_lossy_value_raises_naming_key(value, words):
    message = echo_message(context={"profile": {"field": [value]}})

    with pytest.raises(TypeError) as raised:
        str(message)

    assert "Message.context['profile']['field'][0]" in str(raised.value)
    assert words in str(raised.value)


def test_naive_expiration_rejected():
    with pytest.raises(ValueError, match=r"Message.expiration_time 2026-12-04T12:00:00 is naive"):
        echo_message(expiration_time=datetime.datetime(2026, 12, 4, 12, 0))


def test_naive_expiration_rejected_on_type():
    with pytest.raises(ValueError, match=r"MessageType.expiration_time .* is naive"):
        MessageType(expiration_time=datetime.datetime(2026, 12, 4, 12, 0), app_label="hardening", name="echo")


def test_naive_expiration_set_later_is_invalid(email_dir, caplog):
    message = echo_message()
    message.expiration_time = datetime.datetime(2030, 1, 1)

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "invalid_expiration_time"
    assert "Message.expiration_time 2030-01-01T00:00:00 is naive" in outcome.reason
    assert list(email_dir.glob("*.html")) == []


def test_naive_expiration_in_json_rejected():
    text = str(echo_message()).replace('"expiration_time": null', '"expiration_time": "2026-12-04T12:00:00"')

    with pytest.raises(ValueError, match=r"expiration_time 2026-12-04T12:00:00 is naive"):
        Message.from_string(text)


@pytest.mark.parametrize(
    "expiration_time",
    [
        datetime.datetime(999, 1, 1, tzinfo=KOLKATA),
        datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=14))),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone(-datetime.timedelta(hours=12))),
        datetime.datetime(2026, 12, 4, 12, 0, tzinfo=KOLKATA),
    ],
)
def test_expiration_survives_trip(expiration_time):
    message = echo_message(expiration_time=expiration_time)

    copy = Message.from_string(str(message))

    assert copy.expiration_time == expiration_time
    assert copy.expiration_time.utcoffset() == expiration_time.utcoffset()


def test_offset_expiration_delivers(email_dir, clock):
    later = (clock.now + datetime.timedelta(hours=1)).astimezone(KOLKATA)
    message = Message.from_string(str(echo_message(expiration_time=later)))

    result = ace.send(message)

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED


def test_ancient_expiration_is_expired(email_dir, clock):
    message = Message.from_string(str(echo_message(expiration_time=datetime.datetime(999, 1, 1, tzinfo=KOLKATA))))

    result = ace.send(message)

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.EXPIRED
