"""Arbitrary text in the context, names and addresses: ``ace.send`` never raises or adds a header."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core import mail
from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.message import Message
from edx_ace.recipient import Recipient
from edx_ace.result import DeliveryStatus
from tests.smtp_server import SmtpServer

#: The only headers an email of the django_email channel may carry, at the top level.
INTENDED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}

#: The only headers of the parts of a multipart email.
INTENDED_PART_HEADERS = {"mime-version", "content-type", "content-transfer-encoding"}

TRICKY_TEXT = [
    "\r\nBcc: eve@evil.example",
    "\nX-Injected: yes",
    "Eve <eve@evil.example>, Mallory <m@evil.example>",
    '"quoted", name',
    "=?utf-8?q?Eve?= <eve@evil.example>",
    "\u2028\u2029\x85\x0b\x0c\x1c",
    "\x00\x1b[31m",
    "é" * 500,
    "Tom, Jerry & Co " * 30,
    'Équipe; "cours", année ' * 20,
    "=?utf-8?b?RXZlIDxldmVAZXZpbC5leGFtcGxlPg==?=",
    # "Hi\r\nBcc: eve@evil.example" as an encoded-word, which Django 6.0 would decode.
    "=?utf-8?b?SGkNCkJjYzogZXZlQGV2aWwuZXhhbXBsZQ==?=",
    "=?utf-8?q?Hi=0D=0ABcc:_eve@evil.example?=",
]

TRICKY_ADDRESSES = [
    "ada@example.com",
    " ada@example.com ",
    "ada@bücher.example",
    "a@example.com, b@example.com",
    "a@example.com\r\nBcc: b@example.com",
    "a@example.com>",
    "jürgen@example.com",
    "ada@straße.example",
    "",
]

texts = st.one_of(
    st.text(),
    st.sampled_from(TRICKY_TEXT),
    st.lists(st.one_of(st.text(), st.sampled_from(TRICKY_TEXT)), max_size=6).map("".join),
)
addresses = st.one_of(
    st.text(),
    st.emails(),
    st.sampled_from(TRICKY_ADDRESSES),
    st.builds("{}@{}".format, st.text(min_size=1), st.text(min_size=1)),
    st.builds("{}@example.com".format, texts),
)
languages = st.one_of(st.none(), st.text(), st.sampled_from(["fr", "ES_419", "English", "../../x"]))

ARBITRARY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def build_message(address, username, sender, subject, text, language):
    return Message(
        app_label="hardening",
        name="echo",
        recipient=Recipient(username=username, email_address=address),
        context={"sender": sender, "subject": subject, "text": text},
        language=language,
    )


def intended_address(address: str) -> tuple[str, str]:
    """Return the local part and the ASCII domain that ``address`` names."""
    local_part, domain = address.strip().rsplit("@", 1)
    return local_part, domain.encode("idna").decode("ascii") if not domain.isascii() else domain


def check_headers(parsed):
    """Assert that ``parsed`` (an email as a receiver reads it) carries only intended headers."""
    assert {name.lower() for name in parsed} <= INTENDED_HEADERS
    for part in parsed.walk():
        if part is not parsed:
            assert {name.lower() for name in part} <= INTENDED_PART_HEADERS
    assert len(parsed["From"].addresses) == 1
    assert parsed["From"].addresses[0].addr_spec == "noreply@example.com"
    assert len(parsed["To"].addresses) == 1
    assert "\n" not in str(parsed["Subject"])


@ARBITRARY
@given(address=addresses, username=texts, sender=texts, subject=texts, text=texts, language=languages)
def test_locmem_never_raises(address, username, sender, subject, text, language):
    mail.outbox = []
    message = build_message(address, username, sender, subject, text, language)

    with override_settings(
        ACE_ENABLED_CHANNELS=["django_email"], EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    ):
        result = ace.send(message)

    outcome = result.outcome_for(ChannelType.EMAIL)
    event(f"status {outcome.status}")
    assert outcome.status in {DeliveryStatus.DELIVERED, DeliveryStatus.INVALID}
    assert len(mail.outbox) == (1 if outcome.delivered else 0)
    for sent in mail.outbox:
        parsed = email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.default)
        check_headers(parsed)
        to = parsed["To"].addresses[0]
        assert (to.username, to.domain) == intended_address(address)


@pytest.fixture(scope="module")
def shared_smtp_server():
    """One SMTP server for every example of a Hypothesis test."""
    server = SmtpServer().start()
    yield server
    server.stop()


@settings(ARBITRARY, max_examples=60)
@given(address=addresses, sender=texts, subject=texts, text=texts)
def test_smtp_never_raises(shared_smtp_server, address, sender, subject, text):
    handler = shared_smtp_server.handler
    already = len(handler.envelopes)
    message = build_message(address, "ada", sender, subject, text, None)

    with override_settings(
        ACE_ENABLED_CHANNELS=["django_email"],
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=shared_smtp_server.host,
        EMAIL_PORT=shared_smtp_server.port,
        EMAIL_TIMEOUT=5,
    ):
        result = ace.send(message)

    outcome = result.outcome_for(ChannelType.EMAIL)
    event(f"status {outcome.status}")
    received = handler.envelopes[already:]
    assert outcome.status in {DeliveryStatus.DELIVERED, DeliveryStatus.INVALID}
    assert len(received) == (1 if outcome.delivered else 0)
    for _mail_from, recipients, raw in received:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        check_headers(parsed)
        to = parsed["To"].addresses[0]
        assert recipients == [to.addr_spec]
        assert (to.username, to.domain) == intended_address(address)
