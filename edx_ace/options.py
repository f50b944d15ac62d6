"""
The delivery options that ACE recognises in ``Message.options``, with their types and validation.

``OPTIONS`` is the one table of recognised keys: the channels read options through
:func:`get_option`, and the documentation renders its options table from it. A key that
is not in the table is kept in the message, travels through JSON, and is ignored by ACE,
so a host application's policies can read their own keys with ``message.options.get()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

import attr
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from edx_ace.errors import InvalidMessageError
from edx_ace.utils.addresses import ascii_domain

if TYPE_CHECKING:
    from edx_ace.message import Message


@attr.s(frozen=True)
class Option:
    """
    One recognised key of ``Message.options``.

    Attributes:
        name: The key in ``Message.options``.
        kind: The expected value, in words, for error messages and the docs.
        meaning: What the option changes, in one or two sentences.
        used_by: Which part of ACE reads it, for the docs.
        check: A function that takes the value and returns a problem sentence, or ``None``
            when the value is valid.
    """

    name: str = attr.ib()
    kind: str = attr.ib()
    meaning: str = attr.ib()
    used_by: str = attr.ib()
    check: Callable[[Any], str | None] = attr.ib(repr=False)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def address_problem(address: Any) -> str | None:
    """
    Return why ``address`` is not one email address, or ``None`` when it is one.

    A display name is allowed (``"Team <team@example.com>"``); a list of addresses or a
    line break is not.
    """
    if not isinstance(address, str):
        return f"got {_describe(address)}, which is not a str"
    if "\r" in address or "\n" in address:
        return f"got {_describe(address)}, which contains a line break"
    _name, mailbox = parseaddr(address)
    if not mailbox or "," in address or ";" in address:
        return f"got {_describe(address)}, which is not a single email address"
    local_part, _at, domain = mailbox.rpartition("@")
    if not local_part.isascii():
        return f"got {_describe(address)}, whose local part (before the @) is not ASCII, which a sender cannot use"
    converted = ascii_domain(domain)
    if converted is None:
        return f"got {_describe(address)}, whose domain is not a valid domain name"
    try:
        validate_email(f"{local_part}@{converted}")
    except ValidationError:
        return f"got {_describe(address)}, whose address {mailbox!r} is invalid"
    return None


def _check_bool(value: Any) -> str | None:
    if not isinstance(value, bool):
        return f"got {_describe(value)}; use True or False"
    return None


def _check_address(value: Any) -> str | None:
    problem = address_problem(value)
    if problem:
        return f"{problem}; use one address such as 'courses@example.com'"
    return None


def _check_address_list(value: Any) -> str | None:
    if not isinstance(value, list | tuple):
        return f"got {_describe(value)}; use a list of addresses such as ['help@example.com']"
    for index, address in enumerate(value):
        problem = address_problem(address)
        if problem:
            return f"entry {index} {problem}; use one address per entry"
    return None


def _check_name(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"got {_describe(value)}; use the name of a channel in ACE_ENABLED_CHANNELS, such as 'django_email'"
    return None


def _check_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        return f"got {_describe(value)}; use a file path such as 'welcome/ada.html'"
    return None


#: Every recognised option, in the order the docs list them.
OPTIONS: tuple[Option, ...] = (
    Option(
        name="transactional",
        kind="bool",
        meaning=(
            "Marks a message the recipient needs whatever their preferences, such as a password reset. "
            "When ``ACE_CHANNEL_TRANSACTIONAL_EMAIL`` is set, the message is sent by that email channel."
        ),
        used_by="channel routing",
        check=_check_bool,
    ),
    Option(
        name="from_address",
        kind="email address (str)",
        meaning=(
            "The sender address, in place of ``DEFAULT_FROM_EMAIL``. The display name is still the "
            "rendered ``from_name``."
        ),
        used_by="django_email",
        check=_check_address,
    ),
    Option(
        name="reply_to",
        kind="list of email addresses",
        meaning="The addresses of the Reply-To header.",
        used_by="django_email",
        check=_check_address_list,
    ),
    Option(
        name="override_default_channel",
        kind="channel name (str)",
        meaning=(
            "The name of the channel that sends the message over its channel type, whatever the routing "
            "settings say. It must be an enabled channel."
        ),
        used_by="channel routing",
        check=_check_name,
    ),
    Option(
        name="file_output_path",
        kind="file path (str)",
        meaning=(
            "Where the ``file_email`` channel writes the email: a path relative to "
            "``ACE_CHANNEL_FILE_EMAIL_DIRECTORY``, or an absolute path inside it. An existing file is "
            "never overwritten; a number is added to the name instead."
        ),
        used_by="file_email",
        check=_check_path,
    ),
)

OPTIONS_BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}


def option_problems(options: Any) -> list[str]:
    """
    Return one sentence per invalid recognised option in ``options``; an empty list when all are valid.

    Unknown keys are not checked: they belong to the host application.
    """
    if not isinstance(options, Mapping):
        return [f"options must be a dict, got {_describe(options)}"]
    problems = []
    for key, value in options.items():
        option = OPTIONS_BY_NAME.get(key)
        if option is None:
            continue
        problem = option.check(value)
        if problem:
            problems.append(f"options[{key!r}] is not a valid {option.kind}: {problem}")
    return problems


def validate_options(options: Any, *, log_id: str | None = None, channel: str | None = None) -> None:
    """
    Check every recognised key of ``options``.

    Raises:
        InvalidMessageError: a recognised key has a value of the wrong type or form; the
            error names the key and the value.
    """
    problems = option_problems(options)
    if problems:
        raise InvalidMessageError("; ".join(problems), channel=channel, log_id=log_id)


def get_option(message: Message, name: str, default: Any = None, *, channel: str | None = None) -> Any:
    """
    Return the value of the recognised option ``name`` of ``message``, or ``default`` when it is not set.

    The value is checked each time it is read, because ``message.options`` is a plain
    dict that code may change after the message was created.

    Raises:
        KeyError: ``name`` is not in ``OPTIONS``; read a host application's own key with
            ``message.options.get()`` instead.
        InvalidMessageError: the value is invalid; the error names the key.
    """
    option = OPTIONS_BY_NAME.get(name)
    if option is None:
        raise KeyError(f"{name!r} is not a recognised option; recognised options: {', '.join(OPTIONS_BY_NAME)}")

    if name not in message.options:
        return default
    value = message.options[name]
    problem = option.check(value)
    if problem:
        raise InvalidMessageError(
            f"options[{name!r}] is not a valid {option.kind}: {problem}", channel=channel, log_id=message.log_id
        )
    return value
