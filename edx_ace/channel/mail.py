"""
Pieces shared by the email channels: the recipient's address, the one-line subject, the
From header and the HTML document.
"""

from __future__ import annotations

import html
import re
import unicodedata
from email.header import Header
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from edx_ace.errors import InvalidMessageError
from edx_ace.language import normalize
from edx_ace.utils.addresses import ascii_domain

if TYPE_CHECKING:
    from edx_ace.message import Message
    from edx_ace.renderers import RenderedEmail

_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$")

#: The characters that ``str.splitlines()`` treats as line ends, CR and LF among them.
_LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")

#: C0 and C1 control characters and DEL, which have no place in a header.
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")

#: The longest From header value, in bytes once encoded. It is the longest address that
#: Django's EmailValidator accepts (320 characters, after RFC 3696), so any valid address fits.
MAX_FROM_HEADER_LENGTH = 320

#: The longest From header value whose display name contains a character that needs
#: quoting, so that the whole ``From:`` line fits in 78 characters. Python's
#: email folding (checked on 3.11.7, 3.12.1 and 3.13.0), which Django 6.0 uses, can split
#: a longer quoted or encoded name at a comma into several addresses.
MAX_QUOTED_FROM_HEADER_LENGTH = 72

#: RFC 5322 specials that can end a display name or start an address when unquoted.
_ADDRESS_SPECIALS = frozenset('()<>[]:;@\\,"')


def recipient_address(message: Message, channel_name: str, *, allow_utf8_local_part: bool = False) -> str:
    """
    Return the recipient's email address, checked and ready for any email transport.

    Surrounding spaces are stripped and an internationalized domain is converted to
    punycode (``ada@bücher.example`` -> ``ada@xn--bcher-kva.example``). Every email channel
    calls this before any I/O, so they all accept and reject the same addresses. A
    non-ASCII local part needs SMTPUTF8 (RFC 6531), so only a channel that can check for
    it and send it passes ``allow_utf8_local_part``. :func:`needs_smtputf8` detects such an
    address.

    Raises:
        InvalidMessageError: the message has no recipient or no address (codes
            ``no_recipient``, ``no_address``), or the address is not exactly one mailbox
            that can be sent to unchanged (code ``invalid_address``). The error states what
            is wrong without repeating the address, since it ends up in log lines.
    """
    context = {"channel": channel_name, "log_id": message.log_id}
    recipient = message.recipient
    if recipient is None:
        raise InvalidMessageError(
            "the message has no recipient; pass recipient=Recipient(username=..., email_address=...)",
            code="no_recipient",
            **context,
        )

    address = getattr(recipient, "email_address", None) or ""
    if not isinstance(address, str):
        raise InvalidMessageError(
            f"the recipient's email_address is a {type(address).__name__}, not a str; pass the address as a str",
            code="invalid_address",
            **context,
        )

    address = address.strip()
    if not address:
        raise InvalidMessageError(
            "the recipient has no email_address; set Recipient(email_address=...) to send email",
            code="no_address",
            **context,
        )

    problem, ascii_address = _check_address(address, allow_utf8_local_part)
    if problem:
        raise InvalidMessageError(
            f"the recipient's email_address is not a single valid address: {problem}; pass one address such as "
            "'name@example.com', without a display name",
            code="invalid_address",
            **context,
        )
    return ascii_address


def needs_smtputf8(address: str) -> bool:
    """Return whether an address from :func:`recipient_address` can only be sent with SMTPUTF8."""
    return not address.isascii()


def _check_address(address: str, allow_utf8_local_part: bool = False) -> tuple[str, str]:
    """
    Return ``(problem, "")`` for an address that cannot be sent to, else ``("", address)``.

    The returned address has an ASCII domain, and an ASCII local part unless
    ``allow_utf8_local_part`` is true.
    """
    if any(character in _LINE_BREAKS for character in address):
        return "it contains a line break", ""
    if "," in address or ";" in address:
        return "it contains ',' or ';', so it looks like a list of addresses", ""
    if any(character in '<>"()' for character in address):
        return "it contains an angle bracket, a quote or a parenthesis (a display name or a comment)", ""
    if any(character.isspace() or unicodedata.category(character) == "Cc" for character in address):
        return "it contains a space or a control character", ""
    if "@" not in address:
        return "it has no @", ""
    if "=?" in address:
        # Python's address parser, which Django uses, decodes "=?charset?B?...?=" in a
        # local part, so "=?utf-8?B?...?=@example.com" would go to another mailbox.
        return "it contains '=?', which mail software may decode as an RFC 2047 encoded-word", ""

    local_part, domain = address.rsplit("@", 1)
    utf8_local_part = not local_part.isascii()
    if utf8_local_part and allow_utf8_local_part:
        if local_part.startswith(".") or local_part.endswith(".") or ".." in local_part:
            return "its local part (before the @) starts or ends with a dot or has two dots in a row", ""
    elif utf8_local_part:
        # Such an address needs SMTPUTF8 (RFC 6531). Django's own email code writes a
        # non-ASCII local part as an RFC 2047 encoded-word, which names another mailbox.
        return (
            "its local part (before the @) is not ASCII, which needs SMTPUTF8 (RFC 6531), and this channel cannot "
            "send it; only django_email with Django's SMTP backend and a server that offers SMTPUTF8 can, "
            "otherwise ask the recipient for an ASCII address",
            "",
        )

    converted_domain = ascii_domain(domain)
    if converted_domain is None:
        return "its domain is not a valid internationalized domain name, or IDNA would change it", ""

    ascii_address = f"{local_part}@{converted_domain}"
    # Django's validator accepts only ASCII local parts, so a UTF-8 local part was
    # checked above and is replaced by "x" here, to validate the domain.
    checked_address = f"x@{converted_domain}" if utf8_local_part else ascii_address
    try:
        validate_email(checked_address)
    except ValidationError:
        return "Django's email validator rejects it", ""
    return "", ascii_address


def one_line(text: str) -> str:
    """
    Return ``text`` as one header-safe line.

    Every run of whitespace, line breaks and control characters becomes one space, and a
    space is put between the ``=`` and ``?`` of every ``=?``. Django 6.0 decodes an
    RFC 2047 encoded-word found in a subject or a display name and writes the result
    raw, so ``=?utf-8?b?...?=`` that encodes a line break would add a header.
    """
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text).split()).replace("=?", "= ?")


def ascii_sender_address(address: str) -> str:
    """
    Return the sender ``address`` with its domain in punycode.

    A value without ``@`` is returned unchanged for the email backend to judge; the system
    check ``edx_ace.E141`` reports such a ``DEFAULT_FROM_EMAIL``.

    Raises:
        InvalidMessageError: the local part is not ASCII or the domain is not a valid
            internationalized domain name (code ``invalid_sender``).
    """
    local_part, at, domain = address.rpartition("@")
    if not at:
        return address
    converted = ascii_domain(domain)
    if converted is None or not local_part.isascii():
        raise InvalidMessageError(
            f"the sender address {address!r} cannot be sent from: its local part must be ASCII and its domain a "
            "valid domain name; fix DEFAULT_FROM_EMAIL or the from_address option",
            code="invalid_sender",
        )
    return f"{local_part}@{converted}"


def from_header(from_name: str, default_from_email: str) -> str:
    """
    Return a From header value: the rendered display name with the address of ``default_from_email``.

    ``default_from_email`` may itself be ``"Name <address>"``; only its address is kept.
    The display name is made one line with :func:`one_line` and quoted when needed, so it
    cannot add an address. When the encoded value would exceed ``MAX_FROM_HEADER_LENGTH``
    bytes, or ``MAX_QUOTED_FROM_HEADER_LENGTH`` for a name with a comma, quote or other
    special character, the name is shortened between two characters until it fits.
    """
    _name, address = parseaddr(default_from_email)
    address = ascii_sender_address(address or default_from_email)
    name = one_line(from_name)
    if not name:
        return address
    if _fits(name, address):
        return _mailbox(name, address)

    # A longer prefix is never shorter once encoded, and never allowed more room, so a
    # binary search finds the longest prefix that fits.
    low, high = 0, len(name)
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(_cut(name, middle), address):
            low = middle
        else:
            high = middle - 1
    shortened = _cut(name, low)
    if not shortened:
        return address
    return _mailbox(shortened, address)


def _mailbox(name: str, address: str) -> str:
    """
    Return ``name <address>``, with the name quoted when it contains a special character.

    A non-ASCII name stays as Unicode: Django encodes it when it builds the email, and an
    RFC 2047 encoded-word made here would be decoded and parsed again by Django 6.0,
    losing its quotes.
    """
    if _ADDRESS_SPECIALS.intersection(name) or "." in name:
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        name = f'"{escaped}"'
    return f"{name} <{address}>"


def _fits(name: str, address: str) -> bool:
    """Return whether the From value of ``name`` and ``address`` is short enough once encoded."""
    limit = MAX_FROM_HEADER_LENGTH
    if _ADDRESS_SPECIALS.intersection(name):
        limit = MAX_QUOTED_FROM_HEADER_LENGTH
    return _encoded_length(name, address) <= limit


def _cut(name: str, length: int) -> str:
    """Return the first ``length`` characters of ``name``, without trailing combining marks or spaces."""
    prefix = name[:length]
    while prefix and unicodedata.combining(prefix[-1]):
        prefix = prefix[:-1]
    return prefix.rstrip()


def _encoded_length(name: str, address: str) -> int:
    """Return the length in bytes of the From value as an email writes it, folding whitespace included."""
    if name.isascii():
        return len(formataddr((name, address)))
    # Non-ASCII names are written as RFC 2047 encoded-words of at most 75 characters each.
    encoded_name = Header(name, "utf-8", header_name="From").encode()
    return len(encoded_name) + len(address) + 3


def html_document(rendered: RenderedEmail, language: str | None) -> str:
    """
    Return the HTML part of an email: ``head_html`` and ``body_html`` in one document.

    ``language`` is ``Message.language``; the ``lang`` attribute names the language it
    rendered in (see :func:`edx_ace.language.normalize`).
    """
    code = normalize(language)
    lang = ""
    if code and _LANGUAGE_CODE.match(code):
        lang = f' lang="{html.escape(code)}"'
    return (
        f'<!DOCTYPE html>\n<html{lang}>\n<head>\n<meta charset="utf-8">\n{rendered.head_html}\n</head>\n'
        f"<body>\n{rendered.body_html}\n</body>\n</html>\n"
    )
