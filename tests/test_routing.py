"""Routing among several channels of one type, through ace.send() with real channels."""

from __future__ import annotations

import pathlib

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.test import override_settings

from edx_ace import ace, presentation
from edx_ace.channel import ChannelType, channels, get_channel_for_message
from edx_ace.channel.django_email import DjangoEmailChannel
from edx_ace.channel.file import FileEmailChannel
from edx_ace.result import DeliveryStatus
from edx_ace.test_utils import patch_channels
from tests.conftest import make_message
from tests.scripted import ScriptedChannel


@pytest.fixture
def two_email_channels(settings, email_dir):
    """Enable file_email and django_email (locmem backend), with file_email as the default."""
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "file_email"
    settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"
    return settings


def email_outcome(message, **kwargs):
    return ace.send(message, **kwargs).outcome_for(ChannelType.EMAIL)


class ClaimingChannel(ScriptedChannel):
    """A scripted email channel that claims the messages whose context has ``claim_me``."""

    def overrides_delivery_for_message(self, message):
        return bool(message.context.get("claim_me"))


class ClaimingFileChannel(FileEmailChannel):
    """The file channel, claiming every message named ``welcome``."""

    def overrides_delivery_for_message(self, message):
        return message.name == "welcome"


def test_default_channel_sends_plain_message(two_email_channels, email_dir):
    outcome = email_outcome(make_message())

    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.channel_name == "file_email"
    assert pathlib.Path(outcome.receipt).parent == email_dir
    assert mail.outbox == []


def test_transactional_message_uses_transactional_channel(two_email_channels, email_dir):
    outcome = email_outcome(make_message(options={"transactional": True}))

    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.channel_name == "django_email"
    assert len(mail.outbox) == 1
    assert not email_dir.exists()


def test_transactional_false_uses_default(two_email_channels):
    outcome = email_outcome(make_message(options={"transactional": False}))

    assert outcome.channel_name == "file_email"


def test_override_beats_transactional(two_email_channels):
    message = make_message(options={"transactional": True, "override_default_channel": "file_email"})

    outcome = email_outcome(message)

    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.channel_name == "file_email"
    assert mail.outbox == []


def test_override_without_routing_settings(settings):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]

    outcome = email_outcome(make_message(options={"override_default_channel": "django_email"}))

    assert outcome.channel_name == "django_email"
    assert len(mail.outbox) == 1


def test_override_naming_disabled_channel_is_invalid(two_email_channels, email_dir):
    outcome = email_outcome(make_message(options={"override_default_channel": "sailthru_email"}))

    assert outcome.status is DeliveryStatus.INVALID
    assert "'sailthru_email', which is not an enabled channel" in outcome.reason
    assert "enabled: file_email, django_email" in outcome.reason
    assert mail.outbox == []
    assert not email_dir.exists()


def test_transactional_over_smtp(settings, smtp_settings, smtp_server, email_dir):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "file_email"
    settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"

    plain = email_outcome(make_message(email_address="plain@example.com"))
    transactional = email_outcome(make_message(email_address="reset@example.com", options={"transactional": True}))

    assert plain.channel_name == "file_email"
    assert transactional.channel_name == "django_email"
    assert [envelope[1] for envelope in smtp_server.handler.envelopes] == [["reset@example.com"]]


def test_claiming_channel_wins_over_default(settings, cleanups):
    default = ScriptedChannel(name="scripted")
    claiming = ClaimingChannel(name="claiming")
    patch_channels(cleanups, [default, claiming])
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "scripted"

    claimed = email_outcome(make_message(context={"claim_me": True}))
    unclaimed = email_outcome(make_message())

    assert claimed.channel_name == "claiming"
    assert unclaimed.channel_name == "scripted"
    assert len(claiming.attempts) == 1
    assert len(default.attempts) == 1


def test_claiming_channel_wins_over_transactional(settings, cleanups):
    claiming = ClaimingChannel(name="claiming")
    patch_channels(cleanups, [ScriptedChannel(name="scripted"), claiming, ScriptedChannel(name="transactional")])
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "scripted"
    settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "transactional"

    outcome = email_outcome(make_message(context={"claim_me": True}, options={"transactional": True}))

    assert outcome.channel_name == "claiming"


def test_override_beats_claim(settings, cleanups):
    patch_channels(cleanups, [ScriptedChannel(name="scripted"), ClaimingChannel(name="claiming")])
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "scripted"

    message = make_message(context={"claim_me": True}, options={"override_default_channel": "scripted"})

    assert email_outcome(message).channel_name == "scripted"


def test_real_channel_claims_message(settings, cleanups, email_dir):
    claiming = ClaimingFileChannel()
    claiming.name = "file_email"
    django_email = DjangoEmailChannel()
    django_email.name = "django_email"
    patch_channels(cleanups, [django_email, claiming])
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "django_email"

    welcome = email_outcome(make_message(name="welcome"))
    other = email_outcome(make_message(name="nohead"))

    assert welcome.channel_name == "file_email"
    assert pathlib.Path(welcome.receipt).exists()
    assert other.channel_name == "django_email"
    assert len(mail.outbox) == 1


def test_claim_needs_routing_settings(cleanups):
    claiming = ClaimingChannel(name="claiming")
    patch_channels(cleanups, [ScriptedChannel(name="scripted"), claiming])

    outcome = email_outcome(make_message(context={"claim_me": True}))

    assert outcome.status is DeliveryStatus.SKIPPED
    assert "two email channels" in outcome.reason
    assert claiming.attempts == []


def test_two_channels_without_routing_raise(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]

    with pytest.raises(ValueError, match="enables two email channels, 'file_email' and 'django_email'") as caught:
        channels()

    assert "ACE_CHANNEL_DEFAULT_EMAIL" in str(caught.value)


def test_only_transactional_setting_needs_default(settings, email_dir):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"

    transactional = email_outcome(make_message(options={"transactional": True}))
    plain = email_outcome(make_message())

    assert transactional.channel_name == "django_email"
    assert plain.status is DeliveryStatus.SKIPPED
    assert "ACE_CHANNEL_DEFAULT_EMAIL" in plain.reason


def test_channels_returns_default(two_email_channels):
    assert channels()[ChannelType.EMAIL].channel_name == "file_email"


def test_setting_naming_missing_channel_never_falls_back(settings, email_dir):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "file_email"
    settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "sailthru_email"

    outcome = email_outcome(make_message(options={"transactional": True}))

    assert outcome.status is DeliveryStatus.SKIPPED
    assert "ACE_CHANNEL_TRANSACTIONAL_EMAIL is 'sailthru_email', which is not an enabled channel" in outcome.reason
    assert mail.outbox == []
    assert not email_dir.exists()


def test_setting_naming_channel_of_other_type(settings, cleanups):
    patch_channels(cleanups, [ScriptedChannel(name="scripted"), ScriptedChannel(ChannelType.PUSH, name="push")])
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "push"

    with pytest.raises(ValueError, match="ACE_CHANNEL_DEFAULT_EMAIL is 'push', which is a push channel"):
        get_channel_for_message(ChannelType.EMAIL, make_message())


def test_override_settings_reaches_channels_and_routing(email_dir):
    first = email_outcome(make_message())

    with override_settings(ACE_ENABLED_CHANNELS=["django_email"]):
        switched = email_outcome(make_message())
    with override_settings(
        ACE_ENABLED_CHANNELS=["file_email", "django_email"],
        ACE_CHANNEL_DEFAULT_EMAIL="file_email",
        ACE_CHANNEL_TRANSACTIONAL_EMAIL="django_email",
    ):
        routed = email_outcome(make_message(options={"transactional": True}))
    restored = email_outcome(make_message())

    assert first.channel_name == "file_email"
    assert switched.channel_name == "django_email"
    assert routed.channel_name == "django_email"
    assert restored.channel_name == "file_email"
    assert len(mail.outbox) == 2


def test_override_settings_disables_channel(email_dir):
    assert email_outcome(make_message()).channel_name == "file_email"

    with override_settings(ACE_ENABLED_CHANNELS=["django_email"], DEFAULT_FROM_EMAIL=""):
        outcome = email_outcome(make_message())

    assert outcome.status is DeliveryStatus.SKIPPED
    assert mail.outbox == []


def check_ids(settings_changes):
    with override_settings(**settings_changes):
        return [message.id for message in run_checks(tags=["edx_ace"])]


def test_check_passes_for_valid_routing():
    ids = check_ids(
        {
            "ACE_ENABLED_CHANNELS": ["file_email", "django_email"],
            "ACE_CHANNEL_DEFAULT_EMAIL": "file_email",
            "ACE_CHANNEL_TRANSACTIONAL_EMAIL": "django_email",
        }
    )

    assert ids == []


def test_check_two_channels_without_default():
    ids = check_ids({"ACE_ENABLED_CHANNELS": ["file_email", "django_email"]})

    assert ids == ["edx_ace.E006"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ACE_CHANNEL_DEFAULT_EMAIL": "sailthru_email"}, "edx_ace.E120"),
        ({"ACE_CHANNEL_TRANSACTIONAL_EMAIL": "nosuchchannel"}, "edx_ace.E120"),
        ({"ACE_CHANNEL_DEFAULT_PUSH": "file_email"}, "edx_ace.E121"),
        ({"ACE_CHANNEL_DEFAULT_EMAIL": 3}, "edx_ace.E123"),
    ],
)
def test_check_rejects_routing_setting(changes, expected):
    ids = check_ids({"ACE_ENABLED_CHANNELS": ["file_email"], **changes})

    assert ids == [expected]


def test_check_rejects_incomplete_channel():
    ids = check_ids(
        {
            "ACE_ENABLED_CHANNELS": ["file_email", "django_email"],
            "ACE_CHANNEL_DEFAULT_EMAIL": "file_email",
            "ACE_CHANNEL_TRANSACTIONAL_EMAIL": "django_email",
            "DEFAULT_FROM_EMAIL": "",
        }
    )

    assert sorted(ids) == ["edx_ace.E122", "edx_ace.W001"]


def test_check_message_names_setting_and_channel():
    with override_settings(ACE_ENABLED_CHANNELS=["file_email"], ACE_CHANNEL_TRANSACTIONAL_EMAIL="django_email"):
        [message] = run_checks(tags=["edx_ace"])

    assert "ACE_CHANNEL_TRANSACTIONAL_EMAIL names the channel 'django_email'" in message.msg
    assert "Add 'django_email' to ACE_ENABLED_CHANNELS" in message.hint


def test_bad_email_routing_spares_push(settings, cleanups, monkeypatch):
    push = ScriptedChannel(ChannelType.PUSH, name="push")
    patch_channels(cleanups, [ScriptedChannel(name="scripted"), push])
    monkeypatch.setitem(presentation.RENDERERS, ChannelType.PUSH, FakePushRenderer())
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "missing"

    result = ace.send(make_message())

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.SKIPPED
    assert "ACE_CHANNEL_DEFAULT_EMAIL is 'missing'" in result.outcome_for(ChannelType.EMAIL).reason
    assert result.outcome_for(ChannelType.PUSH).status is DeliveryStatus.DELIVERED
    assert len(push.attempts) == 1


class FakePushRenderer:
    def render(self, message):
        return {"title": "hello"}
