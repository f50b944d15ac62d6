"""Fixtures of the hardening tests: a fresh language warning counter and the echo message."""

from __future__ import annotations

import pytest

from edx_ace import language, monitoring, outcomes


@pytest.fixture(autouse=True)
def _fresh_language_counts():
    """Start each test with no unsupported language seen, so its first warning is logged."""
    language.reset_counts()
    yield
    language.reset_counts()


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Start each test with zero monitoring counters and no repeated skip logged."""
    monitoring.reset_counters()
    outcomes.reset_repeats()
    yield
    monitoring.reset_counters()
    outcomes.reset_repeats()


class FakeNewRelicAgent:
    """Records what ACE hands to the New Relic agent, which cannot run in tests."""

    def __init__(self):
        self.attributes = []
        self.metrics = []

    def add_custom_attribute(self, key, value):
        self.attributes.append((key, value))

    def record_custom_metric(self, name, value):
        self.metrics.append((name, value))


@pytest.fixture
def newrelic(monkeypatch):
    """Replace the New Relic agent with a ``FakeNewRelicAgent`` and return it."""
    agent = FakeNewRelicAgent()
    monkeypatch.setattr(monitoring, "newrelic_agent", agent)
    return agent
