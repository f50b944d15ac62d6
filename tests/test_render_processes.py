"""ace.send_many() with render processes, against the SMTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter

import pytest
from django.db import transaction

from edx_ace import ace, render_pool
from edx_ace.channel import ChannelType
from edx_ace.result import DeliveryStatus
from tests.conftest import make_message
from tests.test_send_many import addresses, delivered_to, email_status, messages_to

pytestmark = [
    pytest.mark.skipif(not render_pool.fork_available(), reason="render processes need fork"),
    # Python 3.12 and later warn when a process with threads forks. Here the thread is
    # the test's SMTP server, which the forked workers never touch.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"),
]


class RenderingProcess:
    """A context value that renders as the id of the process rendering it."""

    def __str__(self):
        return f"pid-{os.getpid()}"


class FailsInWorker:
    """A context value whose rendering raises in a render process and works in the test's process."""

    def __init__(self):
        self.parent = os.getpid()

    def __str__(self):
        if os.getpid() != self.parent:
            raise RuntimeError("rendering fails in the worker")
        return "rendered by the parent"


class KillsWorker(FailsInWorker):
    """A context value that ends the render process rendering it, as a crash or an out-of-memory kill would."""

    def __str__(self):
        if os.getpid() != self.parent:
            os._exit(3)
        return "rendered by the parent"


class SlowInWorker(FailsInWorker):
    """A context value that takes half a second to render in a render process."""

    def __str__(self):
        if os.getpid() != self.parent:
            time.sleep(0.5)
        return "Slow 101"


def rendering_pids(smtp_server) -> list[str]:
    """Return, per accepted email in order, the process id its plain-text body names."""
    pids = []
    for email in smtp_server.messages:
        text = next(part for part in email.walk() if part.get_content_type() == "text/plain")
        body = text.get_payload(decode=True).decode()
        pids.append(body.split("Hello ", 1)[1].split(",", 1)[0])
    return pids


def test_workers_render_in_order(smtp_settings, smtp_server):
    recipients = addresses(30)
    messages = messages_to(recipients)
    for message in messages:
        message.context["name"] = RenderingProcess()

    results = ace.send_many(messages, render_processes=2)

    assert [result.log_id for result in results] == [message.log_id for message in messages]
    assert [email_status(result) for result in results] == [DeliveryStatus.DELIVERED] * 30
    assert delivered_to(smtp_server) == recipients
    pids = rendering_pids(smtp_server)
    # The first job always goes to a worker. The calling process may take back later jobs.
    assert pids[0] != f"pid-{os.getpid()}"
    assert 1 <= len(set(pids) - {f"pid-{os.getpid()}"}) <= 2
    assert all(email["Subject"] == "Yes: Hi Tom & Jerry 101" for email in smtp_server.messages)


def test_idle_caller_takes_back_jobs(smtp_settings, smtp_server):
    smtp_settings.ACE_SEND_MANY_CHUNK_SIZE = 40
    recipients = addresses(40)
    messages = messages_to(recipients)
    for message in messages:
        message.context["name"] = RenderingProcess()
    # The worker renders the first message slowly, so the calling process takes back later jobs.
    messages[0].context["course"] = SlowInWorker()

    results = ace.send_many(messages, render_processes=1)

    assert all(result.delivered for result in results)
    assert delivered_to(smtp_server) == recipients
    pids = rendering_pids(smtp_server)
    assert pids[0] != f"pid-{os.getpid()}"
    assert pids[-1] == f"pid-{os.getpid()}"


def test_same_outcomes_as_in_process(smtp_settings, smtp_server):
    smtp_server.handler.rcpt_replies["refused@example.com"] = "550 5.1.1 No such user"

    def batch():
        return [
            make_message(email_address="first@example.com"),
            make_message(email_address="refused@example.com"),
            "not a message",
            make_message(email_address=None),
            make_message(name="missing"),
            make_message(email_address="last@example.com"),
        ]

    in_process = ace.send_many(batch(), render_processes=0)
    with_workers = ace.send_many(batch(), render_processes=1)

    def summary(results):
        return [
            [(outcome.channel_type, outcome.status, outcome.code, outcome.reason) for outcome in result.outcomes]
            for result in results
        ]

    assert summary(with_workers) == summary(in_process)
    assert [email_status(result) for result in with_workers] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
        DeliveryStatus.FAILED,
        DeliveryStatus.INVALID,
        DeliveryStatus.FAILED,
        DeliveryStatus.DELIVERED,
    ]
    assert delivered_to(smtp_server) == ["first@example.com", "last@example.com"] * 2


def test_worker_error_rerenders_here(smtp_settings, smtp_server):
    messages = messages_to(addresses(3))
    messages[1].context["name"] = FailsInWorker()

    results = ace.send_many(messages, render_processes=1)

    assert all(result.delivered for result in results)
    assert rendering_pids(smtp_server)[1] == "rendered by the parent"


def test_unpicklable_context_renders_here(smtp_settings, smtp_server, caplog):
    messages = messages_to(addresses(4))
    for message in messages:
        message.context["name"] = RenderingProcess()
    # The first job always goes to a worker, so the lock has to be pickled.
    messages[0].context["lock"] = threading.Lock()

    with caplog.at_level(logging.WARNING, logger="edx_ace.render_pool"):
        results = ace.send_many(messages, render_processes=1)

    assert "the context value 'lock' (lock) of message" in caplog.text
    assert "Keep only values that pickle" in caplog.text

    assert all(result.delivered for result in results)
    assert rendering_pids(smtp_server)[0] == f"pid-{os.getpid()}"
    assert len(smtp_server.messages) == 4


def test_dead_worker_rest_renders_here(smtp_settings, smtp_server, caplog):
    recipients = addresses(300)
    messages = messages_to(recipients)
    # The first job always goes to a worker, so the worker that renders it dies while
    # the calling process takes back queued jobs.
    messages[0].context["name"] = KillsWorker()
    outcome = {}

    def send():
        outcome["results"] = ace.send_many(messages, render_processes=1)

    # A pool that broke badly would block send_many() forever, so it runs in a thread
    # that the test stops waiting for.
    with caplog.at_level(logging.WARNING, logger="edx_ace.render_pool"):
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        sender.join(timeout=120)

    assert not sender.is_alive(), "ace.send_many() did not return after its worker died"
    assert [email_status(result) for result in outcome["results"]] == [DeliveryStatus.DELIVERED] * 300
    counts = Counter(delivered_to(smtp_server))
    assert set(counts) == set(recipients)
    assert set(counts.values()) == {1}
    assert "render processes of ace.send_many() stopped" in caplog.text


def test_sessions_and_exactly_once(smtp_settings, smtp_server):
    smtp_settings.ACE_SEND_MANY_CHUNK_SIZE = 50
    recipients = addresses(200)

    results = ace.send_many((message for message in messages_to(recipients)), render_processes=2)

    assert all(result.delivered for result in results)
    assert smtp_server.handler.sessions == 4
    counts = Counter(delivered_to(smtp_server))
    assert set(counts) == set(recipients)
    assert set(counts.values()) == {1}


def test_setting_turns_workers_on(smtp_settings, smtp_server):
    smtp_settings.ACE_SEND_MANY_RENDER_PROCESSES = 1
    messages = messages_to(addresses(3))
    for message in messages:
        message.context["name"] = RenderingProcess()

    ace.send_many(messages)

    assert rendering_pids(smtp_server)[0] != f"pid-{os.getpid()}"


def test_limit_to_channels_applies(smtp_settings, smtp_server):
    results = ace.send_many(messages_to(addresses(2)), limit_to_channels=[ChannelType.PUSH], render_processes=1)

    assert [email_status(result) for result in results] == [DeliveryStatus.SKIPPED] * 2
    assert smtp_server.handler.sessions == 0


@pytest.mark.django_db
def test_inside_a_transaction_renders_here(smtp_settings, smtp_server, caplog):
    messages = messages_to(addresses(2))
    for message in messages:
        message.context["name"] = RenderingProcess()

    with transaction.atomic(), caplog.at_level(logging.WARNING, logger="edx_ace.render_pool"):
        results = ace.send_many(messages, render_processes=1)

    assert all(result.delivered for result in results)
    assert rendering_pids(smtp_server) == [f"pid-{os.getpid()}"] * 2
    assert "inside a transaction" in caplog.text


def test_without_fork_renders_here(smtp_settings, smtp_server, monkeypatch, caplog):
    monkeypatch.setattr(render_pool, "fork_available", lambda: False)
    messages = messages_to(addresses(2))
    for message in messages:
        message.context["name"] = RenderingProcess()

    with caplog.at_level(logging.WARNING, logger="edx_ace.render_pool"):
        results = ace.send_many(messages, render_processes=1)

    assert all(result.delivered for result in results)
    assert rendering_pids(smtp_server) == [f"pid-{os.getpid()}"] * 2
    assert "cannot fork" in caplog.text


def test_more_processes_than_cpus_warned(smtp_settings, smtp_server, monkeypatch, caplog):
    monkeypatch.setattr(render_pool.os, "cpu_count", lambda: 1)

    with caplog.at_level(logging.WARNING, logger="edx_ace.render_pool"):
        results = ace.send_many(messages_to(addresses(3)), render_processes=2)

    assert all(result.delivered for result in results)
    assert "2 render processes on a machine with 1 CPUs" in caplog.text


@pytest.mark.parametrize("processes", [-1, 1.5, "2", True])
def test_invalid_argument(settings, processes):
    with pytest.raises(ValueError, match=r"render_processes must be an integer >= 0, got"):
        ace.send_many([make_message()], render_processes=processes)


@pytest.mark.parametrize("processes", [-1, "2", 2.5])
def test_invalid_setting(settings, processes):
    settings.ACE_SEND_MANY_RENDER_PROCESSES = processes

    with pytest.raises(ValueError, match="ACE_SEND_MANY_RENDER_PROCESSES must be an integer >= 0"):
        ace.send_many([make_message()])
