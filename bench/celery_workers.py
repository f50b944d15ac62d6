"""
Messages per second through Celery workers of 1 and 2 processes.

Run from the repository root, after ``make test`` built the virtualenv::

    .venv/bin/python bench/celery_workers.py [--messages 1000] [--repeats 3] [--smtp-delay 0.02]

The script starts its own ``redis-server`` (Debian package ``redis-server``) and an
aiosmtpd SMTP server on 127.0.0.1. For each process count it enqueues the messages
first, starts ``celery worker --concurrency N`` with the test workers' settings
(``tests/celery/worker_settings.py``, channel ``django_email``), and times the emails
from the first arrival to the last. The SMTP server, Redis and the workers share this
machine's CPUs, so the numbers measure the whole path on one machine, not a worker alone.
``--smtp-delay`` makes the SMTP server wait before it accepts each email, like a remote
provider's latency, so that the workers wait instead of competing for the CPUs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "test_settings")

import django  # noqa: E402 (the repository root must be on sys.path first)

django.setup()

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import override_settings  # noqa: E402

from edx_ace import ace, tasks  # noqa: E402
from edx_ace.message import Message  # noqa: E402
from edx_ace.recipient import Recipient  # noqa: E402
from tests.celery import conftest as fixtures  # noqa: E402
from tests.smtp_server import SmtpServer  # noqa: E402

TIMEOUT = 600


def make_batch(count: int) -> list[Message]:
    context = {"name": "Ada", "course": "Tom & Jerry 101", "greeting": "Hi", "sender": "Course Team"}
    return [
        Message(
            app_label="testapp",
            name="welcome",
            recipient=Recipient(username=f"learner{index}", email_address=f"learner{index}@example.com"),
            context=context,
        )
        for index in range(count)
    ]


def received(smtp: SmtpServer) -> int:
    with smtp.handler.lock:
        return len(smtp.handler.envelopes)


def clear(smtp: SmtpServer) -> None:
    with smtp.handler.lock:
        smtp.handler.envelopes.clear()
        smtp.handler.messages.clear()


def run_in_process(count: int, smtp: SmtpServer) -> float:
    """Send ``count`` messages with ``ace.send_message`` in this process, without Celery, and return messages per second."""
    with override_settings(
        ACE_ENABLED_CHANNELS=["django_email"],
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp.host,
        EMAIL_PORT=smtp.port,
    ):
        clear(smtp)
        batch = make_batch(count)
        start = time.perf_counter()
        for msg in batch:
            ace.send_message(msg, wait_for_retries=False)
        elapsed = time.perf_counter() - start
    if received(smtp) != count:
        raise SystemExit(f"the SMTP server received {received(smtp)} of {count} messages sent in this process")
    return count / elapsed


def run_once(processes: int, count: int, redis_server, smtp: SmtpServer, folder: Path) -> float:
    """Enqueue ``count`` messages, run a worker of ``processes`` processes, and return messages per second."""
    redis_server.client().flushall()
    clear(smtp)

    app = Celery("edx_ace_bench", broker=f"{redis_server.url}/0", set_as_current=False)
    for msg in make_batch(count):
        tasks.enqueue(msg, app=app)
    app.close()

    os.environ["ACE_TEST_CHANNEL"] = "django_email"
    worker = fixtures.Worker(redis_server, smtp.port, folder / f"worker-{processes}.log", "bench", processes)
    try:
        deadline = time.monotonic() + TIMEOUT
        first = None
        while received(smtp) < count:
            if first is None and received(smtp) > 0:
                first = time.perf_counter()
            if time.monotonic() > deadline or worker.process.poll() is not None:
                raise SystemExit(f"the worker delivered {received(smtp)} of {count} messages; see {worker.log_path}")
            time.sleep(0.01)
        last = time.perf_counter()
    finally:
        worker.stop()

    return (count - 1) / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per run (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per process count; the median is shown")
    parser.add_argument(
        "--smtp-delay", type=float, default=0.0, help="seconds the SMTP server waits before accepting each email"
    )
    arguments = parser.parse_args()

    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed; install it with apt-get install redis-server")

    settings.ACE_CELERY_QUEUE = fixtures.QUEUE
    folder = Path(tempfile.mkdtemp(prefix="edx-ace-bench-"))
    redis_server = fixtures.RedisServer(folder).start()
    smtp = SmtpServer().start()
    smtp.handler.data_delay = arguments.smtp_delay
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {arguments.messages} messages per run, "
        f"SMTP delay {arguments.smtp_delay} s"
    )
    results = {}
    try:
        # The same SMTP server runs in this process, so this rate also includes its share of the GIL.
        baseline = statistics.median(run_in_process(arguments.messages, smtp) for _ in range(arguments.repeats))
        print(f"ace.send_message() in this process, no Celery: {baseline:.0f} messages/s")
        for processes in (1, 2):
            rates = [
                run_once(processes, arguments.messages, redis_server, smtp, folder) for _ in range(arguments.repeats)
            ]
            results[processes] = statistics.median(rates)
            runs = ", ".join(f"{rate:.0f}" for rate in rates)
            print(f"{processes} worker process(es): {results[processes]:.0f} messages/s (runs: {runs})")
    finally:
        smtp.stop()
        redis_server.stop()
    print(f"2 processes / 1 process: {results[2] / results[1]:.2f}")


if __name__ == "__main__":
    main()
