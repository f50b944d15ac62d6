"""Recipient addresses: checked the same way on every email channel, before any I/O."""

from __future__ import annotations

import logging
from pathlib import Path

import django
import pytest
from django.core import mail
from django.core.mail import send_mail

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.errors import InvalidMessageError
from edx_ace.message import Message
from edx_ace.result import DeliveryStatus
from tests.hardening.messages import echo_message, log_lines

# (address given, address the email is sent to)
VALID_ADDRESSES = [
    ("ada@example.com", "ada@example.com"),
    ("  ada@example.com\t", "ada@example.com"),
    ("Ada.Lovelace+course@Example.COM", "Ada.Lovelace+course@Example.COM"),
    ("ada@bücher.example", "ada@xn--bcher-kva.example"),
    ("ada@бюро.example", "ada@xn--90a0af9c.example"),
    ("ada@[127.0.0.1]", "ada@[127.0.0.1]"),
]

# (address given, code, words of the reason)
INVALID_ADDRESSES = [
    (None, "no_address", "has no email_address"),
    ("", "no_address", "has no email_address"),
    ("   ", "no_address", "has no email_address"),
    ("a@example.com, b@example.com", "invalid_address", "list of addresses"),
    ("a@example.com;b@example.com", "invalid_address", "list of addresses"),
    ("a@example.com\r\nBcc: b@example.com", "invalid_address", "line break"),
    ("a@example.com\nb@example.com", "invalid_address", "line break"),
    ("a\u2028b@example.com", "invalid_address", "line break"),
    ("Ada <a@example.com>", "invalid_address", "angle bracket"),
    ("a@example.com>", "invalid_address", "angle bracket"),
    ("<a@example.com>", "invalid_address", "angle bracket"),
    ('"a b"@example.com', "invalid_address", "quote"),
    ("a@example.com (Ada)", "invalid_address", "parenthesis"),
    ("a b@example.com", "invalid_address", "space or a control character"),
    ("a\x00b@example.com", "invalid_address", "space or a control character"),
    ("ada.example.org", "invalid_address", "has no @"),
    ("a@b@example.com", "invalid_address", "validator rejects it"),
    ("ada@", "invalid_address", "validator rejects it"),
    ("@example.org", "invalid_address", "validator rejects it"),
    ("ada@-example-.com", "invalid_address", "validator rejects it"),
    ("ada@" + "x" * 64 + ".com", "invalid_address", "validator rejects it"),
    ("=?utf-8?B?ZXZl?=@example.com", "invalid_address", "encoded-word"),
    ("=??B??=@example.com", "invalid_address", "encoded-word"),
    ("ada@straße.example", "invalid_address", "IDNA would change it"),
    ("ada@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "invalid_address", "IDNA would change it"),
    ("ada@bücher" + "x" * 70 + ".example", "invalid_address", "not a valid internationalized domain"),
]


@pytest.mark.parametrize(("given", "sent"), VALID_ADDRESSES)
def test_valid_address_on_smtp(smtp_settings, smtp_server, given, sent):
    result = ace.send(echo_message(email_address=given))

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    assert smtp_server.handler.envelopes[0][1] == [sent]
    assert smtp_server.messages[0]["To"] == sent


@pytest.mark.parametrize(("given", "sent"), VALID_ADDRESSES)
def test_valid_address_on_file(email_dir, given, sent):
    result = ace.send(echo_message(email_address=given))

    page = Path(result.outcome_for(ChannelType.EMAIL).receipt).read_text(encoding="utf-8")
    assert f'<tr><th align="left">To</th><td>{sent}</td></tr>' in page


@pytest.mark.parametrize(("given", "sent"), VALID_ADDRESSES)
def test_valid_address_on_locmem(settings, given, sent):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]

    ace.send(echo_message(email_address=given))

    assert mail.outbox[0].to == [sent]
    assert mail.outbox[0].message()["To"] == sent


@pytest.mark.parametrize(("given", "code", "words"), INVALID_ADDRESSES)
def test_invalid_address_on_smtp(smtp_settings, smtp_server, caplog, given, code, words):
    message = echo_message(email_address=given)

    result = ace.send(message)
    following = ace.send(echo_message())

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.INVALID
    assert isinstance(outcome.error, InvalidMessageError)
    assert outcome.code == code
    assert words in outcome.reason
    assert [envelope[1] for envelope in smtp_server.handler.envelopes] == [["ada@example.com"]]
    assert following.delivered
    errors = log_lines(caplog, message, logging.ERROR)
    assert len(errors) == 1
    assert "django_email (email)" in errors[0]
    if given and given.strip():
        assert all(given.strip() not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("given", "sent"), VALID_ADDRESSES)
def test_valid_address_on_sailthru(sailthru_server, given, sent):
    result = ace.send(echo_message(email_address=given))

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    assert sailthru_server.accepted[0]["email"] == sent


@pytest.mark.parametrize(("given", "code", "words"), INVALID_ADDRESSES)
def test_invalid_address_on_sailthru(sailthru_server, caplog, given, code, words):
    message = echo_message(email_address=given)

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)
    following = ace.send(echo_message())

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == code
    assert words in outcome.reason
    assert following.delivered
    assert [request.payload["email"] for request in sailthru_server.requests] == ["ada@example.com"]
    errors = log_lines(caplog, message, logging.ERROR)
    assert len(errors) == 1
    assert "sailthru_email (email)" in errors[0]


@pytest.mark.parametrize(("given", "code", "words"), INVALID_ADDRESSES)
def test_invalid_address_on_file(email_dir, caplog, given, code, words):
    message = echo_message(email_address=given)

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)
    following = ace.send(echo_message())

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == code
    assert words in outcome.reason
    assert [path.name for path in email_dir.iterdir()] == [f"hardening.echo-{following.log_id.split(':')[1]}.html"]
    assert len(log_lines(caplog, message, logging.ERROR)) == 1


def test_address_set_later_to_non_str(email_dir):
    message = echo_message()
    message.recipient.email_address = ["ada@example.com"]

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "invalid_address"
    assert "is a list, not a str" in outcome.reason


def test_no_recipient_is_its_own_reason(email_dir, caplog):
    message = Message(
        app_label="hardening", name="echo", recipient=None, context={"sender": "", "subject": "", "text": ""}
    )

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "no_recipient"
    assert "has no recipient" in outcome.reason
    assert len(log_lines(caplog, message, logging.ERROR)) == 1


@pytest.mark.parametrize(
    ("given", "sent"),
    [("jürgen@example.com", "jürgen@example.com"), (" jürgen@bücher.example ", "jürgen@xn--bcher-kva.example")],
)
@pytest.mark.parametrize("smtp_server", [{"enable_smtputf8": True}], indirect=True)
def test_utf8_local_part_sent_with_smtputf8(smtp_settings, smtp_server, given, sent):
    outcome = ace.send(echo_message(email_address=given)).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED
    mail_from, recipients, _raw = smtp_server.handler.envelopes[0]
    assert recipients == [sent]
    assert mail_from == "noreply@example.com"
    email = smtp_server.messages[0]
    assert email["To"] == sent
    assert email.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in email.get_payload()] == ["text/plain", "text/html"]


def test_utf8_local_part_without_smtputf8(smtp_settings, smtp_server, caplog):
    message = echo_message(email_address="jürgen@example.com")

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)
    following = ace.send(echo_message())

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "smtputf8_unsupported"
    assert "the SMTP server does not offer it" in outcome.reason
    assert [envelope[1] for envelope in smtp_server.handler.envelopes] == [["ada@example.com"]]
    assert following.delivered
    assert len(log_lines(caplog, message, logging.ERROR)) == 1


def test_utf8_local_part_on_locmem(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]

    outcome = ace.send(echo_message(email_address="jürgen@example.com")).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "smtputf8_unsupported"
    assert "EMAIL_BACKEND" in outcome.reason
    assert mail.outbox == []


def test_utf8_local_part_on_file(email_dir):
    outcome = ace.send(echo_message(email_address="jürgen@example.com")).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "invalid_address"
    assert "SMTPUTF8" in outcome.reason
    assert not email_dir.exists() or not list(email_dir.iterdir())


def test_utf8_local_part_on_sailthru(sailthru_server):
    outcome = ace.send(echo_message(email_address="jürgen@example.com")).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert outcome.code == "invalid_address"
    assert sailthru_server.requests == []


@pytest.mark.parametrize("address", ["jürgen.@example.com", ".jürgen@example.com", "jür..gen@example.com"])
@pytest.mark.parametrize("smtp_server", [{"enable_smtputf8": True}], indirect=True)
def test_utf8_local_part_dots_checked(smtp_settings, smtp_server, address):
    outcome = ace.send(echo_message(email_address=address)).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert "dot" in outcome.reason
    assert smtp_server.handler.envelopes == []


@pytest.mark.parametrize("smtp_server", [{"enable_smtputf8": True}], indirect=True)
def test_django_cannot_send_non_ascii_local_part(smtp_settings, smtp_server):
    """Django rewrites the local part as an encoded-word (5.2) or refuses it (6.0): why ACE rejects it."""
    if django.VERSION >= (6, 0):
        with pytest.raises(ValueError, match="non-ASCII"):
            send_mail("Subject", "Body", "noreply@example.com", ["jürgen@example.com"])
        assert smtp_server.handler.envelopes == []
        return

    send_mail("Subject", "Body", "noreply@example.com", ["jürgen@example.com"])

    raw = smtp_server.handler.envelopes[0][2].decode("ascii")
    assert "\r\nTo: =?utf-8?q?j=C3=BCrgen?=@example.com\r\n" in raw
