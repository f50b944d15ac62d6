"""Configuration never breaks a send: the channel is reported unavailable and the problem named."""

from __future__ import annotations

import logging
import tempfile
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.result import DeliveryStatus
from tests.hardening.messages import echo_message

UNSET = object()

# (settings, status, code, words of a WARNING or ERROR line or None, check id or None)
CASES = [
    ({"ACE_ENABLED_CHANNELS": UNSET}, DeliveryStatus.DELIVERED, "delivered", None, None),
    ({"ACE_CHANNEL_FILE_EMAIL_DIRECTORY": UNSET}, DeliveryStatus.DELIVERED, "delivered", None, None),
    ({"ACE_DEFAULT_EXPIRATION_DELAY": UNSET}, DeliveryStatus.DELIVERED, "delivered", None, None),
    ({"ACE_ENABLED_POLICIES": UNSET}, DeliveryStatus.DELIVERED, "delivered", None, None),
    (
        {"ACE_ENABLED_CHANNELS": ["no_such_channel"]},
        DeliveryStatus.SKIPPED,
        "no_channel",
        "ACE_ENABLED_CHANNELS names 'no_such_channel', but no installed package provides",
        "edx_ace.E001",
    ),
    (
        {"ACE_ENABLED_CHANNELS": "file_email"},
        DeliveryStatus.SKIPPED,
        "channel_unavailable",
        "ACE_ENABLED_CHANNELS must be a list of plugin names",
        "edx_ace.E002",
    ),
    (
        {"ACE_ENABLED_CHANNELS": ["file_email", "django_email"]},
        DeliveryStatus.SKIPPED,
        "channel_unavailable",
        "ACE_ENABLED_CHANNELS enables two email channels",
        "edx_ace.E006",
    ),
    (
        {"ACE_ENABLED_CHANNELS": ["django_email"], "DEFAULT_FROM_EMAIL": ""},
        DeliveryStatus.SKIPPED,
        "no_channel",
        "DEFAULT_FROM_EMAIL is empty",
        "edx_ace.W001",
    ),
    (
        {"ACE_CHANNEL_FILE_EMAIL_DIRECTORY": 123},
        DeliveryStatus.SKIPPED,
        "no_channel",
        "ACE_CHANNEL_FILE_EMAIL_DIRECTORY is 123",
        "edx_ace.W001",
    ),
    (
        {"ACE_DEFAULT_EXPIRATION_DELAY": "120"},
        DeliveryStatus.DELIVERED,
        "delivered",
        "ACE_DEFAULT_EXPIRATION_DELAY is '120', not a number of seconds",
        "edx_ace.E140",
    ),
    (
        {"ACE_DEFAULT_EXPIRATION_DELAY": -5},
        DeliveryStatus.DELIVERED,
        "delivered",
        "ACE_DEFAULT_EXPIRATION_DELAY is -5, not a number of seconds",
        "edx_ace.E140",
    ),
    (
        {"ACE_ENABLED_POLICIES": ["no_such_policy"]},
        DeliveryStatus.FAILED,
        "policy_failed",
        "ACE_ENABLED_POLICIES names 'no_such_policy', which could not be loaded",
        "edx_ace.E003",
    ),
    (
        {"ACE_ENABLED_POLICIES": "optout"},
        DeliveryStatus.FAILED,
        "policy_failed",
        "ACE_ENABLED_POLICIES must be a list of plugin names",
        "edx_ace.E004",
    ),
    (
        {"ACE_ENABLED_CHANNELS": ["django_email"], "DEFAULT_FROM_EMAIL": "not an address"},
        DeliveryStatus.DELIVERED,
        "delivered",
        None,
        "edx_ace.E141",
    ),
    ({"LANGUAGE_CODE": "de"}, DeliveryStatus.DELIVERED, "delivered", None, "edx_ace.W140"),
]


@pytest.mark.parametrize(("changes", "status", "code", "words", "check_id"), CASES)
def test_configuration_never_breaks_send(
    settings, email_dir, tmp_path, monkeypatch, caplog, changes, status, code, words, check_id
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for name, value in changes.items():
        if value is UNSET:
            if hasattr(settings, name):
                delattr(settings, name)
        else:
            setattr(settings, name, value)

    results = [ace.send(echo_message()) for _ in range(3)]

    for result in results:
        outcome = result.outcome_for(ChannelType.EMAIL)
        assert outcome.status is status
        assert outcome.code == code
    problems = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    if words is None:
        assert problems == []
    else:
        assert any(words in line for line in problems)
    found = [message for message in run_checks(tags=["edx_ace"]) if message.id.startswith("edx_ace.")]
    assert [message.id for message in found] == ([check_id] if check_id else [])


def test_check_command_names_setting(settings):
    settings.ACE_DEFAULT_EXPIRATION_DELAY = "two minutes"
    output = StringIO()

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", stdout=output, stderr=output)

    text = str(raised.value)
    assert "edx_ace.E140" in text
    assert "ACE_DEFAULT_EXPIRATION_DELAY is 'two minutes'" in text
    assert "Set ACE_DEFAULT_EXPIRATION_DELAY to a number of seconds" in text


def test_unset_folder_uses_temp_dir(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    if hasattr(settings, "ACE_CHANNEL_FILE_EMAIL_DIRECTORY"):
        del settings.ACE_CHANNEL_FILE_EMAIL_DIRECTORY

    result = ace.send(echo_message())

    assert result.outcome_for(ChannelType.EMAIL).receipt.startswith(str(tmp_path / "edx_ace"))
