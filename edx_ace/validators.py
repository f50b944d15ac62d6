"""
attrs validators shared by the message classes, with errors that name the field, the
value received and what to pass instead.
"""

from __future__ import annotations

import datetime
import uuid


def _describe(value) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def optional_instance_of(expected_type, hint: str):
    """Return a validator that accepts ``None`` or an instance of ``expected_type``."""

    def validate(instance, attribute, value):
        if value is not None and not isinstance(value, expected_type):
            raise TypeError(
                f"{type(instance).__name__}.{attribute.name} must be {hint} or None, got {_describe(value)}"
            )

    return validate


def instance_of(expected_type, hint: str):
    """Return a validator that accepts only an instance of ``expected_type``."""

    def validate(instance, attribute, value):
        if not isinstance(value, expected_type):
            raise TypeError(f"{type(instance).__name__}.{attribute.name} must be {hint}, got {_describe(value)}")

    return validate


def template_name_part(instance, attribute, value):
    """Accept a non-empty string usable as one folder name in a template path."""
    if not isinstance(value, str):
        raise TypeError(f"{type(instance).__name__}.{attribute.name} must be a str, got {_describe(value)}")
    if not value or value in {".", ".."} or "/" in value or "\\" in value or value != value.strip():
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} {value!r} is invalid: it names a template folder, "
            "so it must be non-empty, without slashes or surrounding spaces, and not '.' or '..'"
        )


def optional_aware_datetime(instance, attribute, value):
    """Accept ``None`` or a timezone-aware datetime, and reject a naive one."""
    if value is None:
        return
    if not isinstance(value, datetime.datetime):
        raise TypeError(
            f"{type(instance).__name__}.{attribute.name} must be a timezone-aware datetime or None, "
            f"got {_describe(value)}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} {value.isoformat()} is naive; pass a timezone-aware "
            "datetime, for example datetime.now(timezone.utc) + timedelta(hours=1)"
        )


def optional_uuid(instance, attribute, value):
    """Accept ``None`` or a ``uuid.UUID``."""
    optional_instance_of(uuid.UUID, "a uuid.UUID")(instance, attribute, value)


def optional_log_level(instance, attribute, value):
    """Accept ``None`` or a logging level number such as ``logging.DEBUG``."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise TypeError(
            f"{type(instance).__name__}.{attribute.name} must be a logging level such as logging.DEBUG, "
            f"got {_describe(value)}"
        )


def optional_user_id(instance, attribute, value):
    """Accept ``None`` or an ``int`` user id; a bool is rejected."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise TypeError(
            f"{type(instance).__name__}.{attribute.name} must be an int user id or None, got {_describe(value)}"
        )
