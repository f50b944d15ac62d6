"""Tests of the system checks for ACE's settings."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from edx_ace.checks import check_channels, check_enabled_plugins


def ace_messages():
    """Return the messages of every check registered with the tag ``edx_ace``."""
    return run_checks(tags=["edx_ace"])


def ids(messages):
    return [message.id for message in messages]


def test_correct_config_no_messages(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]
    settings.ACE_ENABLED_POLICIES = []

    assert ace_messages() == []


def test_django_email_config_no_messages(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.DEFAULT_FROM_EMAIL = "Course Team <team@example.com>"

    assert ace_messages() == []


def test_default_settings_no_messages(settings):
    del settings.ACE_ENABLED_CHANNELS

    assert ace_messages() == []


def test_unknown_channel(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "no_such_channel"]

    messages = ace_messages()

    assert ids(messages) == ["edx_ace.E001"]
    assert "ACE_ENABLED_CHANNELS" in messages[0].msg
    assert "'no_such_channel'" in messages[0].msg


def test_unknown_channel_hint_lists_installed(settings):
    settings.ACE_ENABLED_CHANNELS = ["no_such_channel"]

    hint = check_enabled_plugins()[0].hint

    assert "file_email" in hint
    assert "ACE_ENABLED_CHANNELS" in hint


def test_channels_string(settings):
    settings.ACE_ENABLED_CHANNELS = "file_email"

    messages = ace_messages()

    assert ids(messages) == ["edx_ace.E002"]
    assert "ACE_ENABLED_CHANNELS" in messages[0].msg
    assert "'file_email'" in messages[0].msg


def test_channels_string_hint_shows_list(settings):
    settings.ACE_ENABLED_CHANNELS = "file_email"

    assert 'ACE_ENABLED_CHANNELS = ["file_email"]' in check_enabled_plugins()[0].hint


def test_unknown_policy(settings):
    settings.ACE_ENABLED_POLICIES = ["no_such_policy"]

    messages = ace_messages()

    assert ids(messages) == ["edx_ace.E003"]
    assert "ACE_ENABLED_POLICIES" in messages[0].msg
    assert "'no_such_policy'" in messages[0].msg


def test_policies_string(settings):
    settings.ACE_ENABLED_POLICIES = "quiet_hours"

    messages = ace_messages()

    assert ids(messages) == ["edx_ace.E004"]
    assert "ACE_ENABLED_POLICIES" in messages[0].msg


def test_two_email_channels(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]

    messages = ace_messages()

    assert ids(messages) == ["edx_ace.E006"]
    assert "file_email" in messages[0].msg
    assert "django_email" in messages[0].msg
    assert "ACE_ENABLED_CHANNELS" in messages[0].msg


@pytest.mark.parametrize("from_email", ["", None])
def test_django_email_without_from_email(settings, from_email):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.DEFAULT_FROM_EMAIL = from_email

    messages = check_channels()

    assert ids(messages) == ["edx_ace.W001"]
    assert "'django_email'" in messages[0].msg
    assert "DEFAULT_FROM_EMAIL" in messages[0].msg


def test_disabled_channel_not_counted_twice(settings):
    """A disabled django_email beside file_email is a warning, not two email channels."""
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    settings.DEFAULT_FROM_EMAIL = ""

    assert ids(ace_messages()) == ["edx_ace.W001"]


def test_check_command_fails_on_error(settings):
    settings.ACE_ENABLED_CHANNELS = ["no_such_channel"]

    with pytest.raises(SystemCheckError) as raised:
        call_command("check")

    assert "edx_ace.E001" in str(raised.value)
    assert "no_such_channel" in str(raised.value)


def test_check_command_passes(settings, capsys):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]

    call_command("check")

    assert "no issues" in capsys.readouterr().out
