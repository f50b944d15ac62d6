"""The rendered From name: one mailbox, quoted or encoded, one line, at most 320 bytes."""

from __future__ import annotations

import re
import unicodedata

import pytest

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.channel.mail import MAX_FROM_HEADER_LENGTH, MAX_QUOTED_FROM_HEADER_LENGTH
from edx_ace.result import DeliveryStatus
from tests.hardening.messages import echo_message

# (rendered from_name, display name the email carries)
FROM_NAMES = [
    ("Tom, Jerry & Co", "Tom, Jerry & Co"),
    ('The "Best" Team', 'The "Best" Team'),
    ("Eve <eve@evil.example>", "Eve <eve@evil.example>"),
    ("eve@evil.example", "eve@evil.example"),
    ("Team; Eve: <eve@evil.example>,", "Team; Eve: <eve@evil.example>,"),
    ('Équipe, "cours" & co', 'Équipe, "cours" & co'),
    # An encoded-word typed into the name is broken up, so no parser decodes it.
    ("=?utf-8?q?Eve?= <eve@evil.example>", "= ?utf-8?q?Eve?= <eve@evil.example>"),
    ("=?utf-8?b?RXZlIDxldmVAZXZpbC5leGFtcGxlPg==?=", "= ?utf-8?b?RXZlIDxldmVAZXZpbC5leGFtcGxlPg== ?="),
    ("Team =?utf-8?b?RXZl?=, x", "Team = ?utf-8?b?RXZl?=, x"),
    ("Team\r\nBcc: eve@evil.example", "Team Bcc: eve@evil.example"),
    ("  Course \t\t Team \n", "Course Team"),
    ("Course\x00Team\x1b[31m", "Course Team [31m"),
    ("Course\u2028Team\x85", "Course Team"),
    ("", ""),
]


def raw_from(smtp_server) -> str:
    """Return the From value of the last email as it was sent, unfolded."""
    raw = smtp_server.handler.envelopes[-1][2].decode("ascii")
    match = re.search(r"^From:(.*?)\r\n(?=\S)", raw, re.MULTILINE | re.DOTALL)
    return match.group(1).replace("\r\n", "").strip()


@pytest.mark.parametrize(("from_name", "display_name"), FROM_NAMES)
def test_from_name_is_one_mailbox(smtp_settings, smtp_server, from_name, display_name):
    result = ace.send(echo_message(context={"sender": from_name}))

    assert result.outcome_for(ChannelType.EMAIL).status is DeliveryStatus.DELIVERED
    email = smtp_server.messages[0]
    assert len(email["From"].addresses) == 1
    assert email["From"].addresses[0].addr_spec == "noreply@example.com"
    assert email["From"].addresses[0].display_name == display_name
    assert email["Bcc"] is None
    assert smtp_server.handler.envelopes[0][:2] == ("noreply@example.com", ["ada@example.com"])


# (rendered from_name, whether it is ASCII)
LONG_NAMES = [
    "x" * 400,
    "Course Team " * 40,
    "Tom, Jerry & Co " * 30,
    "é" * 400,
    "Команда курса " * 30,
    "課程團隊" * 100,
    "a\u0301" * 300,
    "🎓" * 200,
]


@pytest.mark.parametrize("from_name", LONG_NAMES)
def test_long_from_name_is_shortened(smtp_settings, smtp_server, from_name):
    ace.send(echo_message(context={"sender": from_name}))

    email = smtp_server.messages[0]
    display_name = email["From"].addresses[0].display_name
    needs_quotes = any(character in from_name for character in '()<>[]:;@\\,"')
    limit = MAX_QUOTED_FROM_HEADER_LENGTH if needs_quotes else MAX_FROM_HEADER_LENGTH
    assert len(raw_from(smtp_server).encode("ascii")) <= limit
    assert len(email["From"].addresses) == 1
    assert email["From"].addresses[0].addr_spec == "noreply@example.com"
    assert display_name
    # Python's parser puts a space between adjacent encoded-words, which RFC 2047 says to drop.
    assert "".join(from_name.split()).startswith("".join(display_name.split()))
    assert not unicodedata.combining(display_name[-1])
    assert display_name == display_name.strip()


def test_long_from_name_on_file(email_dir):
    result = ace.send(echo_message(context={"sender": "Course\nTeam " * 100}))

    assert result.delivered


# (rendered subject, subject the email carries)
SUBJECTS = [
    ("Welcome\r\nBcc: eve@evil.example", "Welcome Bcc: eve@evil.example"),
    ("=?utf-8?b?SGkNCkJjYzogZXZlQGV2aWwuZXhhbXBsZQ==?=", "= ?utf-8?b?SGkNCkJjYzogZXZlQGV2aWwuZXhhbXBsZQ== ?="),
    ("Re: =?utf-8?q?Hi=0D=0ABcc:_eve@evil.example?=", "Re: = ?utf-8?q?Hi=0D=0ABcc:_eve@evil.example?="),
    ("Tom & Jerry\x00\u2028101", "Tom & Jerry 101"),
]


@pytest.mark.parametrize(("subject", "expected"), SUBJECTS)
def test_subject_adds_no_header(smtp_settings, smtp_server, subject, expected):
    ace.send(echo_message(context={"subject": subject}))

    email = smtp_server.messages[0]
    assert email["Subject"] == expected
    assert email["Bcc"] is None
    assert smtp_server.handler.envelopes[0][1] == ["ada@example.com"]
