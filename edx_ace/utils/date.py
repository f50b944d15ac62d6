"""
Serialization of datetimes for the JSON form of a message.

Datetimes are written in ISO 8601 with their UTC offset, so a time in ``+05:30`` reads
back as the same instant in the same offset.
"""

from __future__ import annotations

import datetime

from dateutil import parser


def get_current_time() -> datetime.datetime:
    """Return the current time in UTC as a timezone-aware datetime."""
    return datetime.datetime.now(datetime.UTC)


def serialize(timestamp_obj: datetime.datetime | None) -> str | None:
    """
    Serialize a datetime to an ISO 8601 string, or ``None`` to ``None``.

    The year is always written with four digits, so years before 1000 read back
    correctly (``datetime.isoformat`` already does this).
    """
    if timestamp_obj is None:
        return None
    return timestamp_obj.isoformat()


def deserialize(timestamp_iso8601_str: str | None) -> datetime.datetime | None:
    """
    Parse an ISO 8601 string into a datetime, or ``None`` into ``None``.

    A string without an offset yields a naive datetime, as it was written; the message
    classes reject naive times where they need an instant.

    Raises:
        ValueError: the string is not an ISO 8601 timestamp.
    """
    if timestamp_iso8601_str is None:
        return None
    if not isinstance(timestamp_iso8601_str, str):
        raise TypeError(
            f"expected an ISO 8601 string, got {type(timestamp_iso8601_str).__name__} ({timestamp_iso8601_str!r})"
        )
    try:
        return datetime.datetime.fromisoformat(timestamp_iso8601_str)
    except ValueError:
        pass
    try:
        return parser.isoparse(timestamp_iso8601_str)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"{timestamp_iso8601_str!r} is not an ISO 8601 timestamp: {error}") from None
