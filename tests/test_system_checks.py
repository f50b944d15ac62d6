"""System checks for a channel that fails to import, a disabled channel and the email sender address."""

from __future__ import annotations

import importlib

import pytest
from django.core.checks import run_checks

from edx_ace import checks


def ace_messages():
    """Return the messages of the checks tagged ``edx_ace``, as registered by the app config."""
    return run_checks(tags=["edx_ace"])


def by_id(messages, check_id):
    """Return the one message with ``check_id``, failing with every message when there is not exactly one."""
    matching = [message for message in messages if message.id == check_id]
    assert len(matching) == 1, messages
    return matching[0]


@pytest.fixture
def broken_channel_plugin(tmp_path, monkeypatch):
    """Install a distribution whose channel entry point ``broken_channel`` names a missing module."""
    dist_info = tmp_path / "broken_ace_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-ace-plugin\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[openedx.ace.channel]\nbroken_channel = broken_ace_plugin_missing_module:Channel\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    return "broken_channel"


def test_channel_that_fails_to_import(settings, broken_channel_plugin):
    settings.ACE_ENABLED_CHANNELS = [broken_channel_plugin]

    message = by_id(ace_messages(), "edx_ace.E005")

    assert "The channel 'broken_channel' named in ACE_ENABLED_CHANNELS failed to import" in message.msg
    assert "broken_ace_plugin_missing_module" in message.msg


def test_disabled_channel_gives_reason(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.DEFAULT_FROM_EMAIL = ""

    messages = ace_messages()

    message = by_id(messages, "edx_ace.W001")
    assert "The channel 'django_email' named in ACE_ENABLED_CHANNELS is not enabled" in message.msg
    assert "DEFAULT_FROM_EMAIL is empty; set it to the address emails are sent from." in message.msg
    assert [message.id for message in messages] == ["edx_ace.W001"]


def test_django_email_from_placeholder_address(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"

    messages = ace_messages()

    message = by_id(messages, "edx_ace.W003")
    assert "DEFAULT_FROM_EMAIL is Django's placeholder, so the channel 'django_email'" in message.msg
    assert "'webmaster@localhost'" in message.msg
    assert "Set DEFAULT_FROM_EMAIL to the address emails are sent from" in message.hint
    assert [message.id for message in messages] == ["edx_ace.W003"]


def test_file_email_ignores_placeholder_address(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"

    assert ace_messages() == []


def test_every_message_names_a_setting(settings, broken_channel_plugin):
    settings.ACE_ENABLED_CHANNELS = ["carrier_pigeon", broken_channel_plugin, "file_email", "django_email"]
    settings.ACE_ENABLED_POLICIES = ["course_opt_out"]
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"

    messages = ace_messages()

    assert {message.id for message in messages} == {
        "edx_ace.E001",
        "edx_ace.E003",
        "edx_ace.E005",
        "edx_ace.E006",
        "edx_ace.W003",
    }
    for message in messages:
        assert "ACE_ENABLED_" in message.msg + message.hint or "DEFAULT_FROM_EMAIL" in message.msg, message


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("ACE_SEND_MANY_CHUNK_SIZE", 0, "edx_ace.E142"),
        ("ACE_SEND_MANY_CHUNK_SIZE", "10", "edx_ace.E142"),
        ("ACE_EMAIL_CONNECTION_REUSE_SECONDS", -5, "edx_ace.E143"),
        ("ACE_EMAIL_CONNECTION_REUSE_SECONDS", "30", "edx_ace.E143"),
        ("ACE_SEND_MANY_RENDER_PROCESSES", -1, "edx_ace.E144"),
        ("ACE_SEND_MANY_RENDER_PROCESSES", "2", "edx_ace.E144"),
        ("ACE_SEND_MANY_RENDER_PROCESSES", True, "edx_ace.E144"),
    ],
)
def test_connection_settings_checked(settings, setting, value, check_id):
    setattr(settings, setting, value)

    messages = [message for message in checks.check_setting_values() if message.id == check_id]

    assert len(messages) == 1
    assert setting in messages[0].msg
    assert repr(value) in messages[0].msg


def test_connection_settings_silent_when_valid(settings):
    settings.ACE_SEND_MANY_CHUNK_SIZE = 50
    settings.ACE_EMAIL_CONNECTION_REUSE_SECONDS = 0
    settings.ACE_SEND_MANY_RENDER_PROCESSES = 2

    ids = {message.id for message in checks.check_setting_values()}

    assert "edx_ace.E142" not in ids
    assert "edx_ace.E143" not in ids
    assert "edx_ace.E144" not in ids
    assert "edx_ace.W144" not in ids


def test_render_processes_without_fork_warned(settings, monkeypatch):
    monkeypatch.setattr(checks, "fork_available", lambda: False)
    settings.ACE_SEND_MANY_RENDER_PROCESSES = 1

    messages = [message for message in checks.check_setting_values() if message.id == "edx_ace.W144"]

    assert len(messages) == 1
    assert "cannot fork" in messages[0].msg
