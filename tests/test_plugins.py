"""
Tests of plugin loading through real entry points: the ones edx-ace installs, and those of
a small distribution written to a temporary folder for each test.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
import textwrap

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from stevedore import _cache as stevedore_cache
from stevedore.extension import Extension, ExtensionManager

from edx_ace import ace, channel, policy
from edx_ace.channel import CHANNEL_NAMESPACE, Channel, ChannelType
from edx_ace.channel.django_email import DjangoEmailChannel
from edx_ace.channel.file import FileEmailChannel
from edx_ace.checks import check_channels, check_enabled_plugins
from edx_ace.message import Message
from edx_ace.policy import POLICY_NAMESPACE
from edx_ace.recipient import Recipient
from edx_ace.result import DeliveryStatus
from edx_ace.utils.plugins import check_plugin, get_manager, get_plugins
from tests.conftest import make_message

PLUGINS_LOGGER = "edx_ace.utils.plugins"

#: The modules of the temporary distribution, each recording its import in ``ace_tmp_record.IMPORTED``.
TMP_MODULES = {
    "ace_tmp_record": """
        IMPORTED = []
    """,
    "ace_tmp_push": """
        import ace_tmp_record
        from edx_ace.channel import Channel, ChannelType

        ace_tmp_record.IMPORTED.append(__name__)


        class PushChannel(Channel):
            channel_type = ChannelType.PUSH

            def deliver(self, message, rendered_message):
                return "pushed"
    """,
    "ace_tmp_broken": """
        import ace_tmp_record

        ace_tmp_record.IMPORTED.append(__name__)

        raise ImportError("No module named 'fake_push_sdk'")
    """,
    "ace_tmp_policy": """
        import ace_tmp_record
        from edx_ace.channel import ChannelType
        from edx_ace.policy import Policy, PolicyResult

        ace_tmp_record.IMPORTED.append(__name__)


        class NoPushPolicy(Policy):
            def check(self, message):
                return PolicyResult(deny={ChannelType.PUSH})
    """,
}

TMP_ENTRY_POINTS = """
[openedx.ace.channel]
tmp_push = ace_tmp_push:PushChannel
tmp_broken = ace_tmp_broken:BrokenChannel

[openedx.ace.policy]
tmp_no_push = ace_tmp_policy:NoPushPolicy
"""


@pytest.fixture
def tmp_distribution(tmp_path, monkeypatch):
    """
    Install a distribution ``ace-tmp-plugins`` with channel and policy entry points on ``sys.path``.

    Return the module that records which of its plugin modules were imported.
    """
    site = tmp_path / "site"
    dist_info = site / "ace_tmp_plugins-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: ace-tmp-plugins\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(TMP_ENTRY_POINTS)
    for module_name, source in TMP_MODULES.items():
        (site / f"{module_name}.py").write_text(textwrap.dedent(source))

    # stevedore keeps the entry points of each group for the life of the process, in
    # ExtensionManager.ENTRY_POINT_CACHE, and also in files keyed by sys.path. Empty
    # replacements make it scan sys.path again, and keep the throwaway paths of this
    # test out of both the process-wide list and the user's ~/.cache.
    monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})
    cache = stevedore_cache.Cache(str(tmp_path / "entry-point-cache"))
    monkeypatch.setattr(stevedore_cache, "get_group_all", cache.get_group_all)

    for module_name in TMP_MODULES:
        monkeypatch.delitem(sys.modules, module_name, raising=False)
    monkeypatch.syspath_prepend(str(site))
    channel.clear_caches()
    policy.clear_caches()

    yield importlib.import_module("ace_tmp_record")

    for module_name in TMP_MODULES:
        sys.modules.pop(module_name, None)
    channel.clear_caches()
    policy.clear_caches()


@pytest.fixture
def msg():
    return Message(app_label="testapp", name="welcome", recipient=Recipient(username="ada"))


def error_messages(caplog):
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


class Unnamed:
    """A plugin class without enabled()."""


class Disabled(Channel):
    channel_type = ChannelType.PUSH

    @classmethod
    def enabled(cls):
        return False


# channels() with the entry points of edx-ace


def test_channels_file_email(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]

    loaded = channel.channels()

    assert list(loaded) == [ChannelType.EMAIL]
    assert isinstance(loaded[ChannelType.EMAIL], FileEmailChannel)
    assert loaded[ChannelType.EMAIL].channel_name == "file_email"


def test_channels_django_email():
    with override_settings(ACE_ENABLED_CHANNELS=["django_email"]):
        loaded = channel.channels()

    assert isinstance(loaded[ChannelType.EMAIL], DjangoEmailChannel)
    assert loaded[ChannelType.EMAIL].channel_name == "django_email"


def test_channels_none_enabled(settings):
    settings.ACE_ENABLED_CHANNELS = []

    assert channel.channels() == {}


def test_channels_follow_setting_changes():
    with override_settings(ACE_ENABLED_CHANNELS=["file_email"]):
        first = channel.channels()[ChannelType.EMAIL]
    with override_settings(ACE_ENABLED_CHANNELS=["django_email"]):
        second = channel.channels()[ChannelType.EMAIL]

    assert isinstance(first, FileEmailChannel)
    assert isinstance(second, DjangoEmailChannel)


def test_channels_cached_between_calls(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]

    assert channel.channels()[ChannelType.EMAIL] is channel.channels()[ChannelType.EMAIL]


def test_channels_unknown_name_logged(settings, caplog):
    settings.ACE_ENABLED_CHANNELS = ["no_such_channel", "file_email"]

    with caplog.at_level(logging.ERROR, logger=PLUGINS_LOGGER):
        loaded = channel.channels()

    assert isinstance(loaded[ChannelType.EMAIL], FileEmailChannel)
    assert len(error_messages(caplog)) == 1
    assert "'no_such_channel'" in error_messages(caplog)[0]
    assert "ACE_ENABLED_CHANNELS" in error_messages(caplog)[0]


def test_channels_two_email_channels(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]

    with pytest.raises(ValueError, match=re.escape("'file_email'")) as raised:
        channel.channels()

    assert "'django_email'" in str(raised.value)
    assert "ACE_ENABLED_CHANNELS" in str(raised.value)


def test_channels_disabled_left_out(settings, caplog):
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.DEFAULT_FROM_EMAIL = ""

    with caplog.at_level(logging.WARNING, logger=PLUGINS_LOGGER):
        loaded = channel.channels()

    assert loaded == {}
    assert "'django_email'" in caplog.records[0].getMessage()


def test_get_channel_for_missing_type(settings, msg):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]

    with pytest.raises(channel.UnsupportedChannelError) as raised:
        channel.get_channel_for_message(ChannelType.PUSH, msg)

    assert "push" in str(raised.value)
    assert msg.log_id in str(raised.value)


# edx_ace.utils.plugins


def test_get_plugins_named(settings):
    extensions = get_plugins(CHANNEL_NAMESPACE, ["django_email"])

    assert [extension.name for extension in extensions] == ["django_email"]
    assert isinstance(extensions[0].obj, DjangoEmailChannel)


def test_get_plugins_name_order():
    names = ["django_email", "file_email"]

    assert [extension.name for extension in get_plugins(CHANNEL_NAMESPACE, names)] == names
    assert [extension.name for extension in get_plugins(CHANNEL_NAMESPACE, names[::-1])] == names[::-1]


def test_get_plugins_all_without_names():
    names = {extension.name for extension in get_plugins(CHANNEL_NAMESPACE)}

    assert {"django_email", "file_email"} <= names


def test_get_plugins_empty_namespace():
    assert get_plugins("openedx.ace.tests.nothing_here", []) == []


def test_get_manager_instantiates():
    manager = get_manager(CHANNEL_NAMESPACE, ["file_email"])

    assert isinstance(manager["file_email"].obj, FileEmailChannel)


def test_check_plugin_name_not_listed():
    extension = Extension("file_email", None, FileEmailChannel, None)

    assert not check_plugin(extension, CHANNEL_NAMESPACE, ["django_email"])


def test_check_plugin_name_listed():
    extension = Extension("file_email", None, FileEmailChannel, None)

    assert check_plugin(extension, CHANNEL_NAMESPACE, ["file_email"])


def test_check_plugin_without_names():
    extension = Extension("file_email", None, FileEmailChannel, None)

    assert check_plugin(extension, CHANNEL_NAMESPACE)


def test_check_plugin_without_enabled():
    extension = Extension("unnamed", None, Unnamed, None)

    assert check_plugin(extension, CHANNEL_NAMESPACE, ["unnamed"])


def test_check_plugin_disabled(caplog):
    extension = Extension("disabled", None, Disabled, None)

    with caplog.at_level(logging.WARNING, logger=PLUGINS_LOGGER):
        used = check_plugin(extension, CHANNEL_NAMESPACE, ["disabled"])

    assert not used
    assert "'disabled'" in caplog.records[0].getMessage()
    assert "ACE_ENABLED_CHANNELS" in caplog.records[0].getMessage()


# A distribution written for the test


def test_tmp_distribution_seen(tmp_distribution):
    names = {extension.name for extension in get_manager(CHANNEL_NAMESPACE, ["tmp_push"]).extensions}

    assert names == {"tmp_push"}


def test_named_plugin_loaded(settings, tmp_distribution):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "tmp_push"]

    loaded = channel.channels()

    assert type(loaded[ChannelType.PUSH]).__name__ == "PushChannel"
    assert loaded[ChannelType.PUSH].channel_name == "tmp_push"
    assert "ace_tmp_push" in tmp_distribution.IMPORTED


def test_unnamed_plugins_not_imported(settings, tmp_distribution):
    settings.ACE_ENABLED_CHANNELS = ["file_email"]
    settings.ACE_ENABLED_POLICIES = []

    channel.channels()
    policy.policies()

    assert tmp_distribution.IMPORTED == []


def test_named_plugin_only_imported(settings, tmp_distribution):
    settings.ACE_ENABLED_CHANNELS = ["tmp_push"]

    channel.channels()

    assert tmp_distribution.IMPORTED == ["ace_tmp_push"]


def test_broken_plugin_logged(settings, tmp_distribution, caplog):
    settings.ACE_ENABLED_CHANNELS = ["tmp_broken", "file_email"]

    with caplog.at_level(logging.ERROR, logger=PLUGINS_LOGGER):
        loaded = channel.channels()

    assert list(loaded) == [ChannelType.EMAIL]
    assert len(error_messages(caplog)) == 1
    assert "'tmp_broken'" in error_messages(caplog)[0]
    assert "ACE_ENABLED_CHANNELS" in error_messages(caplog)[0]
    assert "fake_push_sdk" in error_messages(caplog)[0]


def test_broken_plugin_logged_with_traceback(settings, tmp_distribution, caplog):
    settings.ACE_ENABLED_CHANNELS = ["tmp_broken"]

    with caplog.at_level(logging.ERROR, logger=PLUGINS_LOGGER):
        channel.channels()

    assert isinstance(caplog.records[0].exc_info[1], ImportError)


def test_broken_plugin_retried_after_setting_change(settings, tmp_distribution, caplog):
    settings.ACE_ENABLED_CHANNELS = ["tmp_broken"]
    channel.channels()
    settings.ACE_ENABLED_CHANNELS = ["tmp_broken", "tmp_push"]

    with caplog.at_level(logging.ERROR, logger=PLUGINS_LOGGER):
        loaded = channel.channels()

    assert list(loaded) == [ChannelType.PUSH]
    assert "'tmp_broken'" in error_messages(caplog)[0]


def test_policy_entry_point(settings, tmp_distribution, msg):
    settings.ACE_ENABLED_POLICIES = ["tmp_no_push"]

    assert [loaded.policy_name for loaded in policy.policies()] == ["tmp_no_push"]
    assert policy.channels_for(msg) == {ChannelType.EMAIL}
    assert policy.denials(msg) == {ChannelType.PUSH: ["tmp_no_push"]}


def test_policy_unknown_name_raises(settings, tmp_distribution, caplog):
    settings.ACE_ENABLED_POLICIES = ["no_such_policy"]

    with caplog.at_level(logging.ERROR, logger=PLUGINS_LOGGER), pytest.raises(ImproperlyConfigured) as raised:
        policy.policies()

    assert "'no_such_policy'" in str(raised.value)
    assert "no message is sent" in str(raised.value)
    assert "'no_such_policy'" in error_messages(caplog)[0]
    assert "ACE_ENABLED_POLICIES" in error_messages(caplog)[0]


def test_unknown_policy_blocks_send(settings, email_dir):
    settings.ACE_ENABLED_POLICIES = ["no_such_policy"]

    result = ace.send(make_message())

    assert not result.delivered
    assert {outcome.status for outcome in result} == {DeliveryStatus.FAILED}
    assert not email_dir.exists()


def test_channel_setting_as_string_skips(settings):
    settings.ACE_ENABLED_CHANNELS = "file_email"

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.SKIPPED
    assert """write it as ["file_email"]""" in outcome.reason


def test_get_plugins_without_names_imports_all(tmp_distribution, caplog):
    with caplog.at_level(logging.ERROR, logger=PLUGINS_LOGGER):
        names = {extension.name for extension in get_plugins(CHANNEL_NAMESPACE)}

    assert "tmp_push" in names
    assert "ace_tmp_broken" in tmp_distribution.IMPORTED


def test_policy_namespace_entry_points(tmp_distribution):
    names = [extension.name for extension in get_plugins(POLICY_NAMESPACE, ["tmp_no_push"])]

    assert names == ["tmp_no_push"]


# System checks against the temporary distribution


def test_check_broken_channel(settings, tmp_distribution):
    settings.ACE_ENABLED_CHANNELS = ["tmp_broken"]

    messages = check_channels()

    assert [message.id for message in messages] == ["edx_ace.E005"]
    assert "'tmp_broken'" in messages[0].msg
    assert "fake_push_sdk" in messages[0].msg


def test_check_tmp_plugins_installed(settings, tmp_distribution):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "tmp_push"]
    settings.ACE_ENABLED_POLICIES = ["tmp_no_push"]

    assert check_enabled_plugins() == []
    assert check_channels() == []
