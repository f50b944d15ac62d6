"""The Django email channel against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import re

import pytest
from django.core import mail

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.channel.django_email import DjangoEmailChannel
from edx_ace.errors import FatalChannelDeliveryError, InvalidMessageError, RecoverableChannelDeliveryError
from edx_ace.presentation import render
from edx_ace.result import DeliveryStatus
from tests.conftest import make_message
from tests.smtp_server import free_port


def deliver(message):
    channel = DjangoEmailChannel()
    channel.name = "django_email"
    return channel.deliver(message, render(ChannelType.EMAIL, message))


def test_send_multipart_email(smtp_settings, smtp_server):
    result = ace.send(make_message())

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    assert len(smtp_server.messages) == 1
    email = smtp_server.messages[0]
    assert email.get_content_type() == "multipart/alternative"
    text, html = email.get_payload()
    assert text.get_content_type() == "text/plain"
    assert text.get_content().splitlines() == ["Hello Ada,", "Tom & Jerry 101 starts soon."]
    assert html.get_content_type() == "text/html"
    assert "<p>Tom &amp; Jerry 101 starts soon.</p>" in html.get_content()
    assert "<title>Tom &amp; Jerry 101</title>" in html.get_content()
    assert email["To"] == "ada@example.com"


def test_from_header_uses_rendered_name(smtp_settings, smtp_server):
    smtp_settings.DEFAULT_FROM_EMAIL = "Ignored Name <courses@example.com>"
    ace.send(make_message())

    sender = smtp_server.messages[0]["From"]
    assert sender.addresses[0].display_name == "Course Team"
    assert sender.addresses[0].addr_spec == "courses@example.com"


@pytest.mark.parametrize(
    "sender",
    ["Équipe du cours", "Tom, Jerry & Co", 'The "Best" Team', "Команда курса"],
)
def test_from_name_is_one_mailbox(smtp_settings, smtp_server, sender):
    ace.send(make_message(context={"sender": sender}))

    header = smtp_server.messages[0]["From"]
    assert len(header.addresses) == 1
    assert header.addresses[0].display_name == sender
    assert header.addresses[0].addr_spec == "noreply@example.com"


def test_non_ascii_from_name_is_encoded(smtp_settings, smtp_server):
    ace.send(make_message(context={"sender": "Équipe"}))

    raw = smtp_server.handler.envelopes[0][2].decode("ascii")
    assert "=?utf-8?" in raw.lower()


def test_subject_newlines_are_collapsed(smtp_settings, smtp_server):
    ace.send(make_message(context={"greeting": "Hi\r\nBcc: eve@example.com", "course": "  Two\n\nlines  "}))

    email = smtp_server.messages[0]
    assert email["Subject"] == "Yes: Hi Bcc: eve@example.com Two lines"
    assert email["Bcc"] is None
    assert smtp_server.handler.envelopes[0][1] == ["ada@example.com"]


def test_refused_recipient_does_not_stop_batch(smtp_settings, smtp_server):
    smtp_server.handler.rcpt_replies["bad@example.com"] = "550 5.1.1 No such user"

    first = ace.send(make_message(email_address="bad@example.com"))
    second = ace.send(make_message(email_address="good@example.com"))

    failed = first.outcome_for(ChannelType.EMAIL)
    assert failed.status is DeliveryStatus.FAILED
    assert isinstance(failed.error, FatalChannelDeliveryError)
    assert "550" in failed.reason
    assert second.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    assert [envelope[1] for envelope in smtp_server.handler.envelopes] == [["good@example.com"]]


def test_451_is_retried_and_delivered_once(smtp_settings, smtp_server, clock):
    smtp_server.handler.data_replies.append("451 4.3.0 Try again later")

    result = ace.send(make_message())

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    assert len(smtp_server.messages) == 1
    assert clock.sleeps == [5.0]


def test_451_raises_recoverable(smtp_settings, smtp_server):
    smtp_server.handler.data_replies.append("451 4.3.0 Try again later")

    with pytest.raises(RecoverableChannelDeliveryError, match="451"):
        deliver(make_message())


def test_554_on_data_is_fatal(smtp_settings, smtp_server):
    smtp_server.handler.data_replies.append("554 5.7.1 Rejected as spam")

    with pytest.raises(FatalChannelDeliveryError, match=re.escape("554 5.7.1 Rejected as spam")):
        deliver(make_message())


def test_server_down_is_recoverable(smtp_settings):
    smtp_settings.EMAIL_PORT = free_port()

    with pytest.raises(RecoverableChannelDeliveryError, match="before the message was sent"):
        deliver(make_message())


def test_server_down_expires_without_sending(smtp_settings, clock):
    smtp_settings.EMAIL_PORT = free_port()
    smtp_settings.ACE_DEFAULT_EXPIRATION_DELAY = 12

    result = ace.send(make_message())

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.EXPIRED
    assert clock.sleeps == [5.0, 5.0]


def test_timeout_after_data_is_unknown(smtp_settings, smtp_server):
    smtp_settings.EMAIL_TIMEOUT = 0.5
    smtp_server.handler.data_delay = 1.5

    with pytest.raises(FatalChannelDeliveryError, match="delivery unknown"):
        deliver(make_message())


def test_missing_address_is_invalid(smtp_settings, smtp_server):
    result = ace.send(make_message(email_address=None))

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.INVALID
    assert isinstance(outcome.error, InvalidMessageError)
    assert "email_address" in outcome.reason
    assert smtp_server.handler.sessions == 0


@pytest.mark.parametrize(
    "address",
    ["a@example.com, b@example.com", "a@example.com\r\nBcc: b@example.com", "Ada <a@example.com>", "a@example.com>"],
)
def test_malformed_address_is_invalid(smtp_settings, smtp_server, address):
    with pytest.raises(InvalidMessageError, match="not a single valid address"):
        deliver(make_message(email_address=address))
    assert smtp_server.handler.sessions == 0


def test_address_spaces_are_stripped(smtp_settings, smtp_server):
    deliver(make_message(email_address="  ada@example.com "))

    assert smtp_server.handler.envelopes[0][1] == ["ada@example.com"]


def test_locmem_backend_records_email(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]

    result = ace.send(make_message())

    assert result.delivered
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Yes: Hi Tom & Jerry 101"


def test_backend_accepting_nothing_is_failure(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.EMAIL_BACKEND = "tests.backends.NothingBackend"

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.FAILED
    assert "accepted 0 messages" in outcome.reason


def test_delivery_is_logged_without_address(smtp_settings, smtp_server, caplog):
    caplog.set_level(logging.INFO, logger="edx_ace")
    message = make_message()

    ace.send(message)

    assert any(
        message.log_id in record.getMessage() and "Delivered" in record.getMessage() for record in caplog.records
    )
    assert all("ada@example.com" not in record.getMessage() for record in caplog.records)


def test_missing_backend_is_named(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.nosuch.EmailBackend"

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.code == "backend_unavailable"
    assert "could not be loaded, so nothing was sent" in outcome.reason
    assert "delivery unknown" not in outcome.reason


def test_idn_sender_domain_in_punycode(smtp_settings, smtp_server):
    smtp_settings.DEFAULT_FROM_EMAIL = "Team <team@bücher.example>"

    result = ace.send(make_message())

    assert result.delivered
    assert smtp_server.handler.envelopes[0][0] == "team@xn--bcher-kva.example"
    assert smtp_server.messages[0]["From"].addresses[0].addr_spec == "team@xn--bcher-kva.example"


def test_idn_from_address_option(smtp_settings, smtp_server):
    result = ace.send(make_message(options={"from_address": "news@bücher.example"}))

    assert result.delivered
    assert smtp_server.handler.envelopes[0][0] == "news@xn--bcher-kva.example"


def test_utf8_sender_local_part_rejected():
    with pytest.raises(InvalidMessageError, match=r"local part .* is not ASCII"):
        make_message(options={"from_address": "jürgen@example.org"})


def test_utf8_default_sender_is_invalid(smtp_settings, smtp_server):
    smtp_settings.DEFAULT_FROM_EMAIL = "jürgen@example.org"

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "invalid_sender"
    assert "DEFAULT_FROM_EMAIL" in outcome.reason
    assert smtp_server.handler.envelopes == []
