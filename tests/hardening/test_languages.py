"""Message.language values from other systems: normalized, reported, and warned about once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.utils import translation

from edx_ace import ace, language
from edx_ace.channel import ChannelType
from edx_ace.result import DeliveryStatus
from edx_ace.utils.repeats import RepeatCounter
from tests.hardening.messages import echo_message, log_lines

# (Message.language, language used, whether a warning is expected)
LANGUAGE_CASES = [
    ("fr", "fr", False),
    ("FR", "fr", False),
    ("ES_419", "es-419", False),
    ("es-419", "es-419", False),
    ("fr-CA", "fr", False),
    ("fr_ca", "fr", False),
    ("es-MX", "es", False),
    ("  fr ", "fr", False),
    ("", "en", True),
    ("English", "en", True),
    ("../../x", "en", True),
    ("de", "en", True),
    ("fr\nBcc: x", "en", True),
    ("x" * 500, "en", True),
]


@pytest.mark.parametrize(("value", "used", "warns"), LANGUAGE_CASES)
def test_language_used_on_smtp(smtp_settings, smtp_server, caplog, value, used, warns):
    message = echo_message(language=value)
    following = echo_message(language="es")

    result = ace.send(message)
    ace.send(following)

    assert result.language == used
    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    text, html = smtp_server.messages[0].get_payload()
    assert text.get_content().splitlines()[0] == f"language={used}"
    assert f'<html lang="{used}">' in html.get_content()
    warnings = log_lines(caplog, message, logging.WARNING)
    assert len(warnings) == (1 if warns else 0)
    if warns:
        assert repr(value[: language.MAX_VALUE_LENGTH]) in warnings[0]
        assert "LANGUAGES" in warnings[0]
    assert smtp_server.messages[1].get_payload()[0].get_content().splitlines()[0] == "language=es"


@pytest.mark.parametrize(("value", "used", "warns"), LANGUAGE_CASES)
def test_language_used_on_file(email_dir, value, used, warns):
    result = ace.send(echo_message(language=value))

    page = Path(result.outcome_for(ChannelType.EMAIL).receipt).read_text(encoding="utf-8")
    assert result.language == used
    assert f"language={used}\n" in page
    assert f'<th align="left">Language</th><td>{used}</td>' in page


def test_no_language_uses_active(email_dir):
    with translation.override("fr"):
        result = ace.send(echo_message())

    assert result.language == "fr"


def test_warning_rate_limited(email_dir, caplog):
    messages = [echo_message(language="Klingon") for _ in range(100)]

    results = [ace.send(message) for message in messages]

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert "(1 message(s) with this value" in warnings[0]
    assert "(10 message(s) with this value" in warnings[1]
    assert "(100 message(s) with this value" in warnings[2]
    assert all(result.delivered for result in results)
    assert language.unsupported_counts() == {"Klingon": 100}


def test_many_distinct_values_share_count(email_dir, caplog, monkeypatch):
    monkeypatch.setattr(language, "_unsupported", RepeatCounter(max_keys=2))

    for value in ["aa-bad", "bb-bad", "cc-bad", "dd-bad"]:
        ace.send(echo_message(language=value))

    assert language.unsupported_counts() == {"aa-bad": 1, "bb-bad": 1, "<other values>": 2}
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert "'cc-bad' (one of many unsupported values)" in warnings[2]


def test_language_set_later_to_non_str(email_dir):
    message = echo_message()
    message.language = 7

    result = ace.send(message)

    assert result.language == "en"
    assert result.delivered


def test_language_code_spelled_as_languages(settings):
    settings.LANGUAGE_CODE = "en-US"

    assert language.normalize("klingon") == "en"


def test_lazy_string_uses_normalized_language():
    message = echo_message(language="ES_419", context={"text": translation.gettext_lazy("Yes")})

    assert message.to_json()["context"]["text"] == "Sí"
