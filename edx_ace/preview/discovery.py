"""
Find the message types that have templates, and the sample context of each.

A message type is a folder ``{app_label}/edx_ace/{name}/`` with one subfolder per channel
type it has templates for, such as ``email/``. It is searched in the template directories
of the Django template engines: their ``DIRS``, and each installed app's ``templates/``
folder when ``APP_DIRS`` is on. Its sample context is the JSON file ``{app_label}/edx_ace/{name}/preview.json``
(see :func:`load_fixture`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attr
from django.template import engines
from django.template.backends.django import DjangoTemplates

from edx_ace.channel import ChannelType
from edx_ace.recipient import Recipient
from edx_ace.serialization import decode_value

#: The name of the sample-context file in a message type's template folder.
FIXTURE_NAME = "preview.json"

#: The recipient of a preview whose fixture names none.
DEFAULT_RECIPIENT = Recipient(username="preview_learner", email_address="learner@example.com")


class FixtureError(ValueError):
    """A preview fixture file is not valid JSON or does not have the expected shape."""


@attr.s(frozen=True)
class MessageTemplates:
    """
    A message type found in the template directories.

    Attributes:
        app_label: The first folder of the template path, the message's ``app_label``.
        name: The message name, the folder that contains the channel type folders.
        channel_types: The channel types that have a template folder, in ``ChannelType`` order.
        folders: Every ``{app_label}/edx_ace/{name}`` folder found, in the order the
            template loaders search them, so the first one wins.
    """

    app_label: str = attr.ib()
    name: str = attr.ib()
    channel_types: tuple[ChannelType, ...] = attr.ib()
    folders: tuple[Path, ...] = attr.ib()

    @property
    def unique_name(self) -> str:
        """The app label and name, as in ``"example.welcomemessage"``."""
        return f"{self.app_label}.{self.name}"

    def fixture_path(self) -> Path | None:
        """Return the first ``preview.json`` among the folders, or ``None`` when there is none."""
        for folder in self.folders:
            path = folder / FIXTURE_NAME
            if path.is_file():
                return path
        return None


@attr.s(frozen=True)
class Fixture:
    """The sample values a preview renders with."""

    context: dict[str, Any] = attr.ib(factory=dict)
    recipient: Recipient = attr.ib(default=DEFAULT_RECIPIENT)


def template_dirs() -> list[Path]:
    """
    Return the template directories of every Django template engine, in search order.

    Engines of other backends (Jinja2) and loaders that do not read folders (a database,
    a theme loader with its own lookup) are not searched.
    """
    dirs: list[Path] = []
    for backend in engines.all():
        if not isinstance(backend, DjangoTemplates):
            continue
        for directory in backend.template_dirs:
            path = Path(directory)
            if path not in dirs:
                dirs.append(path)
    return dirs


def find_message_types(dirs: list[Path] | None = None) -> list[MessageTemplates]:
    """Return the message types found in ``dirs`` (default: :func:`template_dirs`), sorted by name."""
    folders: dict[tuple[str, str], list[Path]] = {}
    for template_dir in template_dirs() if dirs is None else dirs:
        for message_dir in sorted(template_dir.glob("*/edx_ace/*")):
            if not message_dir.is_dir():
                continue
            key = (message_dir.parent.parent.name, message_dir.name)
            folders.setdefault(key, []).append(message_dir)

    found = []
    for (app_label, name), message_dirs in sorted(folders.items()):
        channel_types = tuple(
            channel_type
            for channel_type in ChannelType
            if any((folder / channel_type.value).is_dir() for folder in message_dirs)
        )
        if channel_types:
            found.append(MessageTemplates(app_label, name, channel_types, tuple(message_dirs)))
    return found


def load_fixture(path: Path | None) -> Fixture:
    """
    Read a preview fixture: a JSON object with the keys ``context`` and, optionally, ``recipient``.

    ``context`` is an object of template variables. Values that JSON lacks are written in
    the tagged form of message serialization, for example
    ``{"__ace__": "datetime", "value": "2027-02-01T09:00:00+00:00"}``. ``recipient`` is an
    object with ``username`` and ``email_address``. Without a file, the context is empty.

    Raises:
        FixtureError: the file cannot be read, is not valid JSON, or has another shape.
    """
    if path is None:
        return Fixture()

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FixtureError(f"cannot read the preview fixture {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FixtureError(f"the preview fixture {path} is not valid JSON: {error}") from None

    if not isinstance(data, dict):
        raise FixtureError(
            f"the preview fixture {path} contains a {type(data).__name__}; write a JSON object such as "
            '{"context": {"learner_name": "Ada"}}'
        )
    unknown = sorted(set(data) - {"context", "recipient"})
    if unknown:
        raise FixtureError(
            f"the preview fixture {path} has the unknown keys {', '.join(unknown)}; "
            "only 'context' and 'recipient' are read"
        )

    context = data.get("context", {})
    if not isinstance(context, dict):
        raise FixtureError(f"'context' in the preview fixture {path} must be a JSON object, got {context!r:.80}")
    try:
        decoded = decode_value(context, "context")
        recipient = Recipient.from_json(data["recipient"], path="recipient") if "recipient" in data else None
    except (TypeError, ValueError) as error:
        raise FixtureError(f"the preview fixture {path} is invalid: {error}") from None

    return Fixture(context=decoded, recipient=recipient or DEFAULT_RECIPIENT)
