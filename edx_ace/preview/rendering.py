"""
Render one preview: a message type, for one channel type, in one language, with the
sample context of its fixture, and a visible marker wherever a variable is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attr
from django.template import engines
from django.template.backends.django import DjangoTemplates

from edx_ace import presentation
from edx_ace.channel import ChannelType
from edx_ace.message import Message
from edx_ace.preview.discovery import Fixture, MessageTemplates

#: The text a missing variable renders as in a preview (``string_if_invalid``). Django
#: replaces ``%s`` with the variable's name.
MISSING_VARIABLE_MARKER = "[[missing: %s]]"

_MISSING_VARIABLE = re.compile(r"\[\[missing: (.+?)\]\]")


@contextmanager
def visible_missing_variables(marker: str = MISSING_VARIABLE_MARKER) -> Iterator[None]:
    """
    Make every Django template engine render a missing variable as ``marker`` inside the block.

    Each engine's ``string_if_invalid`` is restored on exit, so templates rendered later
    behave as the project's settings define. The change is visible to other threads while
    the block runs, which is why only the preview command uses it.
    """
    changed = []
    for backend in engines.all():
        if isinstance(backend, DjangoTemplates):
            changed.append((backend.engine, backend.engine.string_if_invalid))
            backend.engine.string_if_invalid = marker
    try:
        yield
    finally:
        for engine, original in changed:
            engine.string_if_invalid = original


def missing_variables(texts: list[str]) -> list[str]:
    """Return the sorted names of the missing variables that ``texts`` show markers for."""
    names: set[str] = set()
    for text in texts:
        names.update(_MISSING_VARIABLE.findall(text))
    return sorted(names)


@attr.s
class Preview:
    """
    The outcome of rendering one message type for one channel type and language.

    Attributes:
        templates: The :class:`~edx_ace.preview.discovery.MessageTemplates` rendered.
        channel_type: The channel type rendered.
        language: The language code the templates were rendered in.
        rendered: The renderer's result (a ``RenderedEmail`` for email), or ``None`` after an error.
        error: Why rendering failed, or ``None``.
        missing: The names of the variables the templates used but the context lacks.
    """

    templates: MessageTemplates = attr.ib()
    channel_type: ChannelType = attr.ib()
    language: str = attr.ib()
    rendered: Any = attr.ib(default=None)
    error: str | None = attr.ib(default=None)
    missing: list[str] = attr.ib(factory=list)

    @property
    def page_name(self) -> str:
        """The file name of this preview's page in the gallery."""
        language = re.sub(r"[^A-Za-z0-9_-]", "_", self.language)
        return f"{self.templates.unique_name}.{self.channel_type.value}.{language}.html"


def render_preview(templates: MessageTemplates, channel_type: ChannelType, language: str, fixture: Fixture) -> Preview:
    """Render ``templates`` for ``channel_type`` in ``language`` and return the :class:`Preview`."""
    preview = Preview(templates, channel_type, language)
    try:
        message = Message(
            app_label=templates.app_label,
            name=templates.name,
            recipient=fixture.recipient,
            language=language,
            context=fixture.context,
        )
        with visible_missing_variables():
            preview.rendered = presentation.render(channel_type, message)
    except Exception as error:
        # A broken template must not stop the other pages; its page shows the error.
        preview.error = f"{type(error).__name__}: {error}"
        return preview

    if attr.has(type(preview.rendered)):
        texts = [value for value in attr.asdict(preview.rendered).values() if isinstance(value, str)]
        preview.missing = missing_variables(texts)
    return preview
