"""
Fixtures of the Celery integration tests: a Redis server and real Celery worker processes.

The tests need the ``redis-server`` program (Debian's ``redis-server`` package, which
``.ci/run`` installs). Without it they are skipped, with that reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.smtp_server import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
PLUGINS = Path(__file__).resolve().parent / "plugins"
QUEUE = "ace_integration"
START_TIMEOUT = 30
STOP_TIMEOUT = 30

REDIS_SERVER = shutil.which("redis-server")


def wait_until(condition, timeout, interval=0.1, description="the condition"):
    """Poll ``condition`` until it returns a true value, and fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {description}")
        time.sleep(interval)


class RedisServer:
    """A ``redis-server`` process on 127.0.0.1 at a free port, without persistence."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        command = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        self.log = open(self.directory / "redis.log", "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        client = self.client()
        wait_until(lambda: self._answers(client), START_TIMEOUT, description=f"redis-server on port {self.port}")
        return self

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=5)

    def _answers(self, client) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited with {self.process.returncode}; see {self.directory / 'redis.log'}")
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        self.log.close()


class Worker:
    """A ``celery worker`` process group for ``tests.celery.worker_app``, logging to a file."""

    def __init__(self, redis_server: RedisServer, smtp_port: int, log_path: Path, name: str, concurrency: int = 2):
        self.log_path = log_path
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.celery.worker_settings",
            "PYTHONPATH": os.pathsep.join([str(REPOSITORY), str(PLUGINS)]),
            "ACE_TEST_REDIS_URL": redis_server.url,
            "ACE_TEST_SMTP_PORT": str(smtp_port),
            "ACE_TEST_QUEUE": QUEUE,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "tests.celery.worker_app",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--prefetch-multiplier",
            "1",
            "--queues",
            QUEUE,
            "--hostname",
            f"{name}@127.0.0.1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        self.log = open(log_path, "ab")  # noqa: SIM115 (closed in stop() and kill())
        # A session of its own makes the worker the leader of a process group, so one
        # signal reaches the main process and its pool processes together.
        self.process = subprocess.Popen(
            command, cwd=REPOSITORY, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self) -> None:
        def ready():
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.output()}")
            return " ready." in self.output()

        wait_until(ready, START_TIMEOUT, interval=0.2, description="the Celery worker to be ready")

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """Kill the main process and its pool processes with SIGKILL, as a machine failure would."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self.log.close()

    def stop(self) -> None:
        """Stop the worker with SIGTERM (a warm shutdown), or SIGKILL when it does not stop in time."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
        # Pool processes that outlived their parent are in the same group.
        self._signal_group(signal.SIGKILL)
        if not self.log.closed:
            self.log.close()

    def _signal_group(self, signum) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)


@pytest.fixture
def redis_server(tmp_path):
    """A Redis server of this test only, stopped after it."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(redis_server, smtp_server, tmp_path):
    """Return a function that starts a Celery worker and waits until it is ready; all are stopped after the test."""
    workers: list[Worker] = []

    def start(name: str, concurrency: int = 2) -> Worker:
        worker = Worker(redis_server, smtp_server.port, tmp_path / f"{name}.log", name, concurrency)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()
