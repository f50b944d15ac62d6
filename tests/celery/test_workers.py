"""
Real Celery workers against a real Redis server and the SMTP server fixture.

Each test enqueues 200 messages from this process. A few are rate-limited on their first
try by the workers' channel (``tests.celery.channels``), so they go through a retry.
"""

from __future__ import annotations

import collections
import shutil

import pytest
from celery import Celery

from edx_ace import tasks
from tests.celery.conftest import QUEUE, wait_until
from tests.conftest import make_message

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed; install it with apt-get install redis-server, as .ci/run does",
)

MESSAGES = 200
RATE_LIMITED = {index for index in range(MESSAGES) if index % 20 == 7}
DELIVERY_TIMEOUT = 120
REDELIVERY_TIMEOUT = 120


@pytest.fixture
def client_app(redis_server, settings):
    """The Celery app of this process, which only enqueues, on the workers' queue."""
    settings.ACE_CELERY_QUEUE = QUEUE
    app = Celery("edx_ace_integration_client", broker=f"{redis_server.url}/0", set_as_current=False)
    yield app
    app.close()


def enqueue_batch(app) -> dict[str, int]:
    """Enqueue the batch and return the index of each message by its recipient's address."""
    addresses = {}
    for index in range(MESSAGES):
        address = f"learner{index}@example.com"
        msg = make_message(
            email_address=address,
            username=f"learner{index}",
            context={"rate_limit_first_try": index in RATE_LIMITED},
        )
        tasks.enqueue(msg, app=app)
        addresses[address] = index
    return addresses


def arrivals(smtp_server) -> collections.Counter:
    """Count the emails the SMTP server accepted, by recipient address."""
    with smtp_server.handler.lock:
        envelopes = list(smtp_server.handler.envelopes)
    return collections.Counter(recipient for _sender, recipients, _data in envelopes for recipient in recipients)


def broker_is_empty(redis_server) -> bool:
    """Whether no task waits in the queue and none is reserved by a worker (kombu's unacked hash)."""
    client = redis_server.client()
    return client.llen(QUEUE) == 0 and client.hlen("unacked") == 0


def broker_state(redis_server) -> str:
    """Describe the queue and the reserved tasks, for a failure message."""
    client = redis_server.client()
    return (
        f"{client.llen(QUEUE)} task(s) queued, {client.hlen('unacked')} reserved, "
        f"restore lock {'held' if client.exists('unacked_mutex') else 'free'}"
    )


def wait_for_batch(smtp_server, redis_server, timeout) -> collections.Counter:
    def done():
        return sum(arrivals(smtp_server).values()) >= MESSAGES and broker_is_empty(redis_server)

    try:
        wait_until(done, timeout, interval=0.2, description=f"{MESSAGES} emails and an empty queue")
    except pytest.fail.Exception as error:
        count = sum(arrivals(smtp_server).values())
        pytest.fail(f"{error}: {count} emails arrived; {broker_state(redis_server)}")
    return arrivals(smtp_server)


def test_each_message_arrives_once(client_app, start_worker, smtp_server, redis_server):
    """200 messages through one worker of two processes: each arrives once, rate-limited ones after a retry."""
    worker = start_worker("ace-one")
    addresses = enqueue_batch(client_app)

    received = wait_for_batch(smtp_server, redis_server, DELIVERY_TIMEOUT)

    assert set(received) == set(addresses)
    assert [address for address, count in received.items() if count != 1] == []
    assert worker.output().count("email retried in") == len(RATE_LIMITED)
    assert "payload is not a valid message" not in worker.output()


def test_killed_worker_loses_nothing(client_app, start_worker, smtp_server, redis_server):
    """SIGKILL of a worker mid-batch: a new worker finishes the batch, and every message arrives."""
    # Slow each email down, so the batch is still running when the worker is killed.
    smtp_server.handler.data_delay = 0.03
    first = start_worker("ace-killed")
    addresses = enqueue_batch(client_app)
    wait_until(
        lambda: sum(arrivals(smtp_server).values()) >= MESSAGES // 4,
        DELIVERY_TIMEOUT,
        description="a quarter of the batch",
    )

    first.kill()
    arrived_before_kill = sum(arrivals(smtp_server).values())
    reserved_by_killed_worker = redis_server.client().hlen("unacked")
    start_worker("ace-second")
    received = wait_for_batch(smtp_server, redis_server, REDELIVERY_TIMEOUT)

    assert arrived_before_kill < MESSAGES, "the worker finished the batch before it was killed"
    assert reserved_by_killed_worker >= 1, "the killed worker held no task, so no redelivery was tested"
    assert set(received) == set(addresses)
    # Only a task that was inside the crash window (the SMTP server had accepted the email
    # but the delivery record was not written yet) may repeat a send: at most one per
    # process of the killed worker.
    repeated = sum(count - 1 for count in received.values())
    assert repeated <= 2
