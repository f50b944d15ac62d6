"""Message.headers: validation, and the headers reaching a real SMTP server."""

from __future__ import annotations

import pytest
from django.core import mail

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.channel.headers import header_problems, validate_headers
from edx_ace.errors import InvalidMessageError
from edx_ace.result import DeliveryStatus
from tests.conftest import make_message


def test_headers_reach_smtp_server(smtp_settings, smtp_server):
    headers = {"X-Course-Id": "course-v1:edX+DemoX+Demo", "List-Unsubscribe": "<https://example.com/unsubscribe>"}

    outcome = ace.send(make_message(headers=headers)).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED
    email = smtp_server.messages[0]
    assert email["X-Course-Id"] == "course-v1:edX+DemoX+Demo"
    assert email["List-Unsubscribe"] == "<https://example.com/unsubscribe>"


def test_non_ascii_header_value_is_encoded(smtp_settings, smtp_server):
    ace.send(make_message(headers={"X-Campaign": "Équipe d'été"}))

    assert smtp_server.messages[0]["X-Campaign"] == "Équipe d'été"


def test_options_reach_smtp_server(smtp_settings, smtp_server):
    options = {"from_address": "courses@example.org", "reply_to": ["help@example.org", "Desk <desk@example.org>"]}

    ace.send(make_message(options=options))

    email = smtp_server.messages[0]
    assert email["From"].addresses[0].addr_spec == "courses@example.org"
    assert email["From"].addresses[0].display_name == "Course Team"
    assert [address.addr_spec for address in email["Reply-To"].addresses] == ["help@example.org", "desk@example.org"]
    assert smtp_server.handler.envelopes[0][0] == "courses@example.org"


def test_no_reply_to_without_option(smtp_settings, smtp_server):
    ace.send(make_message())

    assert smtp_server.messages[0]["Reply-To"] is None


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({"Bcc": "eve@example.com"}, "the header 'Bcc' cannot be set"),
        ({"from": "eve@example.com"}, "the header 'from' cannot be set"),
        ({"TO": "eve@example.com"}, "the header 'TO' cannot be set"),
        ({"Cc": "eve@example.com"}, "the header 'Cc' cannot be set"),
        ({"Subject": "Hello"}, "the header 'Subject' cannot be set"),
        ({"Content-Type": "text/plain"}, "the header 'Content-Type' cannot be set"),
        ({"X-Tag": "a\r\nBcc: eve@example.com"}, "the value of the header 'X-Tag' contains a line break"),
        ({"X-Tag": "a\nb"}, "the value of the header 'X-Tag' contains a line break"),
        ({"X-Tag\nBcc": "x"}, "the header name 'X-Tag\\nBcc' is invalid"),
        ({"X Tag": "x"}, "the header name 'X Tag' is invalid"),
        ({"X-Tag:": "x"}, "the header name 'X-Tag:' is invalid"),
        ({"": "x"}, "the header name '' is invalid"),
        ({"X-Tag": 5}, "the header 'X-Tag' has the value 5 (int); use a str"),
    ],
)
def test_invalid_header_names_it(headers, detail):
    with pytest.raises(InvalidMessageError) as caught:
        make_message(headers=headers)

    assert detail in str(caught.value)


def test_headers_must_be_dict():
    assert header_problems([("X-Tag", "x")]) == ["headers must be a dict of header names to str values, got list"]


def test_valid_headers_are_copied():
    headers = {"X-Tag": "one"}

    copy = validate_headers(headers)
    headers["X-Tag"] = "two"

    assert copy == {"X-Tag": "one"}


def test_changed_invalid_header_sends_nothing(smtp_settings, smtp_server):
    message = make_message()
    message.headers["Bcc"] = "eve@example.com"

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert "'Bcc'" in outcome.reason
    assert smtp_server.handler.sessions == 0


def test_locmem_email_has_headers_and_reply_to(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]

    ace.send(make_message(headers={"X-Tag": "welcome"}, options={"reply_to": ["help@example.com"]}))

    email = mail.outbox[0]
    assert email.extra_headers == {"X-Tag": "welcome"}
    assert email.reply_to == ["help@example.com"]
