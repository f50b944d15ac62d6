"""Fixtures of the hardening tests: a fresh language warning counter and the echo message."""

from __future__ import annotations

import pytest

from edx_ace import language, monitoring, outcomes
from tests.sailthru_server import SailthruServer


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


SAILTHRU_KEY = "hardening-key"
SAILTHRU_SECRET = "hardening-secret"


@pytest.fixture
def sailthru_server(settings, monkeypatch):
    """A fake Sailthru API on 127.0.0.1 with only the ``sailthru_email`` channel enabled."""
    # requests would send through a proxy named in the environment; loopback must stay direct.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = SailthruServer(SAILTHRU_KEY, SAILTHRU_SECRET).start()
    settings.ACE_ENABLED_CHANNELS = ["sailthru_email"]
    settings.ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME = "ACE email"
    settings.ACE_CHANNEL_SAILTHRU_API_KEY = SAILTHRU_KEY
    settings.ACE_CHANNEL_SAILTHRU_API_SECRET = SAILTHRU_SECRET
    settings.ACE_CHANNEL_SAILTHRU_API_URL = server.url
    settings.ACE_CHANNEL_SAILTHRU_TIMEOUT = 5
    yield server
    server.stop()
