"""The ``--language`` argument shared by ACE's management commands."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation


def check_languages(codes: list[str]) -> list[str]:
    """
    Return ``codes`` without duplicates, after checking each is in ``settings.LANGUAGES``.

    Raises:
        CommandError: a code matches no language in ``settings.LANGUAGES``.
    """
    checked: list[str] = []
    for code in codes:
        try:
            translation.get_supported_language_variant(code)
        except LookupError:
            known = ", ".join(language for language, _name in settings.LANGUAGES)
            raise CommandError(f"--language {code!r} is not in settings.LANGUAGES; use one of: {known}") from None
        if code not in checked:
            checked.append(code)
    return checked
