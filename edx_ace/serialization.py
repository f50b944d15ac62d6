"""
The JSON form of messages, message types and recipients.

``str(obj)`` writes an object as a JSON object of its attrs fields and
``Cls.from_string(text)`` reads it back, so that ``Cls.from_string(str(obj)) == obj``.
A message can therefore travel through a task queue as a string.

Field values are written by the codec named in each field's metadata (key ``"json"``).
Context values keep their Python type across the trip: a datetime, date, time, UUID,
Decimal, tuple or ``SafeString`` is written as a small tagged object such as
``{"__ace__": "uuid", "value": "..."}``, and read back as the same type. A datetime in a
``zoneinfo`` zone keeps its zone. A value that JSON cannot represent, or would read back
as another type (an enum member, a subclass of str, int or float), raises ``TypeError``
from ``str()``, naming its key.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attr
from django.utils.functional import Promise
from django.utils.safestring import SafeData, mark_safe

from edx_ace.utils import date

#: The key that marks a tagged value in the JSON form of a context.
TAG = "__ace__"

#: Field metadata key: when true, ``to_json()`` leaves the field out while it is ``None``
#: or an empty dict. Fields added after edx-ace 0.1.5 set it, so a message that uses none
#: of them is written exactly as 0.1.5 wrote it. ``from_json()`` gives missing fields their
#: defaults.
OMIT_WHEN_EMPTY = "json_omit_when_empty"

T = TypeVar("T", bound="MessageAttributeSerializationMixin")


class MessageEncoder(json.JSONEncoder):
    """
    A JSON encoder that also writes datetimes (ISO 8601), UUIDs (strings) and ACE objects.

    Use it to embed ACE objects in a larger JSON document:
    ``json.dumps({"msg": msg}, cls=MessageEncoder)``.
    """

    def default(self, o):
        if isinstance(o, MessageAttributeSerializationMixin):
            return o.to_json()
        if isinstance(o, datetime.datetime):
            return date.serialize(o)
        if isinstance(o, uuid.UUID):
            return str(o)
        if isinstance(o, Promise):
            return str(o)
        return super().default(o)


# Field codecs: each is a pair (encode, decode) of functions taking (value, path).


def _encode_plain(value, path):
    return encode_value(value, path)


def _decode_plain(value, path):
    return decode_value(value, path)


def _encode_datetime(value, path):
    return date.serialize(value)


def _decode_datetime(value, path):
    if value is None:
        return None
    try:
        return date.deserialize(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None


def _encode_uuid(value, path):
    return None if value is None else str(value)


def _decode_uuid(value, path):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{path} must be a UUID string, got {value!r}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{path} {value!r} is not a UUID") from None


def object_codec(cls_getter: Callable[[], type[MessageAttributeSerializationMixin]]):
    """Return a codec for a field that contains a nested ACE object (or ``None``)."""

    def encode(value, path):
        return None if value is None else value.to_json()

    def decode(value, path):
        if value is None:
            return None
        return cls_getter().from_json(value, path=path)

    return encode, decode


PLAIN = (_encode_plain, _decode_plain)
DATETIME = (_encode_datetime, _decode_datetime)
UUID = (_encode_uuid, _decode_uuid)
CONTEXT = PLAIN


def encode_value(value: Any, path: str) -> Any:
    """
    Return ``value`` as JSON-ready data, tagging the types JSON lacks.

    Raises:
        TypeError: ``value`` or something inside it cannot be written; the message
            names it by ``path``.
    """
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, SafeData) and isinstance(value, str):
        return {TAG: "safestring", "value": str(value)}
    if isinstance(value, bool | int | float | str):
        # JSON would read an enum member or another subclass back as the plain base
        # type, and a template using its attributes would render differently.
        base = next(cls for cls in (bool, int, float, str) if isinstance(value, cls)).__name__
        raise TypeError(
            f"{path} is a {type(value).__module__}.{type(value).__qualname__}, a subclass of {base} that JSON "
            f"would read back as a plain {base}; put {base}(value) or the attribute the template uses (such as "
            "member.value or member.label) in the context instead"
        )
    if isinstance(value, Promise):
        # A lazy translation is resolved in the language active now; Message.to_json
        # activates the message's own language first.
        return str(value)
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{path} has the key {key!r} ({type(key).__name__}); JSON object keys must be str, "
                    "so convert the key with str() before sending"
                )
            encoded[key] = encode_value(item, f"{path}[{key!r}]")
        if TAG in encoded:
            return {TAG: "dict", "value": encoded}
        return encoded
    if isinstance(value, list):
        return [encode_value(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, tuple):
        return {TAG: "tuple", "value": [encode_value(item, f"{path}[{index}]") for index, item in enumerate(value)]}
    if isinstance(value, datetime.datetime):
        tagged = {TAG: "datetime", "value": value.isoformat()}
        if isinstance(value.tzinfo, zoneinfo.ZoneInfo) and value.tzinfo.key:
            # The offset alone loses the zone's name and its daylight saving rules.
            tagged["zone"] = value.tzinfo.key
        return tagged
    if isinstance(value, datetime.date):
        return {TAG: "date", "value": value.isoformat()}
    if isinstance(value, datetime.time):
        return {TAG: "time", "value": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {TAG: "uuid", "value": str(value)}
    if isinstance(value, decimal.Decimal):
        return {TAG: "decimal", "value": str(value)}
    from edx_ace.recipient import Recipient

    if isinstance(value, Recipient):
        return {TAG: "recipient", "value": value.to_json()}

    raise TypeError(
        f"{path} is a {type(value).__module__}.{type(value).__qualname__}, which cannot be written to JSON; "
        "put a str, number, bool, None, list, tuple, dict, datetime, date, time, UUID or Decimal "
        "in the context instead (for a model instance, its id or the fields the template uses)"
    )


_TAG_DECODERS: dict[str, Callable[[Any], Any]] = {
    "safestring": mark_safe,
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "uuid": uuid.UUID,
    "decimal": decimal.Decimal,
}


def decode_value(value: Any, path: str) -> Any:
    """Return the Python value that ``encode_value`` wrote as ``value``."""
    if isinstance(value, list):
        return [decode_value(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if TAG not in value:
        return {key: decode_value(item, f"{path}[{key!r}]") for key, item in value.items()}

    tag = value[TAG]
    inner = value.get("value")
    if tag == "dict" and isinstance(inner, dict):
        return {key: decode_value(item, f"{path}[{key!r}]") for key, item in inner.items()}
    if tag == "tuple" and isinstance(inner, list):
        return tuple(decode_value(item, f"{path}[{index}]") for index, item in enumerate(inner))
    if tag == "recipient" and isinstance(inner, dict):
        from edx_ace.recipient import Recipient

        return Recipient.from_json(inner, path=path)
    if tag == "datetime" and "zone" in value:
        return _decode_zoned_datetime(inner, value["zone"], path)
    decoder = _TAG_DECODERS.get(tag) if isinstance(tag, str) else None
    if decoder is not None and isinstance(inner, str):
        try:
            return decoder(inner)
        except (TypeError, ValueError, decimal.InvalidOperation) as error:
            raise ValueError(f"{path} contains an invalid {tag} value {inner!r}: {error}") from None

    known = ", ".join(sorted([*_TAG_DECODERS, "dict", "tuple", "recipient"]))
    raise ValueError(
        f"{path} is a tagged value {{{TAG!r}: {tag!r}, 'value': {inner!r:.60}}} that this version cannot read; "
        f"known tags are {known}, each with a str value (a list for tuple, an object for dict and recipient)"
    )


def _decode_zoned_datetime(text: Any, zone: Any, path: str) -> datetime.datetime:
    try:
        instant = datetime.datetime.fromisoformat(text)
        if instant.utcoffset() is None:
            raise ValueError("a datetime with a zone must have a UTC offset")
        return instant.astimezone(zoneinfo.ZoneInfo(zone))
    except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError) as error:
        raise ValueError(f"{path} contains an invalid datetime {text!r} in the zone {zone!r}: {error}") from None


class MessageAttributeSerializationMixin:
    """
    Mixin that writes an attrs object to a JSON string and reads it back.

    ``__str__()`` and ``from_string()`` are inverses. ``to_json()`` returns the
    JSON-ready dictionary that ``__str__()`` encodes.
    """

    if TYPE_CHECKING:
        # Every subclass is an attrs class. Declaring its attribute lets mypy accept the mixin
        # in attr.fields().
        __attrs_attrs__: ClassVar[tuple[attr.Attribute[Any], ...]]

    def __str__(self) -> str:
        return json.dumps(self.to_json(), cls=MessageEncoder)

    def to_json(self) -> dict[str, Any]:
        """Return a dictionary of every serializable field, ready for ``json.dumps``."""
        cls_name = type(self).__name__
        data = {}
        for field in attr.fields(type(self)):
            value = getattr(self, field.name)
            if field.metadata.get(OMIT_WHEN_EMPTY) and (value is None or value == {}):
                continue
            encode, _decode = field.metadata.get("json", PLAIN)
            data[field.name] = encode(value, f"{cls_name}.{field.name}")
        return data

    @classmethod
    def from_string(cls: type[T], string_value: str) -> T:
        """
        Decode the JSON string made by ``str()`` into an instance of this class.

        Raises:
            ValueError: ``string_value`` is not valid JSON, or a field contains an invalid value.
            TypeError: the JSON is not an object, lacks a required field, or a field has the
                wrong type.
        """
        if isinstance(string_value, bytes | bytearray):
            string_value = string_value.decode("utf-8")
        if not isinstance(string_value, str):
            raise TypeError(f"{cls.__name__}.from_string() takes a JSON str, got {type(string_value).__name__}")
        try:
            data = json.loads(string_value)
        except json.JSONDecodeError as error:
            raise ValueError(f"{cls.__name__}.from_string(): the string is not valid JSON: {error}") from None
        return cls.from_json(data)

    @classmethod
    def from_json(cls: type[T], data: Any, path: str | None = None) -> T:
        """Build an instance from the dictionary that ``to_json()`` returns."""
        path = path or cls.__name__
        if not isinstance(data, dict):
            raise TypeError(f"{path}: expected a JSON object of {cls.__name__} fields, got {type(data).__name__}")

        kwargs = {}
        for field in attr.fields(cls):
            if not field.init:
                continue
            if field.name not in data:
                if field.default is attr.NOTHING:
                    raise TypeError(f"{path}: the JSON lacks the required field {field.name!r}")
                continue
            _encode, decode = field.metadata.get("json", PLAIN)
            kwargs[field.name] = decode(data[field.name], f"{path}.{field.name}")

        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{path}: {error}") from None
