"""
The language a message is rendered in: ``Message.language`` matched against ``LANGUAGES``.

Language values come from old profile fields and other systems, so they arrive as
``"FR"``, ``"es_419"``, ``"fr-CA"``, ``"English"`` or worse. :func:`normalize` maps each
one to a code of the ``LANGUAGES`` setting, or to ``LANGUAGE_CODE`` when nothing matches.
Templates render in that language and ``SendResult.language`` reports it.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation

from edx_ace.utils.repeats import RepeatCounter

if TYPE_CHECKING:
    from edx_ace.message import Message

log = logging.getLogger(__name__)

#: A language tag as BCP 47 writes it (``es-419``, ``zh-Hant-TW``), with ``_`` also allowed.
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")

#: How many distinct unsupported values get their own warning; later ones share one count.
MAX_WARNED_VALUES = 100

#: How much of an unsupported value is kept and logged, in characters.
MAX_VALUE_LENGTH = 64

_unsupported = RepeatCounter(MAX_WARNED_VALUES)


def normalize(value: str | None) -> str | None:
    """
    Return the code in ``LANGUAGES`` that ``value`` names, ``LANGUAGE_CODE`` if none, or ``None``.

    ``None`` means "no language chosen" and stays ``None``, so the active language is used.
    Matching ignores case and surrounding spaces and reads ``_`` as ``-``. A regional value
    with no exact entry (``fr-CA``) falls back to its base language (``fr``), and a base
    value with no exact entry (``zh``) to the first regional entry of that base (``zh-hans``).
    """
    if value is None:
        return None
    return match(value) or default_language()


def default_language() -> str:
    """Return ``LANGUAGE_CODE`` as spelled in ``LANGUAGES`` (``en-US`` -> ``en-us`` or ``en``)."""
    return match(settings.LANGUAGE_CODE) or settings.LANGUAGE_CODE


def match(value: str | None) -> str | None:
    """Return the code in ``LANGUAGES`` that ``value`` names, or ``None`` when none does."""
    if not isinstance(value, str):
        return None
    tag = value.strip()
    if not _LANGUAGE_TAG.match(tag):
        return None
    tag = tag.replace("_", "-").lower()

    supported = [code for code, _name in settings.LANGUAGES]
    by_lower = {code.lower(): code for code in supported}
    if tag in by_lower:
        return by_lower[tag]

    base = tag.split("-")[0]
    if base in by_lower:
        return by_lower[base]
    for code in supported:
        if code.lower().startswith(base + "-"):
            return code
    return None


def language_for(message: Message) -> str | None:
    """
    Return the language ``message`` renders in, and warn once per unsupported value.

    It is the normalized ``message.language``, or the active language when the message has
    none (``None`` when translation is deactivated).
    """
    if message.language is None:
        return translation.get_language()

    code = match(message.language)
    if code is not None:
        return code

    fallback = default_language()
    _warn_unsupported(message, message.language, fallback)
    return fallback


def _warn_unsupported(message: Message, language: str, fallback: str) -> None:
    # A batch of 10,000 messages with the same bad profile value must not log 10,000
    # lines, so each value is logged on its 1st, 10th, 100th... occurrence.
    value = str(language)[:MAX_VALUE_LENGTH]
    key, count, should_log = _unsupported.add(value)
    if not should_log:
        return

    described = repr(value) if key == value else f"{value!r} (one of many unsupported values)"
    message.get_message_specific_logger(log).warning(
        "Message.language %s is not in the LANGUAGES setting, so the message is rendered in LANGUAGE_CODE %r "
        "(%d message(s) with this value so far in this process); add the language to LANGUAGES or fix the "
        "value at its source",
        described,
        fallback,
        count,
    )


def unsupported_counts() -> dict[str, int]:
    """Return how many messages of this process had each unsupported language value."""
    return _unsupported.counts()


def reset_counts() -> None:
    """Forget the unsupported values seen so far, so their next occurrence is logged again."""
    _unsupported.clear()
