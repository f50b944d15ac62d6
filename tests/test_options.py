"""Message.options: validation, JSON, MessageType copies, and options read by policies."""

from __future__ import annotations

import pytest

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.errors import InvalidMessageError
from edx_ace.message import Message, MessageType
from edx_ace.options import OPTIONS, get_option, option_problems
from edx_ace.policy import Policy, PolicyResult
from edx_ace.result import DeliveryStatus
from edx_ace.test_utils import patch_channels, patch_policies
from tests.conftest import make_message
from tests.scripted import ScriptedChannel


class WelcomeType(MessageType):
    APP_LABEL = "testapp"
    NAME = "welcome"


def test_options_default_to_empty():
    message = make_message()

    assert message.options == {}
    assert message.headers == {}


def test_unknown_option_is_kept():
    message = make_message(options={"skip_disabled_user_check": True, "platform": {"site": 3}})

    assert message.options == {"skip_disabled_user_check": True, "platform": {"site": 3}}


def test_options_are_copied():
    options = {"transactional": True}

    message = make_message(options=options)
    options["transactional"] = False

    assert message.options == {"transactional": True}


@pytest.mark.parametrize(
    ("options", "key", "detail"),
    [
        ({"reply_to": "help@example.com\nBcc: eve@example.com"}, "reply_to", "use a list of addresses"),
        ({"reply_to": ["help@example.com", 7]}, "reply_to", "entry 1 got 7 (int)"),
        ({"reply_to": ["help@example.com\r\n"]}, "reply_to", "line break"),
        ({"reply_to": ["a@example.com, b@example.com"]}, "reply_to", "not a single email address"),
        ({"transactional": "yes"}, "transactional", "use True or False"),
        ({"transactional": 1}, "transactional", "use True or False"),
        ({"from_address": ["courses@example.com"]}, "from_address", "not a str"),
        ({"from_address": "not an address"}, "from_address", "is invalid"),
        ({"override_default_channel": 5}, "override_default_channel", "use the name of a channel"),
        ({"override_default_channel": " "}, "override_default_channel", "use the name of a channel"),
        ({"file_output_path": ""}, "file_output_path", "use a file path"),
    ],
)
def test_wrong_option_type_names_key(options, key, detail):
    with pytest.raises(InvalidMessageError) as caught:
        make_message(options=options)

    assert f"options[{key!r}]" in str(caught.value)
    assert detail in str(caught.value)


def test_options_must_be_dict():
    with pytest.raises(InvalidMessageError, match=r"options must be a dict, got \['transactional'\] \(list\)"):
        make_message(options=["transactional"])


@pytest.mark.parametrize(
    "options",
    [
        {"transactional": True},
        {"from_address": "Course Team <courses@example.com>"},
        {"from_address": "courses@example.com"},
        {"reply_to": ["help@example.com", "Help Desk <desk@example.com>"]},
        {"reply_to": ("help@example.com",)},
        {"override_default_channel": "django_email"},
        {"file_output_path": "welcome/ada.html"},
    ],
)
def test_valid_options_are_accepted(options):
    assert option_problems(options) == []
    assert make_message(options=options).options == options


def test_every_option_has_docs_fields():
    for option in OPTIONS:
        assert option.kind
        assert option.meaning.endswith(".")
        assert option.used_by


def test_get_option_checks_changed_dict():
    message = make_message()
    message.options["transactional"] = "yes"

    with pytest.raises(InvalidMessageError, match=r"options\['transactional'\] is not a valid bool"):
        get_option(message, "transactional")


def test_get_option_returns_default():
    assert get_option(make_message(), "reply_to", ["x@example.com"]) == ["x@example.com"]


def test_get_option_rejects_unknown_key():
    with pytest.raises(KeyError, match="'skip_disabled_user_check' is not a recognised option"):
        get_option(make_message(), "skip_disabled_user_check")


def test_changed_invalid_option_is_invalid_outcome(cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    message = make_message()
    message.options["transactional"] = "yes"

    result = ace.send(message)

    assert {outcome.status for outcome in result} == {DeliveryStatus.INVALID}
    assert "options['transactional']" in result.outcome_for(ChannelType.EMAIL).reason
    assert email.attempts == []


def test_message_type_options_reach_messages():
    message_type = WelcomeType(options={"transactional": True, "campaign": "spring"})

    first = message_type.personalize(None, "en", {})
    second = message_type.personalize(None, "en", {})
    first.options["campaign"] = "changed"

    assert second.options == {"transactional": True, "campaign": "spring"}
    assert message_type.options == {"transactional": True, "campaign": "spring"}


def test_message_type_options_are_validated():
    with pytest.raises(InvalidMessageError, match=r"options\['reply_to'\]"):
        WelcomeType(options={"reply_to": "help@example.com"})


def test_message_type_json_keeps_options():
    message_type = WelcomeType(options={"transactional": True})

    assert WelcomeType.from_string(str(message_type)) == message_type


def test_options_and_headers_round_trip():
    message = make_message(
        options={"transactional": True, "reply_to": ["help@example.com"], "platform_flag": ("a", 1)},
        headers={"X-Course-Id": "course-v1:edX+DemoX+Demo"},
    )

    copy = Message.from_string(str(message))

    assert copy == message
    assert copy.options["platform_flag"] == ("a", 1)
    assert copy.headers == {"X-Course-Id": "course-v1:edX+DemoX+Demo"}


class SkipCheckAwarePolicy(Policy):
    """Denies email unless the platform's own option ``skip_disabled_user_check`` is true."""

    def check(self, message):
        if message.options.get("skip_disabled_user_check"):
            return PolicyResult(deny=set())
        return PolicyResult(deny={ChannelType.EMAIL})


def test_policy_reads_platform_option(cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    patch_policies(cleanups, [SkipCheckAwarePolicy()])

    denied = ace.send(make_message()).outcome_for(ChannelType.EMAIL)
    allowed = ace.send(make_message(options={"skip_disabled_user_check": True})).outcome_for(ChannelType.EMAIL)

    assert denied.status is DeliveryStatus.DENIED
    assert allowed.status is DeliveryStatus.DELIVERED
    assert len(email.attempts) == 1
