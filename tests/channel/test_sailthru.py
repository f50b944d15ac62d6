"""The Sailthru email channel: the real sailthru-client against a fake Sailthru API on 127.0.0.1."""

from __future__ import annotations

import datetime
import logging
import os
import pathlib
import re
import subprocess
import sys

import pytest
from django.core.checks import run_checks
from hypothesis import given
from hypothesis import strategies as st

from edx_ace import ace, channel, conf
from edx_ace.channel import ChannelType
from edx_ace.channel import sailthru as sailthru_module
from edx_ace.channel.sailthru import (
    RETRY_DELAY,
    RecoverableErrorCodes,
    ResponseHeaders,
    SailthruEmailChannel,
    response_error,
)
from edx_ace.errors import ChannelError, FatalChannelDeliveryError, InvalidMessageError, RecoverableChannelDeliveryError
from edx_ace.presentation import render
from edx_ace.result import DeliveryStatus
from tests.conftest import make_message
from tests.sailthru_server import Answer, SailthruServer, error_answer, json_answer
from tests.smtp_server import free_port

API_KEY = "key-5c0ffee7a1b2"
API_SECRET = "secret-9d8e7f6a5b4c"
TEMPLATE = "ACE email"

RATE_LIMIT_TEXT = "Too many POST requests this minute to /send API"


@pytest.fixture
def sailthru_server():
    """A fake Sailthru API on 127.0.0.1 that accepts ``API_KEY`` signed with ``API_SECRET``."""
    server = SailthruServer(API_KEY, API_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def sailthru_settings(settings, sailthru_server, monkeypatch):
    """Enable only ``sailthru_email`` and point it at ``sailthru_server``."""
    # requests would send through a proxy named in the environment; loopback must stay direct.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.ACE_ENABLED_CHANNELS = ["sailthru_email"]
    settings.ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME = TEMPLATE
    settings.ACE_CHANNEL_SAILTHRU_API_KEY = API_KEY
    settings.ACE_CHANNEL_SAILTHRU_API_SECRET = API_SECRET
    settings.ACE_CHANNEL_SAILTHRU_API_URL = sailthru_server.url
    settings.ACE_CHANNEL_SAILTHRU_TIMEOUT = 5
    return settings


@pytest.fixture
def clock(clock, monkeypatch):
    """The shared fake clock, also used by the Sailthru channel."""
    monkeypatch.setattr("edx_ace.channel.sailthru.get_current_time", clock.current_time)
    return clock


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    """Forget which reasons ``enabled()`` already logged, so each test captures its own warnings."""
    monkeypatch.setattr(sailthru_module, "_warned_problems", set())


def make_channel():
    sailthru_channel = SailthruEmailChannel()
    sailthru_channel.name = "sailthru_email"
    return sailthru_channel


def deliver(message, sailthru_channel=None):
    sailthru_channel = sailthru_channel or make_channel()
    return sailthru_channel.deliver(message, render(ChannelType.EMAIL, message))


def epoch(moment: datetime.datetime) -> str:
    return str(int(moment.timestamp()))


def assert_no_secret(text: str) -> None:
    assert API_KEY not in text
    assert API_SECRET not in text


# Names and settings


def test_names_match_reference():
    assert RecoverableErrorCodes.INTERNAL_ERROR.value == 9
    assert RecoverableErrorCodes.RATE_LIMIT.value == 43
    assert ResponseHeaders.RATE_LIMIT_REMAINING.value == "X-Rate-Limit-Remaining"
    assert ResponseHeaders.RATE_LIMIT_RESET.value == "X-Rate-Limit-Reset"
    assert SailthruEmailChannel.channel_type is ChannelType.EMAIL


def test_setting_defaults(settings):
    del settings.ACE_CHANNEL_SAILTHRU_API_URL

    assert conf.get("ACE_CHANNEL_SAILTHRU_DEBUG") is False
    assert conf.get("ACE_CHANNEL_SAILTHRU_API_URL") == "https://api.sailthru.com"
    assert conf.get("ACE_CHANNEL_SAILTHRU_TIMEOUT") == 10


def test_docstring_example_lists_every_setting():
    """The settings example in the class docstring is valid Python naming every Sailthru setting."""
    docstring = SailthruEmailChannel.__doc__
    example = re.search(r"\.\. settings_start\n(.*?)\n\s*\.\. settings_end", docstring, re.DOTALL).group(1)
    values: dict = {}
    exec("\n".join(line.strip() for line in example.splitlines()), {}, values)

    sailthru_names = {name for name in conf.SETTINGS if name.startswith("ACE_CHANNEL_SAILTHRU_")}
    assert set(values) == sailthru_names | {"ACE_ENABLED_CHANNELS"}
    assert values["ACE_CHANNEL_SAILTHRU_API_URL"] == conf.SETTINGS["ACE_CHANNEL_SAILTHRU_API_URL"][0]
    assert values["ACE_CHANNEL_SAILTHRU_TIMEOUT"] == conf.SETTINGS["ACE_CHANNEL_SAILTHRU_TIMEOUT"][0]


def test_entry_point_loads_channel(sailthru_settings):
    loaded = channel.channels()[ChannelType.EMAIL]

    assert isinstance(loaded, SailthruEmailChannel)
    assert loaded.channel_name == "sailthru_email"


def test_settings_read_at_each_delivery(sailthru_settings, sailthru_server):
    sailthru_channel = make_channel()
    sailthru_settings.ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME = "Changed after creation"

    deliver(make_message(), sailthru_channel)

    assert sailthru_server.requests[0].payload["template"] == "Changed after creation"


# enabled() and the system checks


def test_enabled_with_complete_settings(sailthru_settings):
    assert SailthruEmailChannel.configuration_problems() == []
    assert SailthruEmailChannel.enabled() is True


@pytest.mark.parametrize(
    "setting", ["ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME", "ACE_CHANNEL_SAILTHRU_API_KEY", "ACE_CHANNEL_SAILTHRU_API_SECRET"]
)
@pytest.mark.parametrize("empty", [None, ""])
def test_missing_setting_disables(sailthru_settings, setting, empty):
    setattr(sailthru_settings, setting, empty)

    problems = SailthruEmailChannel.configuration_problems()

    assert SailthruEmailChannel.enabled() is False
    assert len(problems) == 1
    assert problems[0].startswith(f"{setting} is empty; set it to ")


def test_missing_client_disables(sailthru_settings, monkeypatch):
    # A None entry in sys.modules makes `import sailthru` raise ImportError.
    monkeypatch.setitem(sys.modules, "sailthru", None)

    problems = SailthruEmailChannel.configuration_problems()

    assert SailthruEmailChannel.enabled() is False
    assert problems == [
        'The Sailthru client library sailthru-client is not installed; run pip install "edx-ace[sailthru]".'
    ]


def test_missing_client_is_fatal_without_request(sailthru_settings, sailthru_server, monkeypatch):
    monkeypatch.setitem(sys.modules, "sailthru", None)

    with pytest.raises(FatalChannelDeliveryError, match=re.escape('pip install "edx-ace[sailthru]"')):
        deliver(make_message())
    assert sailthru_server.requests == []


def test_disabled_reason_logged_once(sailthru_settings, caplog):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_KEY = ""
    caplog.set_level(logging.WARNING, logger="edx_ace.channel.sailthru")

    SailthruEmailChannel.enabled()
    SailthruEmailChannel.enabled()

    reasons = [record.getMessage() for record in caplog.records if record.name == "edx_ace.channel.sailthru"]
    assert reasons == [
        "The sailthru_email channel is not enabled: ACE_CHANNEL_SAILTHRU_API_KEY is empty; set it to your "
        "Sailthru API key."
    ]


def test_disabled_channel_is_skipped_by_send(sailthru_settings, sailthru_server):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_SECRET = ""

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.SKIPPED
    assert sailthru_server.requests == []


def ace_checks():
    return [message for message in run_checks(tags=["edx_ace"]) if message.id.startswith("edx_ace.")]


def test_check_passes_complete_settings(sailthru_settings):
    assert ace_checks() == []


def test_check_reports_missing_setting_once(sailthru_settings):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_KEY = ""

    messages = ace_checks()

    assert [message.id for message in messages] == ["edx_ace.W001"]
    assert "ACE_CHANNEL_SAILTHRU_API_KEY is empty" in messages[0].msg
    assert "'sailthru_email'" in messages[0].msg


def test_check_reports_missing_client_once(sailthru_settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "sailthru", None)

    messages = ace_checks()

    assert [message.id for message in messages] == ["edx_ace.W001"]
    assert 'pip install "edx-ace[sailthru]"' in messages[0].msg


@pytest.mark.parametrize("timeout", [0, -1, "10", True, float("nan"), float("inf")])
def test_check_rejects_invalid_timeout(sailthru_settings, timeout):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_TIMEOUT = timeout

    messages = ace_checks()

    assert [message.id for message in messages] == ["edx_ace.E100"]
    assert messages[0].msg.startswith(f"ACE_CHANNEL_SAILTHRU_TIMEOUT is {timeout!r}; set it to a positive number")


@pytest.mark.parametrize("url", ["api.sailthru.com", "ftp://api.sailthru.com", "https://", "http://[::1", 42])
def test_check_rejects_invalid_api_url(sailthru_settings, url):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_URL = url

    messages = ace_checks()

    assert [message.id for message in messages] == ["edx_ace.E101"]
    assert messages[0].msg.startswith(f"ACE_CHANNEL_SAILTHRU_API_URL is {url!r}; set it to the base URL")


def test_check_warns_debug_mode_in_production(sailthru_settings):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_DEBUG = True
    sailthru_settings.DEBUG = False

    messages = ace_checks()

    assert [message.id for message in messages] == ["edx_ace.W100"]
    assert "logs each email instead of sending it" in messages[0].msg


def test_check_allows_debug_mode_with_debug(sailthru_settings):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_DEBUG = True
    sailthru_settings.DEBUG = True

    assert ace_checks() == []


def test_check_ignores_sailthru_when_not_enabled(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]
    settings.ACE_CHANNEL_SAILTHRU_TIMEOUT = -1

    assert ace_checks() == []


def test_invalid_timeout_is_fatal_without_request(sailthru_settings, sailthru_server):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_TIMEOUT = "soon"

    with pytest.raises(FatalChannelDeliveryError, match="ACE_CHANNEL_SAILTHRU_TIMEOUT is 'soon'"):
        deliver(make_message())
    assert sailthru_server.requests == []


# Delivery


def test_send_posts_template_and_variables(sailthru_settings, sailthru_server):
    result = ace.send(make_message())

    outcome = result.outcome_for(ChannelType.EMAIL)
    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.receipt == "fake-send-1"
    assert len(sailthru_server.requests) == 1
    request = sailthru_server.requests[0]
    assert request.path == "/send"
    assert request.signature_valid
    assert request.form["api_key"] == API_KEY
    assert request.payload["template"] == TEMPLATE
    assert request.payload["email"] == "ada@example.com"
    assert set(request.payload["vars"]) == {
        "ace_template_from_name",
        "ace_template_subject",
        "ace_template_head_html",
        "ace_template_body_html",
    }
    assert request.payload["vars"]["ace_template_from_name"] == "Course Team"
    assert request.payload["vars"]["ace_template_subject"] == "Yes: Hi Tom & Jerry 101"
    assert "<p>Tom &amp; Jerry 101 starts soon.</p>" in request.payload["vars"]["ace_template_body_html"]
    assert "<title>Tom &amp; Jerry 101</title>" in request.payload["vars"]["ace_template_head_html"]


def test_subject_collapsed_to_one_line(sailthru_settings, sailthru_server):
    deliver(make_message(context={"greeting": "Hi\r\nthere", "course": "  Two\n\nlines  "}))

    assert sailthru_server.requests[0].payload["vars"]["ace_template_subject"] == "Yes: Hi there Two lines"


def test_trailing_slash_in_api_url(sailthru_settings, sailthru_server):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_URL = sailthru_server.url + "/"

    assert deliver(make_message()) == "fake-send-1"
    assert sailthru_server.requests[0].path == "/send"


def test_missing_address_is_invalid_without_request(sailthru_settings, sailthru_server):
    with pytest.raises(InvalidMessageError, match="the recipient has no email_address"):
        deliver(make_message(email_address=None))
    assert sailthru_server.requests == []


def test_missing_address_through_send(sailthru_settings, sailthru_server):
    outcome = ace.send(make_message(email_address="")).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert isinstance(outcome.error, InvalidMessageError)
    assert sailthru_server.requests == []


# Failures


def test_rate_limit_uses_reset_header(sailthru_settings, sailthru_server, clock):
    reset = clock.now + datetime.timedelta(seconds=42)
    sailthru_server.answer(
        error_answer(
            43,
            RATE_LIMIT_TEXT,
            status=429,
            headers={"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": epoch(reset)},
        )
    )

    with pytest.raises(RecoverableChannelDeliveryError) as raised:
        deliver(make_message())

    assert raised.value.next_attempt_time == reset
    assert "Sailthru error 43" in str(raised.value)
    assert RATE_LIMIT_TEXT in str(raised.value)


def test_rate_limit_header_name_any_case(sailthru_settings, sailthru_server, clock):
    reset = clock.now + datetime.timedelta(seconds=17)
    # http.server writes header names as given, so the client receives them lower-case.
    sailthru_server.answer(error_answer(43, RATE_LIMIT_TEXT, status=400, headers={"x-rate-limit-reset": epoch(reset)}))

    with pytest.raises(RecoverableChannelDeliveryError) as raised:
        deliver(make_message())

    assert raised.value.next_attempt_time == reset


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Rate-Limit-Reset": "soon"}, {"X-Rate-Limit-Reset": "1000"}, {"X-Rate-Limit-Reset": "1e400"}],
    ids=["absent", "unparseable", "past", "overflow"],
)
def test_rate_limit_without_usable_reset(sailthru_settings, sailthru_server, clock, headers):
    sailthru_server.answer(error_answer(43, RATE_LIMIT_TEXT, status=429, headers=headers))

    with pytest.raises(RecoverableChannelDeliveryError) as raised:
        deliver(make_message())

    assert raised.value.next_attempt_time == clock.now + RETRY_DELAY


def test_internal_error_is_recoverable(sailthru_settings, sailthru_server, clock):
    sailthru_server.answer(error_answer(9, "Internal Error", status=400))

    with pytest.raises(RecoverableChannelDeliveryError, match="Sailthru error 9: Internal Error") as raised:
        deliver(make_message())

    assert raised.value.next_attempt_time == clock.now + RETRY_DELAY


def test_error_code_as_string_is_recognized(sailthru_settings, sailthru_server):
    sailthru_server.answer(error_answer("43", RATE_LIMIT_TEXT, status=400))

    with pytest.raises(RecoverableChannelDeliveryError):
        deliver(make_message())


def test_429_without_json_is_recoverable(sailthru_settings, sailthru_server):
    sailthru_server.answer(Answer(status=429, body=b"slow down", content_type="text/plain"))

    with pytest.raises(RecoverableChannelDeliveryError, match="HTTP 429, body 'slow down'"):
        deliver(make_message())


def test_gateway_html_502_is_recoverable(sailthru_settings, sailthru_server, clock):
    page = b"<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1></body></html>"
    sailthru_server.answer(Answer(status=502, body=page, content_type="text/html"))

    with pytest.raises(RecoverableChannelDeliveryError, match="HTTP 502, body '<html>") as raised:
        deliver(make_message())

    assert raised.value.next_attempt_time == clock.now + RETRY_DELAY


@pytest.mark.parametrize("status", [500, 503, 504])
def test_5xx_wins_over_sailthru_code(sailthru_settings, sailthru_server, status):
    sailthru_server.answer(error_answer(14, "Unknown template: ACE email", status=status))

    with pytest.raises(RecoverableChannelDeliveryError, match=f"HTTP {status}"):
        deliver(make_message())


def test_unknown_template_is_fatal(sailthru_settings, sailthru_server):
    sailthru_server.answer(error_answer(14, "Unknown template: ACE email"))

    with pytest.raises(FatalChannelDeliveryError) as raised:
        deliver(make_message())

    assert raised.value.message == (
        "Sailthru rejected the send (HTTP 400, Sailthru error 14: Unknown template: ACE email); check that "
        "ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME names a template that exists in Sailthru"
    )


def test_invalid_email_is_fatal(sailthru_settings, sailthru_server):
    sailthru_server.answer(error_answer(11, "Invalid email: ada@example.com"))

    with pytest.raises(FatalChannelDeliveryError, match=re.escape("HTTP 400, Sailthru error 11: Invalid email")):
        deliver(make_message())


@pytest.mark.parametrize("code", [32, 34, 99, "not a number", None, 4.5])
def test_other_codes_are_fatal(sailthru_settings, sailthru_server, code):
    sailthru_server.answer(error_answer(code, "Something Sailthru said"))

    with pytest.raises(FatalChannelDeliveryError, match=re.escape(f"Sailthru error {code}: Something Sailthru said")):
        deliver(make_message())


def test_bad_signature_is_fatal(sailthru_settings, sailthru_server):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_SECRET = "secret-that-sailthru-does-not-know"

    with pytest.raises(FatalChannelDeliveryError, match=re.escape("HTTP 401, Sailthru error 5: Authentication failed")):
        deliver(make_message())
    assert sailthru_server.requests[0].signature_valid is False


def test_404_without_json_names_api_url(sailthru_settings, sailthru_server):
    sailthru_server.answer(Answer(status=404, body=b"<h1>Not Found</h1>", content_type="text/html"))

    with pytest.raises(FatalChannelDeliveryError, match="check that ACE_CHANNEL_SAILTHRU_API_URL"):
        deliver(make_message())


@pytest.mark.parametrize("body", [b"OK", b"[1, 2]", b"", b"\xff\xfe"], ids=["text", "list", "empty", "binary"])
def test_2xx_without_json_object_is_unknown(sailthru_settings, sailthru_server, body):
    sailthru_server.answer(Answer(status=200, body=body, content_type="text/plain"))

    with pytest.raises(FatalChannelDeliveryError, match="delivery unknown: Sailthru's response is not a JSON object"):
        deliver(make_message())


def test_closed_port_is_recoverable(sailthru_settings, sailthru_server, clock):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_URL = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(RecoverableChannelDeliveryError, match="failed to connect to Sailthru") as raised:
        deliver(make_message())

    assert raised.value.next_attempt_time == clock.now + RETRY_DELAY


def test_slow_response_is_unknown_and_fatal(sailthru_settings, sailthru_server):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_TIMEOUT = 0.5
    sailthru_server.answer(json_answer({"send_id": "too-late"}, delay=1.5))

    with pytest.raises(FatalChannelDeliveryError) as raised:
        deliver(make_message())

    assert raised.value.message.startswith(
        "delivery unknown: the request was sent but Sailthru's response timed out after 0.5 s "
        "(ACE_CHANNEL_SAILTHRU_TIMEOUT)"
    )
    assert "idempotency key" in raised.value.message


def test_dropped_connection_is_unknown(sailthru_settings, sailthru_server):
    sailthru_server.answer(Answer(drop=True))

    with pytest.raises(FatalChannelDeliveryError) as raised:
        deliver(make_message())

    assert raised.value.message.startswith(
        "delivery unknown: the request to Sailthru failed after it may have been sent"
    )
    assert len(sailthru_server.requests) == 1


def test_body_breaking_client_parser_is_unknown(sailthru_settings, sailthru_server):
    """A body nested too deeply for sailthru-client's JSON parser raises RecursionError inside the client."""
    depth = 100_000
    sailthru_server.answer(Answer(status=200, body=b"[" * depth + b"]" * depth))

    with pytest.raises(FatalChannelDeliveryError, match="delivery unknown: sailthru-client raised RecursionError"):
        deliver(make_message())


@pytest.mark.parametrize(
    ("value", "expected"),
    [(43, 43), (43.0, 43), ("43", 43), (" 9 ", 9), (True, None), (4.5, None), ("x", None), (None, None), ([9], None)],
)
def test_error_code_normalized(value, expected):
    assert sailthru_module.error_code(value) == expected


def test_connect_timeout_means_not_sent():
    import requests

    assert sailthru_module.connection_not_made(requests.ConnectTimeout("connect timed out"))
    assert not sailthru_module.connection_not_made(requests.ReadTimeout("read timed out"))
    assert not sailthru_module.connection_not_made(requests.ConnectionError("Connection aborted."))
    assert not sailthru_module.connection_not_made(None)


def test_long_error_text_is_shortened(sailthru_settings, sailthru_server):
    sailthru_server.answer(error_answer(99, "x" * 5000))

    with pytest.raises(FatalChannelDeliveryError) as raised:
        deliver(make_message())

    assert "x" * 200 + "..." in raised.value.message
    assert "x" * 201 not in raised.value.message


def test_import_reads_no_settings_or_client():
    """Importing the channel module needs neither Django settings nor sailthru-client."""
    code = (
        "import sys\n"
        "import edx_ace.channel.sailthru\n"
        "assert 'sailthru' not in sys.modules, 'sailthru imported'\n"
        "assert 'requests' not in sys.modules, 'requests imported'\n"
    )
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}

    completed = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)

    assert completed.returncode == 0, completed.stderr


# The whole path through ace.send


def test_rate_limited_then_delivered_once(sailthru_settings, sailthru_server, clock):
    reset = clock.now + datetime.timedelta(seconds=30)
    sailthru_server.answer(error_answer(43, RATE_LIMIT_TEXT, status=429, headers={"X-Rate-Limit-Reset": epoch(reset)}))

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.receipt == "fake-send-1"
    assert len(sailthru_server.requests) == 2
    assert len(sailthru_server.accepted) == 1
    assert clock.sleeps == [30.0]
    assert clock.now == reset


def test_expired_message_not_retried(sailthru_settings, sailthru_server, clock):
    reset = clock.now + datetime.timedelta(seconds=60)
    sailthru_server.answer(error_answer(43, RATE_LIMIT_TEXT, status=429, headers={"X-Rate-Limit-Reset": epoch(reset)}))
    message = make_message(expiration_time=clock.now + datetime.timedelta(seconds=10))

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.EXPIRED
    assert len(sailthru_server.requests) == 1
    assert sailthru_server.accepted == []
    assert clock.sleeps == []


def test_closed_port_expires_without_sending(sailthru_settings, clock):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_API_URL = f"http://127.0.0.1:{free_port()}"
    sailthru_settings.ACE_DEFAULT_EXPIRATION_DELAY = 12

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.EXPIRED
    assert clock.sleeps == [5.0, 5.0]


def test_slow_response_not_retried_by_send(sailthru_settings, sailthru_server, clock):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_TIMEOUT = 0.5
    sailthru_server.answer(json_answer({"send_id": "too-late"}, delay=1.5))

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.reason.startswith("delivery unknown")
    assert len(sailthru_server.requests) == 1
    assert clock.sleeps == []


def test_fatal_error_not_retried_by_send(sailthru_settings, sailthru_server, clock):
    sailthru_server.answer(error_answer(14, "Unknown template: ACE email"))

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.FAILED
    assert "Sailthru error 14" in outcome.reason
    assert len(sailthru_server.requests) == 1


def test_debug_mode_sends_nothing(sailthru_settings, sailthru_server, caplog):
    sailthru_settings.ACE_CHANNEL_SAILTHRU_DEBUG = True
    caplog.set_level(logging.INFO, logger="edx_ace")
    message = make_message()

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.receipt is None
    assert sailthru_server.requests == []
    debug_lines = [
        record.getMessage() for record in caplog.records if "ACE_CHANNEL_SAILTHRU_DEBUG" in record.getMessage()
    ]
    assert len(debug_lines) == 1
    line = debug_lines[0]
    assert line.startswith(f"[{message.log_id}] ACE_CHANNEL_SAILTHRU_DEBUG is true, so nothing is sent to Sailthru")
    assert f"template {TEMPLATE!r}" in line
    assert "recipient ada (a***@example.com)" in line
    assert "ace_template_subject (23 characters)" in line
    assert "ace_template_body_html (" in line
    assert "ada@example.com" not in line
    assert "Tom & Jerry" not in line


# Secrets


SECRET_SCENARIOS = {
    "accepted": lambda server, settings: None,
    "rate limit": lambda server, settings: server.answer(error_answer(43, RATE_LIMIT_TEXT, status=429)),
    "unknown template": lambda server, settings: server.answer(error_answer(14, "Unknown template")),
    "gateway page": lambda server, settings: server.answer(Answer(status=502, body=b"<h1>502</h1>")),
    "key echoed": lambda server, settings: server.answer(
        error_answer(2, f"Invalid API key {API_KEY} for secret {API_SECRET}")
    ),
    "key echoed in page": lambda server, settings: server.answer(Answer(status=404, body=API_KEY.encode())),
    "bad signature": lambda server, settings: setattr(settings, "ACE_CHANNEL_SAILTHRU_API_KEY", API_KEY + "-other"),
    "closed port": lambda server, settings: setattr(
        settings, "ACE_CHANNEL_SAILTHRU_API_URL", f"http://127.0.0.1:{free_port()}"
    ),
    "timeout": lambda server, settings: (
        setattr(settings, "ACE_CHANNEL_SAILTHRU_TIMEOUT", 0.5),
        server.answer(json_answer({"send_id": "late"}, delay=1.5)),
    ),
    "debug": lambda server, settings: setattr(settings, "ACE_CHANNEL_SAILTHRU_DEBUG", True),
}


@pytest.mark.parametrize("scenario", SECRET_SCENARIOS)
def test_secrets_never_shown(sailthru_settings, sailthru_server, clock, caplog, scenario):
    """Neither the key nor the secret appears in a log line, an error message or a repr."""
    caplog.set_level(logging.DEBUG)
    sailthru_channel = make_channel()

    SECRET_SCENARIOS[scenario](sailthru_server, sailthru_settings)
    try:
        deliver(make_message(), sailthru_channel)
    except ChannelError as error:
        assert_no_secret(str(error))
        assert_no_secret(repr(error))
    SECRET_SCENARIOS[scenario](sailthru_server, sailthru_settings)
    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert_no_secret(outcome.reason)
    assert_no_secret(str(outcome.error))
    assert_no_secret(repr(outcome))
    for record in caplog.records:
        assert_no_secret(record.getMessage())
    assert_no_secret(caplog.text)
    assert_no_secret(repr(sailthru_channel))
    assert_no_secret(repr(sailthru_module.SailthruSettings.read()))


def test_echoed_key_is_redacted(sailthru_settings, sailthru_server):
    sailthru_server.answer(error_answer(2, f"Invalid API key {API_KEY}"))

    with pytest.raises(FatalChannelDeliveryError, match=re.escape("Sailthru error 2: Invalid API key ***")):
        deliver(make_message())


# Responses of any shape


def test_next_attempt_time_header_any_case():
    now = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
    reset = now + datetime.timedelta(seconds=20)

    for name in ["X-Rate-Limit-Reset", "x-rate-limit-reset", "X-RATE-LIMIT-RESET"]:
        assert sailthru_module.next_attempt_time({name: epoch(reset)}, now) == reset
    assert sailthru_module.next_attempt_time({"X-Rate-Limit-Reset": epoch(now)}, now) == now + RETRY_DELAY


headers_strategy = st.dictionaries(
    st.sampled_from(["X-Rate-Limit-Reset", "x-rate-limit-reset", "X-RATE-LIMIT-RESET", "X-Rate-Limit-Remaining"])
    | st.text(max_size=10),
    st.text(max_size=30)
    | st.integers(min_value=-(10**20), max_value=10**20).map(str)
    | st.floats(allow_nan=True).map(str),
    max_size=3,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
body_strategy = json_values | st.fixed_dictionaries(
    {"error": json_values}, optional={"errormsg": json_values, "send_id": json_values}
)


@given(
    status=st.integers(min_value=100, max_value=599),
    headers=headers_strategy,
    body=body_strategy,
    content=st.binary(max_size=50) | st.none(),
)
def test_any_response_gives_channel_error_or_none(status, headers, body, content):
    now = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)

    error = response_error(status, headers, body, content, now=now, channel="sailthru_email", log_id="m")

    assert error is None or isinstance(error, RecoverableChannelDeliveryError | FatalChannelDeliveryError)
    if error is None:
        assert 200 <= status <= 299
        assert isinstance(body, dict)
    if isinstance(error, RecoverableChannelDeliveryError):
        assert error.next_attempt_time >= now


# The example in the docs


CHANNELS_DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "channels.rst"


def sailthru_doc_examples() -> list[str]:
    """Return the Python code blocks of the Sailthru section of docs/channels.rst."""
    section = CHANNELS_DOC.read_text(encoding="utf-8").split("Sailthru (``sailthru_email``)\n", 1)[1]
    blocks = []
    for part in section.split(".. code-block:: python\n\n")[1:]:
        lines = []
        for line in part.splitlines():
            if line and not line.startswith("    "):
                break
            lines.append(line[4:])
        blocks.append("\n".join(lines))
    return blocks


def test_docs_example_delivers(settings, sailthru_server, monkeypatch):
    settings_block, send_block = sailthru_doc_examples()
    monkeypatch.setenv("SAILTHRU_API_KEY", API_KEY)
    monkeypatch.setenv("SAILTHRU_API_SECRET", API_SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    documented: dict = {}

    exec(compile(settings_block, str(CHANNELS_DOC), "exec"), documented)
    for name, value in documented.items():
        if name.startswith("ACE_"):
            setattr(settings, name, value)
    # The documented URL is Sailthru's production API; tests only talk to 127.0.0.1.
    assert settings.ACE_CHANNEL_SAILTHRU_API_URL == "https://api.sailthru.com"
    settings.ACE_CHANNEL_SAILTHRU_API_URL = sailthru_server.url
    namespace: dict = {"__name__": "channels_doc_example"}
    exec(compile(send_block, str(CHANNELS_DOC), "exec"), namespace)

    outcome = namespace["outcome"]
    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.receipt == "fake-send-1"
    assert len(sailthru_server.requests) == 1
    payload = sailthru_server.requests[0].payload
    assert payload["template"] == "ACE email"
    assert payload["email"] == "ada@example.com"
    assert "Ada" in payload["vars"]["ace_template_body_html"]
