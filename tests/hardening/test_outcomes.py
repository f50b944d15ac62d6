"""Honest outcomes: "delivered" only when a transport accepted the message, every other case named."""

from __future__ import annotations

import datetime
import logging

import pytest

from edx_ace import ace, monitoring
from edx_ace.channel import ChannelType
from edx_ace.message import Message
from edx_ace.result import DeliveryStatus
from edx_ace.signals import ACE_MESSAGE_SENT
from edx_ace.test_utils import StubPolicy, patch_policies
from tests.hardening.messages import echo_message, log_lines


def expired(context):
    return echo_message(expiration_time=context["clock"].now - datetime.timedelta(seconds=1))


def no_address(context):
    return echo_message(email_address=None)


def no_recipient(context):
    return Message(
        app_label="hardening", name="echo", recipient=None, context={"sender": "", "subject": "", "text": ""}
    )


def backend_accepts_nothing(context):
    context["settings"].ACE_ENABLED_CHANNELS = ["django_email"]
    context["settings"].EMAIL_BACKEND = "tests.backends.NothingBackend"
    return echo_message()


def refused_recipient(context):
    context["smtp_server"].handler.rcpt_replies["bad@example.com"] = "550 5.1.1 No such user"
    return echo_message(email_address="bad@example.com")


def unwritable_folder(context):
    context["settings"].ACE_ENABLED_CHANNELS = ["file_email"]
    blocker = context["tmp_path"] / "a-file"
    blocker.write_text("not a folder")
    context["settings"].ACE_CHANNEL_FILE_EMAIL_DIRECTORY = str(blocker / "emails")
    return echo_message()


# (arrange, channel type, status, code, log level, words of the log line)
CASES = [
    (expired, ChannelType.EMAIL, DeliveryStatus.EXPIRED, "expired", logging.WARNING, "django_email (email)"),
    (no_address, ChannelType.EMAIL, DeliveryStatus.INVALID, "no_address", logging.ERROR, "django_email (email)"),
    (no_recipient, ChannelType.EMAIL, DeliveryStatus.INVALID, "no_recipient", logging.ERROR, "django_email (email)"),
    (
        backend_accepts_nothing,
        ChannelType.EMAIL,
        DeliveryStatus.FAILED,
        "backend_accepted_none",
        logging.ERROR,
        "django_email (email)",
    ),
    (
        refused_recipient,
        ChannelType.EMAIL,
        DeliveryStatus.FAILED,
        "delivery_failed",
        logging.ERROR,
        "django_email (email)",
    ),
    (unwritable_folder, ChannelType.EMAIL, DeliveryStatus.FAILED, "write_failed", logging.ERROR, "file_email (email)"),
    (
        lambda context: echo_message(),
        ChannelType.PUSH,
        DeliveryStatus.SKIPPED,
        "no_channel",
        logging.INFO,
        "any push channel",
    ),
]


@pytest.mark.parametrize(("arrange", "channel_type", "status", "code", "level", "words"), CASES)
def test_not_delivered_is_named(
    smtp_settings, smtp_server, clock, tmp_path, caplog, newrelic, arrange, channel_type, status, code, level, words
):
    caplog.set_level(logging.INFO, logger="edx_ace")
    message = arrange({"settings": smtp_settings, "smtp_server": smtp_server, "clock": clock, "tmp_path": tmp_path})
    sent_signals = []

    def receiver(**kwargs):
        sent_signals.append(kwargs["message"]["uuid"])

    ACE_MESSAGE_SENT.connect(receiver)
    try:
        result = ace.send(message)
        smtp_settings.ACE_ENABLED_CHANNELS = ["django_email"]
        smtp_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        following = ace.send(echo_message(email_address="next@example.com"))
    finally:
        ACE_MESSAGE_SENT.disconnect(receiver)

    outcome = result.outcome_for(channel_type)
    assert outcome.status is status
    assert outcome.code == code
    assert not outcome.delivered
    if channel_type is ChannelType.EMAIL:
        assert not result.delivered
    lines = log_lines(caplog, message, level)
    assert len([line for line in lines if words in line and code in line]) == 1
    key = f"edx_ace.outcome.{channel_type}.{status}.{code}"
    assert monitoring.counters()[key] == 2 if code == "no_channel" else monitoring.counters()[key] == 1
    assert ("Custom/" + key.replace(".", "/"), 1) in newrelic.metrics
    assert (f"edx_ace.{channel_type}.reason", code) in newrelic.attributes
    assert following.delivered
    assert smtp_server.handler.envelopes[-1][1] == ["next@example.com"]
    delivered_uuids = [sent.log_id.split(":")[1] for sent in (result, following) if sent.delivered]
    assert sent_signals == delivered_uuids


def test_delivered_counted_once(smtp_settings, smtp_server, newrelic):
    ace.send(echo_message())

    assert monitoring.counters()["edx_ace.outcome.email.delivered.delivered"] == 1
    assert ("edx_ace.email.status", "delivered") in newrelic.attributes


def test_denied_is_logged_at_info(smtp_settings, smtp_server, caplog, cleanups):
    caplog.set_level(logging.INFO, logger="edx_ace")
    patch_policies(cleanups, [StubPolicy([ChannelType.EMAIL])])
    message = echo_message()

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DENIED
    assert outcome.code == "denied_by_policy"
    assert any(
        "any email channel" in line and "StubPolicy" in line for line in log_lines(caplog, message, logging.INFO)
    )
    assert smtp_server.handler.sessions == 0


def test_deferred_is_a_warning(smtp_settings, smtp_server, caplog):
    smtp_server.handler.data_replies.append("451 4.3.0 Try again later")
    message = echo_message()

    outcome = ace.send_message(message, wait_for_retries=False).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DEFERRED
    assert outcome.code == "retry_later"
    assert len(log_lines(caplog, message, logging.WARNING)) == 1


def test_missing_channel_logged_rarely(email_dir, caplog):
    caplog.set_level(logging.INFO, logger="edx_ace")

    for _ in range(20):
        ace.send(echo_message())

    skips = [record.getMessage() for record in caplog.records if "any push channel" in record.getMessage()]
    info = [line for line in skips if "no_channel" in line and "so far" in line]
    assert len(info) == 2
    assert "(1 message(s) so far" in info[0]
    assert "(10 message(s) so far" in info[1]
