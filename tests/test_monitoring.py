"""Tests of reporting to monitoring, with a fake New Relic agent since the real one cannot run here."""

from __future__ import annotations

import importlib
import logging
import sys
import types
import uuid

import pytest

from edx_ace import monitoring
from edx_ace.message import Message
from edx_ace.recipient import Recipient

MESSAGE_UUID = uuid.UUID("6f1c5e4a-0f6e-4a7c-9a3b-1d2e3f405162")
SEND_UUID = uuid.UUID("0b5e9d1c-7a43-4f0e-8f6b-2c3d4e5f6a7b")


def fake_agent_module(attribute_function="add_custom_attribute"):
    """Return a module that records the custom attributes it is given, as ``module.attributes``."""
    agent = types.ModuleType("newrelic.agent")
    agent.attributes = []
    if attribute_function:
        setattr(agent, attribute_function, lambda key, value: agent.attributes.append((key, value)))
    return agent


@pytest.fixture
def install_agent(monkeypatch):
    """Return a function that installs a fake ``newrelic.agent`` and points ACE's monitoring at it."""

    def install(attribute_function="add_custom_attribute"):
        agent = fake_agent_module(attribute_function)
        package = types.ModuleType("newrelic")
        package.agent = agent
        monkeypatch.setitem(sys.modules, "newrelic", package)
        monkeypatch.setitem(sys.modules, "newrelic.agent", agent)
        monkeypatch.setattr(monitoring, "newrelic_agent", agent)
        return agent

    return install


@pytest.fixture
def agent(install_agent):
    return install_agent()


@pytest.fixture
def msg():
    return Message(
        app_label="testapp",
        name="welcome",
        recipient=Recipient(username="ada"),
        send_uuid=SEND_UUID,
        language="es",
        uuid=MESSAGE_UUID,
    )


def test_report_adds_custom_attribute(agent):
    monitoring.report("edx_ace.email.status", "delivered")

    assert agent.attributes == [("edx_ace.email.status", "delivered")]


def test_report_to_newrelic_adds_custom_attribute(agent):
    monitoring.report_to_newrelic("edx_ace.language", "es")

    assert agent.attributes == [("edx_ace.language", "es")]


def test_report_older_agent_custom_parameter(install_agent):
    agent = install_agent("add_custom_parameter")

    monitoring.report("edx_ace.language", "es")

    assert agent.attributes == [("edx_ace.language", "es")]


def test_report_agent_without_attributes(install_agent, caplog):
    install_agent(None)

    with caplog.at_level(logging.DEBUG, logger="edx_ace.monitoring"):
        monitoring.report("edx_ace.language", "es")

    assert "edx_ace.language" in caplog.records[0].getMessage()


def test_report_without_agent(monkeypatch):
    monkeypatch.setattr(monitoring, "newrelic_agent", None)

    assert monitoring.report("edx_ace.language", "es") is None


def test_import_finds_agent(install_agent, monkeypatch):
    """Importing the monitoring module picks up an installed agent."""
    agent = install_agent()

    try:
        reloaded = importlib.reload(monitoring)
        found = reloaded.newrelic_agent
    finally:
        monkeypatch.undo()
        importlib.reload(monitoring)

    assert found is agent


def test_import_without_agent(monkeypatch):
    # A None entry in sys.modules makes `import newrelic.agent` raise ImportError.
    monkeypatch.setitem(sys.modules, "newrelic", None)

    try:
        found = importlib.reload(monitoring).newrelic_agent
    finally:
        monkeypatch.undo()
        importlib.reload(monitoring)

    assert found is None


def test_message_report(agent, msg):
    msg.report("edx_ace.email.status", "denied")

    assert agent.attributes == [("edx_ace.email.status", "denied")]


def test_message_report_basics(agent, msg):
    msg.report_basics()

    assert dict(agent.attributes) == {
        "edx_ace.uuid": str(MESSAGE_UUID),
        "edx_ace.send_uuid": str(SEND_UUID),
        "edx_ace.message_name": "testapp.welcome",
        "edx_ace.language": "es",
    }


def test_message_report_basics_without_batch(agent):
    msg = Message(app_label="testapp", name="welcome", recipient=None)

    msg.report_basics()

    assert dict(agent.attributes)["edx_ace.send_uuid"] is None
    assert dict(agent.attributes)["edx_ace.language"] is None


def test_message_report_basics_without_agent(monkeypatch, msg):
    monkeypatch.setattr(monitoring, "newrelic_agent", None)

    assert msg.report_basics() is None
