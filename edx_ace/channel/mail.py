"""
Pieces shared by the email channels: the recipient's address, the one-line subject, the
From header and the HTML document.
"""

from __future__ import annotations

import html
import re
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from edx_ace.errors import InvalidMessageError
from edx_ace.language import normalize

if TYPE_CHECKING:
    from edx_ace.message import Message
    from edx_ace.renderers import RenderedEmail

_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$")


def recipient_address(message: Message, channel_name: str) -> str:
    """
    Return the recipient's email address, stripped of surrounding spaces.

    Raises:
        InvalidMessageError: the message has no recipient, no address, or an address that
            is not exactly one valid mailbox (a list, a display name, a line break).
    """
    recipient = message.recipient
    address = getattr(recipient, "email_address", None)
    if not address:
        raise InvalidMessageError(
            "the recipient has no email_address; set Recipient(email_address=...) to send email",
            channel=channel_name,
            log_id=message.log_id,
        )

    address = address.strip()
    try:
        if any(character in address for character in '\r\n,;<>"()'):
            raise ValidationError("contains a character that is not allowed")
        validate_email(address)
    except ValidationError:
        raise InvalidMessageError(
            f"the recipient's email_address {address!r} is not a single valid address; pass one address "
            "such as 'name@example.com', without a display name",
            channel=channel_name,
            log_id=message.log_id,
        ) from None
    return address


def one_line(text: str) -> str:
    """Collapse every run of whitespace, line breaks included, into one space."""
    return " ".join(text.split())


def from_header(from_name: str, default_from_email: str) -> str:
    """
    Return a From header value: the rendered display name with the address of ``default_from_email``.

    ``default_from_email`` may itself be ``"Name <address>"``; only its address is kept.
    The display name is quoted or RFC 2047-encoded as needed, so it cannot add an address.
    """
    _name, address = parseaddr(default_from_email)
    address = address or default_from_email
    name = one_line(from_name)
    if not name:
        return address
    return formataddr((name, address))


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
