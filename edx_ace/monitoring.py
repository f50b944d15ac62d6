"""
Reporting of message attributes to monitoring: New Relic custom attributes when its agent
is installed, nothing otherwise.
"""

from __future__ import annotations

import logging
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
