"""Tests of edx_ace.utils.date and edx_ace.utils.once."""

from __future__ import annotations

import datetime
import re

import pytest

from edx_ace.utils import date
from edx_ace.utils.once import once

UTC = datetime.UTC
IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
PST = datetime.timezone(datetime.timedelta(hours=-8))


# edx_ace.utils.date


def test_serialize_utc():
    assert date.serialize(datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2030-01-02T03:04:05+00:00"


@pytest.mark.parametrize(
    ("offset", "expected"), [(IST, "2030-01-02T03:04:05+05:30"), (PST, "2030-01-02T03:04:05-08:00")]
)
def test_serialize_offset(offset, expected):
    assert date.serialize(datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=offset)) == expected


def test_serialize_microseconds():
    value = datetime.datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC)

    assert date.serialize(value) == "2030-01-02T03:04:05.000006+00:00"


def test_serialize_year_0999():
    assert date.serialize(datetime.datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00+00:00"


def test_serialize_none():
    assert date.serialize(None) is None


def test_deserialize_none():
    assert date.deserialize(None) is None


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=IST),
        datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=PST),
        datetime.datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime.datetime(1, 1, 1, tzinfo=IST),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=PST),
    ],
    ids=str,
)
def test_deserialize_round_trip(value):
    parsed = date.deserialize(date.serialize(value))

    assert parsed == value
    assert parsed.utcoffset() == value.utcoffset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-02T03:04:05Z", datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2030-01-02T03:04:05.5+05:30", datetime.datetime(2030, 1, 2, 3, 4, 5, 500000, tzinfo=IST)),
        ("20300102T030405-0800", datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=PST)),
        ("2030-01-02 03:04:05+00:00", datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_deserialize_iso_8601_forms(text, expected):
    parsed = date.deserialize(text)

    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_deserialize_naive_stays_naive():
    assert date.deserialize("2030-01-02T03:04:05").tzinfo is None


@pytest.mark.parametrize("text", ["", "yesterday", "2030-02-30T00:00:00+00:00", "2030-01-02T25:00:00Z"])
def test_deserialize_invalid(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))) as raised:
        date.deserialize(text)

    assert "ISO 8601" in str(raised.value)


@pytest.mark.parametrize("value", [1893456000, datetime.datetime(2030, 1, 2, tzinfo=UTC), b"2030-01-02"])
def test_deserialize_not_string(value):
    with pytest.raises(TypeError) as raised:
        date.deserialize(value)

    assert type(value).__name__ in str(raised.value)


def test_get_current_time_aware_utc():
    assert date.get_current_time().utcoffset() == datetime.timedelta(0)


# edx_ace.utils.once


def make_counter():
    calls = []

    @once
    def count():
        """Count the calls."""
        calls.append(len(calls) + 1)
        return len(calls)

    return count, calls


def test_once_runs_once():
    count, calls = make_counter()

    count()
    count()

    assert calls == [1]


def test_once_returns_first_result():
    count, _calls = make_counter()

    assert [count(), count(), count()] == [1, 1, 1]


def test_once_returns_same_object():
    @once
    def load():
        return {"loaded": True}

    assert load() is load()


def test_once_caches_none():
    calls = []

    @once
    def load():
        calls.append(1)

    load()
    load()

    assert calls == [1]


def test_once_cache_clear_runs_again():
    count, calls = make_counter()
    count()

    count.cache_clear()

    assert count() == 2
    assert calls == [1, 2]


def test_once_exception_not_cached():
    attempts = []

    @once
    def load():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("config.json not found")
        return "config"

    with pytest.raises(OSError, match=re.escape("config.json not found")):
        load()

    assert load() == "config"
    assert len(attempts) == 2


def test_once_keeps_name_and_docstring():
    count, _calls = make_counter()

    assert count.__name__ == "count"
    assert count.__doc__ == "Count the calls."


def test_once_separate_functions():
    first, _first_calls = make_counter()
    second, _second_calls = make_counter()
    first()
    first.cache_clear()

    assert first() == 2
    assert second() == 1
