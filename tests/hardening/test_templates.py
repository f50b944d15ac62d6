"""Template errors fail one message on one channel, never the batch, and never half-send it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.core.exceptions import ObjectDoesNotExist

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.result import DeliveryStatus
from tests.hardening.messages import echo_message, log_lines


class RaisingProperty:
    """A context value whose property fails, as a model property reading a deleted row would."""

    def __init__(self, error):
        self.error = error

    @property
    def field(self):
        raise self.error


class RaisingStr:
    def __str__(self):
        raise RuntimeError("str() failed")


def raise_lookup_error():
    raise LookupError("callable failed")


# (message name, context value, template path in the reason, exception type in the reason, words)
FAILURES = [
    (
        "unknown_library",
        None,
        "hardening/edx_ace/unknown_library/email/subject.txt",
        "TemplateSyntaxError",
        "no_such_library",
    ),
    (
        "missing_include",
        None,
        "hardening/edx_ace/missing_include/email/body.html",
        "TemplateDoesNotExist",
        "hardening/no_such_part.html",
    ),
    ("bad_filter", None, "hardening/edx_ace/bad_filter/email/body.txt", "TemplateSyntaxError", "no_such_filter"),
    ("unclosed_block", None, "hardening/edx_ace/unclosed_block/email/body.txt", "TemplateSyntaxError", "endif"),
    (
        "value",
        RaisingProperty(ValueError("bad value")),
        "hardening/edx_ace/value/email/body.html",
        "ValueError",
        "bad value",
    ),
    (
        "value",
        RaisingProperty(AttributeError("no profile")),
        "hardening/edx_ace/value/email/body.html",
        "AttributeError",
        "no profile",
    ),
    (
        "value",
        {"field": raise_lookup_error},
        "hardening/edx_ace/value/email/body.html",
        "LookupError",
        "callable failed",
    ),
    ("value", {"field": RaisingStr()}, "hardening/edx_ace/value/email/body.html", "RuntimeError", "str() failed"),
]


def failing_message(name, value):
    message = echo_message(name=name)
    message.context["value"] = value
    return message


@pytest.mark.parametrize(("name", "value", "path", "exception", "words"), FAILURES)
def test_template_failure_on_smtp(smtp_settings, smtp_server, caplog, name, value, path, exception, words):
    message = failing_message(name, value)

    result = ace.send(message)
    following = ace.send(echo_message())

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.code == "rendering_failed"
    assert outcome.reason.startswith(f"rendering {path} failed: {exception}: ")
    assert words in outcome.reason
    assert following.delivered
    assert [envelope[1] for envelope in smtp_server.handler.envelopes] == [["ada@example.com"]]
    assert smtp_server.handler.sessions == 1
    errors = [record for record in caplog.records if message.log_id in record.getMessage()]
    errors = [record for record in errors if record.levelno >= logging.WARNING]
    assert len(errors) == 1
    assert errors[0].levelno == logging.ERROR
    assert errors[0].exc_info is not None
    assert "django_email (email)" in errors[0].getMessage()


@pytest.mark.parametrize(("name", "value", "path", "exception", "words"), FAILURES)
def test_template_failure_on_file(email_dir, caplog, name, value, path, exception, words):
    message = failing_message(name, value)

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)
    following = ace.send(echo_message())

    assert outcome.status is DeliveryStatus.FAILED
    assert path in outcome.reason
    assert following.delivered
    assert len(list(email_dir.iterdir())) == 1
    assert len(log_lines(caplog, message, logging.ERROR)) == 1


@pytest.mark.parametrize(("name", "value", "path", "exception", "words"), FAILURES)
def test_template_failure_on_sailthru(sailthru_server, caplog, name, value, path, exception, words):
    message = failing_message(name, value)

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)
    following = ace.send(echo_message())

    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.reason.startswith(f"rendering {path} failed: {exception}: ")
    assert following.delivered
    assert len(sailthru_server.requests) == 1
    assert len(log_lines(caplog, message, logging.ERROR)) == 1


class MissingRow:
    @property
    def field(self):
        raise ObjectDoesNotExist("the row was deleted")


def test_silent_failures_render_empty(email_dir):
    """Missing names and exceptions marked silent_variable_failure render empty, as in Django."""
    message = failing_message("silent", MissingRow())

    result = ace.send(message)

    page = Path(result.outcome_for(ChannelType.EMAIL).receipt).read_text(encoding="utf-8")
    assert result.delivered
    assert "[][][]\n" in page
