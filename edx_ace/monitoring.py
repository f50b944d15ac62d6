"""
Reporting to monitoring: message attributes as New Relic custom attributes, and counters
kept in the process and recorded as New Relic custom metrics, when its agent is installed.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

log = logging.getLogger(__name__)

try:
    import newrelic.agent as newrelic_agent
except ImportError:
    newrelic_agent = None


def report(key: str, value: Any) -> None:
    """Report ``key`` with ``value`` to every available monitoring service."""
    report_to_newrelic(key, value)


def report_to_newrelic(key: str, value: Any) -> None:
    """Add ``key`` and ``value`` as a custom attribute of the current New Relic transaction."""
    if newrelic_agent is None:
        return
    add_attribute = getattr(newrelic_agent, "add_custom_attribute", None) or getattr(
        newrelic_agent, "add_custom_parameter", None
    )
    if add_attribute is None:
        log.debug("The New Relic agent has no add_custom_attribute(); %s not reported", key)
        return
    add_attribute(key, value)


_counter_lock = threading.Lock()
_counters: Counter[str] = Counter()


def increment(name: str, value: int = 1) -> None:
    """
    Add ``value`` to the counter ``name`` (such as ``edx_ace.outcome.email.invalid.no_address``).

    The counter is kept in this process (see :func:`counters`) and recorded as the New Relic
    custom metric ``Custom/`` + ``name`` with dots written as slashes.
    """
    with _counter_lock:
        _counters[name] += value
    record_newrelic_metric("Custom/" + name.replace(".", "/"), value)


def counters() -> dict[str, int]:
    """Return a copy of this process's counters by name."""
    with _counter_lock:
        return dict(_counters)


def reset_counters() -> None:
    """Set every counter of this process back to zero."""
    with _counter_lock:
        _counters.clear()


def record_newrelic_metric(name: str, value: int) -> None:
    """Record one value of the New Relic custom metric ``name``."""
    if newrelic_agent is None:
        return
    record = getattr(newrelic_agent, "record_custom_metric", None)
    if record is None:
        log.debug("The New Relic agent has no record_custom_metric(); %s not recorded", name)
        return
    record(name, value)
