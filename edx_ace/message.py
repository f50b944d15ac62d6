"""
:class:`Message`, one communication for one recipient, and :class:`MessageType`, the
factory that personalizes a kind of communication into messages.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from typing import Any

import attr
from django.apps import apps
from django.utils import translation

from edx_ace import language as language_module
from edx_ace import monitoring
from edx_ace.channel.headers import validate_headers
from edx_ace.options import validate_options
from edx_ace.recipient import Recipient
from edx_ace.serialization import (
    CONTEXT,
    DATETIME,
    OMIT_WHEN_EMPTY,
    UUID,
    MessageAttributeSerializationMixin,
    object_codec,
)
from edx_ace.validators import (
    instance_of,
    optional_aware_datetime,
    optional_instance_of,
    optional_log_level,
    optional_uuid,
    template_name_part,
)

RECIPIENT = object_codec(lambda: Recipient)


def _copy_dict(value):
    return dict(value) if isinstance(value, dict) else value


def _valid_options(instance, attribute, value):
    validate_options(value, log_id=getattr(instance, "log_id", None))


def _valid_headers(instance, attribute, value):
    validate_headers(value, log_id=getattr(instance, "log_id", None))


@attr.s
class Message(MessageAttributeSerializationMixin):
    """
    One message for one recipient: what to render, for whom, and until when to try.

    Args:
        app_label: The Django app whose templates render the message. Required.
        name: The message name, the folder of its templates. Required.
        recipient: The :class:`~edx_ace.recipient.Recipient`, or ``None``.
        expiration_time: A timezone-aware datetime after which the message is not delivered.
        context: Values for the templates.
        send_uuid: The UUID of the batch this message belongs to.
        language: The language code to render in; ``None`` keeps the active language.
        log_level: The level at which this message's debug lines are logged (for example
            ``logging.INFO`` to trace one message in production).
        options: Delivery options: the keys listed in :mod:`edx_ace.options`, and any key
            of the host application's own, which ACE keeps and ignores.
        headers: Extra email headers, passed to the email channels that can send headers
            (see :mod:`edx_ace.channel.headers` for the rules).
        uuid: The message's own UUID; a new one is generated when omitted.

    Raises:
        InvalidMessageError: a recognised option or a header is invalid; the error names it.
    """

    app_label: str = attr.ib(validator=template_name_part)
    name: str = attr.ib(validator=template_name_part)
    recipient: Recipient | None = attr.ib(
        validator=optional_instance_of(Recipient, "an edx_ace.Recipient"), metadata={"json": RECIPIENT}
    )
    expiration_time = attr.ib(default=None, validator=optional_aware_datetime, metadata={"json": DATETIME})
    context: dict[str, Any] = attr.ib(
        default=attr.Factory(lambda: {}),
        converter=_copy_dict,
        validator=instance_of(dict, "a dict"),
        metadata={"json": CONTEXT},
    )
    send_uuid = attr.ib(default=None, validator=optional_uuid, metadata={"json": UUID})
    language: str | None = attr.ib(default=None, validator=optional_instance_of(str, "a language code str"))
    log_level: int | None = attr.ib(default=None, validator=optional_log_level)
    options: dict[str, Any] = attr.ib(
        default=attr.Factory(lambda: {}),
        kw_only=True,
        converter=_copy_dict,
        validator=_valid_options,
        metadata={"json": CONTEXT, OMIT_WHEN_EMPTY: True},
    )
    headers: dict[str, str] = attr.ib(
        default=attr.Factory(lambda: {}),
        kw_only=True,
        converter=_copy_dict,
        validator=_valid_headers,
        metadata={"json": CONTEXT, OMIT_WHEN_EMPTY: True},
    )
    uuid = attr.ib(
        default=attr.Factory(lambda self: self.generate_uuid(), takes_self=True),
        kw_only=True,
        validator=instance_of(uuid_module.UUID, "a uuid.UUID"),
        metadata={"json": UUID},
    )

    def default_context_value(self) -> dict[str, Any]:
        return {}

    def generate_uuid(self) -> uuid_module.UUID:
        return uuid_module.uuid4()

    @property
    def unique_name(self) -> str:
        """The message's app label and name, as in ``"myapp.welcome"``."""
        return f"{self.app_label}.{self.name}"

    @property
    def log_id(self) -> str:
        """The identity of this message in log lines: its unique name and UUID."""
        return f"{self.unique_name}:{self.uuid}"

    def to_json(self) -> dict[str, Any]:
        # Lazy translations in the context resolve in the language the message renders in.
        code = language_module.normalize(self.language)
        if code is not None:
            with translation.override(code):
                return super().to_json()
        return super().to_json()

    def get_message_specific_logger(self, logger: logging.Logger) -> MessageLoggingAdapter:
        """Return an adapter of ``logger`` that prefixes each line with this message's log id."""
        return MessageLoggingAdapter(logger, {"message": self})

    def report(self, key: str, value: Any) -> None:
        """Report one attribute of this message to monitoring."""
        monitoring.report(key, value)

    def report_basics(self) -> None:
        """Report the message's identity to monitoring."""
        self.report("edx_ace.uuid", str(self.uuid))
        self.report("edx_ace.send_uuid", str(self.send_uuid) if self.send_uuid else None)
        self.report("edx_ace.message_name", self.unique_name)
        self.report("edx_ace.language", self.language)


class MessageLoggingAdapter(logging.LoggerAdapter):
    """
    A ``LoggerAdapter`` that prefixes every line with the log id of a message.

    It expects the message under the key ``"message"`` of ``extra``. When the message has a
    ``log_level``, ``debug()`` lines are logged at that level instead of DEBUG.
    """

    def process(self, msg, kwargs):
        message = self.extra["message"]
        return f"[{message.log_id}] {msg}", kwargs

    def debug(self, msg, *args, **kwargs):
        level = self.extra["message"].log_level
        if level is None or level < logging.DEBUG:
            level = logging.DEBUG
        self.log(level, msg, *args, **kwargs)


@attr.s
class MessageType(MessageAttributeSerializationMixin):
    """
    A kind of message, such as a weekly reminder, that is personalized once per recipient.

    Subclasses may set ``APP_LABEL`` and ``NAME``. Without them, the app label is the label
    of the installed Django app that contains the subclass's module, and the name is the
    subclass's name in lower case.

    Args:
        context: Values shared by every message of this batch.
        expiration_time: A timezone-aware datetime after which the messages are not delivered.
        app_label: Overrides ``APP_LABEL`` and the default app label.
        name: Overrides ``NAME`` and the default name.
        log_level: Passed on to each message (see :class:`Message`).
        options: Delivery options copied into each message (see :class:`Message`).
    """

    APP_LABEL: str | None = None
    NAME: str | None = None

    context: dict[str, Any] = attr.ib(
        default=attr.Factory(lambda: {}),
        converter=_copy_dict,
        validator=instance_of(dict, "a dict"),
        metadata={"json": CONTEXT},
    )
    expiration_time = attr.ib(default=None, validator=optional_aware_datetime, metadata={"json": DATETIME})
    app_label: str = attr.ib(
        default=attr.Factory(lambda self: self.default_app_label(), takes_self=True), validator=template_name_part
    )
    name: str = attr.ib(
        default=attr.Factory(lambda self: self.default_name(), takes_self=True), validator=template_name_part
    )
    log_level: int | None = attr.ib(default=None, validator=optional_log_level)
    options: dict[str, Any] = attr.ib(
        default=attr.Factory(lambda: {}),
        kw_only=True,
        converter=_copy_dict,
        validator=_valid_options,
        metadata={"json": CONTEXT, OMIT_WHEN_EMPTY: True},
    )
    uuid = attr.ib(
        default=attr.Factory(lambda self: self.generate_uuid(), takes_self=True),
        kw_only=True,
        validator=instance_of(uuid_module.UUID, "a uuid.UUID"),
        metadata={"json": UUID},
    )

    def default_context_value(self) -> dict[str, Any]:
        return {}

    def default_app_label(self) -> str:
        """Return ``APP_LABEL``, or the label of the installed app that defines this class."""
        if self.APP_LABEL:
            return self.APP_LABEL
        module = type(self).__module__
        app_config = apps.get_containing_app_config(module)
        if app_config is None:
            raise ValueError(
                f"{type(self).__qualname__} is defined in {module!r}, which is not part of an installed Django "
                "app, so its app label is unknown; set APP_LABEL on the class or pass app_label="
            )
        return app_config.label

    def default_name(self) -> str:
        """Return ``NAME``, or this class's name in lower case."""
        if self.NAME:
            return self.NAME
        return type(self).__name__.lower()

    def generate_uuid(self) -> uuid_module.UUID:
        return uuid_module.uuid4()

    def personalize(
        self, recipient: Recipient | None, language: str | None, user_context: dict[str, Any] | None = None
    ) -> Message:
        """
        Return a new :class:`Message` of this type for one recipient.

        The message's context is this type's context updated with ``user_context``; the
        type's own context is left unchanged. The message's ``send_uuid`` is this type's
        ``uuid``, and its ``options`` are a copy of this type's ``options``.
        """
        if user_context is None:
            user_context = {}
        if not isinstance(user_context, dict):
            raise TypeError(f"user_context must be a dict, got {type(user_context).__name__} ({user_context!r:.80})")

        return Message(
            app_label=self.app_label,
            name=self.name,
            recipient=recipient,
            expiration_time=self.expiration_time,
            context={**self.context, **user_context},
            send_uuid=self.uuid,
            language=language,
            log_level=self.log_level,
            options=dict(self.options),
        )
