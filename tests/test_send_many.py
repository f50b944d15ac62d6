"""ace.send_many() and email connection reuse, against the SMTP server on 127.0.0.1."""

from __future__ import annotations

from collections import Counter

import pytest

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.result import DeliveryStatus, SendResult
from tests.conftest import make_message


def addresses(count, prefix="learner"):
    return [f"{prefix}{number}@example.com" for number in range(count)]


def messages_to(recipients):
    return [make_message(email_address=address, username=address.split("@")[0]) for address in recipients]


def email_status(result: SendResult):
    return result.outcome_for(ChannelType.EMAIL).status


def delivered_to(smtp_server):
    """Return the recipients of the accepted emails, in the order the server accepted them."""
    return [recipient for _sender, recipients, _data in smtp_server.handler.envelopes for recipient in recipients]


def test_results_match_messages_in_order(smtp_settings, smtp_server):
    recipients = addresses(7)
    messages = messages_to(recipients)

    results = ace.send_many(messages)

    assert [result.log_id for result in results] == [message.log_id for message in messages]
    assert [email_status(result) for result in results] == [DeliveryStatus.DELIVERED] * 7
    assert delivered_to(smtp_server) == recipients
    assert [email["To"] for email in smtp_server.messages] == recipients
    assert all(email["Subject"] == "Yes: Hi Tom & Jerry 101" for email in smtp_server.messages)


def test_accepts_a_generator(smtp_settings, smtp_server):
    recipients = addresses(5)

    results = ace.send_many(message for message in messages_to(recipients))

    assert len(results) == 5
    assert delivered_to(smtp_server) == recipients


def test_failing_messages_do_not_stop_the_rest(smtp_settings, smtp_server):
    smtp_server.handler.rcpt_replies["refused@example.com"] = "550 5.1.1 No such user"
    batch = [
        make_message(email_address="first@example.com"),
        make_message(email_address="refused@example.com"),
        make_message(email_address="third@example.com"),
        "not a message",
        make_message(email_address=None),
        make_message(name="missing"),
        make_message(email_address="last@example.com"),
    ]

    results = ace.send_many(batch)

    assert [email_status(result) for result in results] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.INVALID,
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
    ]
    assert "550" in results[1].outcome_for(ChannelType.EMAIL).reason
    assert results[3].log_id == "<str, not a Message>"
    assert "TypeError" in results[3].outcome_for(ChannelType.EMAIL).reason
    assert "ace.send_many() takes an edx_ace.Message, got str" in results[3].outcome_for(ChannelType.EMAIL).reason
    assert delivered_to(smtp_server) == ["first@example.com", "third@example.com", "last@example.com"]


def test_refused_recipient_keeps_the_connection(smtp_settings, smtp_server):
    smtp_server.handler.rcpt_replies["refused@example.com"] = "550 5.1.1 No such user"
    batch = messages_to(["a@example.com", "refused@example.com", "b@example.com"])

    ace.send_many(batch)

    assert smtp_server.handler.sessions == 1


def test_errors_are_kept_without_traceback(smtp_settings, smtp_server):
    smtp_server.handler.rcpt_replies["refused@example.com"] = "550 5.1.1 No such user"

    [result] = ace.send_many(messages_to(["refused@example.com"]))

    error = result.outcome_for(ChannelType.EMAIL).error
    assert error is not None
    assert error.__traceback__ is None
    assert error.__cause__ is None or error.__cause__.__traceback__ is None


@pytest.mark.parametrize(("chunk_size", "sessions"), [(50, 4), (64, 4), (200, 1), (1000, 1)])
def test_one_session_per_chunk(smtp_settings, smtp_server, chunk_size, sessions):
    smtp_settings.ACE_SEND_MANY_CHUNK_SIZE = chunk_size

    results = ace.send_many(messages_to(addresses(200)))

    assert all(result.delivered for result in results)
    assert len(smtp_server.messages) == 200
    assert smtp_server.handler.sessions == sessions
    assert smtp_server.handler.sessions <= 1 + 200 // chunk_size


def test_each_message_delivered_exactly_once(smtp_settings, smtp_server):
    smtp_settings.ACE_SEND_MANY_CHUNK_SIZE = 30
    recipients = addresses(200)

    ace.send_many(messages_to(recipients))

    counts = Counter(delivered_to(smtp_server))
    assert set(counts) == set(recipients)
    assert set(counts.values()) == {1}


def test_reconnects_when_server_drops_connections(smtp_settings, smtp_server):
    smtp_server.handler.close_after_emails = 3
    recipients = addresses(20)

    results = ace.send_many(messages_to(recipients))

    assert [email_status(result) for result in results] == [DeliveryStatus.DELIVERED] * 20
    assert delivered_to(smtp_server) == recipients
    assert smtp_server.handler.sessions == 7


def test_send_loop_reuses_one_connection(smtp_settings, smtp_server):
    recipients = addresses(5)

    for message in messages_to(recipients):
        assert ace.send(message).delivered

    assert delivered_to(smtp_server) == recipients
    assert smtp_server.handler.sessions == 1


def test_send_loop_without_reuse(smtp_settings, smtp_server):
    smtp_settings.ACE_EMAIL_CONNECTION_REUSE_SECONDS = 0

    for message in messages_to(addresses(3)):
        ace.send(message)

    assert smtp_server.handler.sessions == 3


def test_send_loop_caps_emails_per_connection(smtp_settings, smtp_server):
    smtp_settings.ACE_SEND_MANY_CHUNK_SIZE = 2

    for message in messages_to(addresses(5)):
        ace.send(message)

    assert smtp_server.handler.sessions == 3


def test_send_loop_reconnects_after_idle_close(smtp_settings, smtp_server):
    first, second = messages_to(["first@example.com", "second@example.com"])

    ace.send(first)
    smtp_server.close_sessions()
    result = ace.send(second)

    assert email_status(result) is DeliveryStatus.DELIVERED
    assert delivered_to(smtp_server) == ["first@example.com", "second@example.com"]
    assert smtp_server.handler.sessions == 2


def test_new_settings_get_a_new_connection(smtp_settings, smtp_server):
    ace.send(make_message())
    smtp_settings.EMAIL_HOST_USER = ""

    ace.send(make_message())

    assert smtp_server.handler.sessions == 2


def test_failure_after_data_is_not_resent(smtp_settings, smtp_server):
    smtp_settings.EMAIL_TIMEOUT = 0.5
    first, second = messages_to(["first@example.com", "second@example.com"])
    ace.send(first)
    smtp_server.handler.data_delay = 1.5

    outcome = ace.send(second).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.FAILED
    assert "delivery unknown" in outcome.reason
    # A resend would need a new connection, since the failed one was dropped.
    assert smtp_server.handler.sessions == 1
    assert delivered_to(smtp_server) == ["first@example.com"]


def test_locmem_batch(settings):
    from django.core import mail

    settings.ACE_ENABLED_CHANNELS = ["django_email"]

    results = ace.send_many(messages_to(addresses(3)))

    assert all(result.delivered for result in results)
    assert [email.to for email in mail.outbox] == [[address] for address in addresses(3)]


@pytest.mark.parametrize("size", [0, -1, "100", 2.5, True])
def test_invalid_chunk_size(settings, size):
    settings.ACE_SEND_MANY_CHUNK_SIZE = size

    with pytest.raises(ValueError, match="ACE_SEND_MANY_CHUNK_SIZE must be a positive integer"):
        ace.send_many([make_message()])


def test_invalid_limit_raises_before_sending(smtp_settings, smtp_server):
    with pytest.raises(TypeError, match="limit_to_channels"):
        ace.send_many([make_message()], limit_to_channels=ChannelType.EMAIL)

    assert smtp_server.handler.sessions == 0


def test_limit_to_channels_applies_to_each(smtp_settings, smtp_server):
    results = ace.send_many(messages_to(addresses(2)), limit_to_channels=[ChannelType.PUSH])

    assert [email_status(result) for result in results] == [DeliveryStatus.SKIPPED] * 2
    assert smtp_server.handler.sessions == 0


def test_skipped_outcomes_keep_their_code(smtp_settings, smtp_server):
    first, second = ace.send_many(messages_to(addresses(2)))

    skipped = first.outcome_for(ChannelType.PUSH)
    assert skipped.status is DeliveryStatus.SKIPPED
    assert skipped.code == "no_channel"
    assert skipped.error is None
    assert "push" in skipped.reason
    assert second.outcome_for(ChannelType.PUSH) is skipped
