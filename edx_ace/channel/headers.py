"""
Validation of the extra email headers in ``Message.headers``.

A header name is an RFC 5322 field name: printable US-ASCII without spaces or a colon.
Neither a name nor a value may contain a line break, which would start a new header.
The headers that address the email or that the channel builds itself (From, To, Cc,
Bcc, Subject and the MIME structure headers) cannot be set this way, so extra headers
can neither add recipients nor break the email's parts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from edx_ace.errors import InvalidMessageError

#: RFC 5322 section 3.6.8: a field name is one or more printable US-ASCII characters except the colon.
_FIELD_NAME = re.compile(r"^[\x21-\x39\x3b-\x7e]+$")

#: Lower-case names of the headers that ``Message.headers`` must not set.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "content-type",
        "content-transfer-encoding",
        "mime-version",
    }
)


def header_problems(headers: Any) -> list[str]:
    """Return one sentence per invalid header in ``headers``; an empty list when all are valid."""
    if not isinstance(headers, Mapping):
        return [f"headers must be a dict of header names to str values, got {type(headers).__name__}"]

    problems = []
    for name, value in headers.items():
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            problems.append(
                f"the header name {name!r} is invalid; use printable ASCII without spaces, colons or line breaks, "
                "such as 'X-Course-Id'"
            )
            continue
        if name.lower() in RESERVED_HEADERS:
            problems.append(
                f"the header {name!r} cannot be set in Message.headers, because the channel sets it; set the "
                "recipient, subject template or options instead"
            )
            continue
        if not isinstance(value, str):
            problems.append(f"the header {name!r} has the value {value!r:.80} ({type(value).__name__}); use a str")
            continue
        if "\r" in value or "\n" in value or "\0" in value:
            problems.append(f"the value of the header {name!r} contains a line break or NUL; put it on one line")
    return problems


def validate_headers(headers: Any, *, log_id: str | None = None, channel: str | None = None) -> dict[str, str]:
    """
    Return ``headers`` as a new dict after checking every name and value.

    Raises:
        InvalidMessageError: a header is invalid; the error names it.
    """
    problems = header_problems(headers)
    if problems:
        raise InvalidMessageError("; ".join(problems), channel=channel, log_id=log_id)
    return dict(headers)
