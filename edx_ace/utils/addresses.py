"""Conversion of internationalized email domains to ASCII."""

from __future__ import annotations

import unicodedata


def ascii_domain(domain: str) -> str | None:
    """
    Return ``domain`` in ASCII (IDNA), or ``None`` when it is invalid or IDNA would alter it.

    Python's ``idna`` codec (IDNA 2003, as Django's own ``punycode()`` uses) maps some
    names to others, such as ``ß`` to ``ss`` and full-width letters to ASCII; sending there
    could reach someone else, so such a domain is rejected instead.
    """
    if domain.isascii():
        return domain
    try:
        encoded = domain.encode("idna").decode("ascii")
        decoded = encoded.encode("ascii").decode("idna")
    except UnicodeError:
        return None
    if decoded != unicodedata.normalize("NFC", domain).lower():
        return None
    return encoded
