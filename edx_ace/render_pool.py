"""
Render messages in forked worker processes while the calling process delivers others.

``ace.send_many()`` uses a :class:`RenderPool` when ``ACE_SEND_MANY_RENDER_PROCESSES``
(or its ``render_processes`` argument) is above 0. Rendering takes most of a send's
processor time, so on a machine with a spare core the calling process delivers one chunk
of a batch while the workers render the next. When the workers fall behind, the calling
process renders the last jobs that no worker has started.

The workers are forked from the calling process, so they start with its settings,
plugins and compiled templates. They only render: policies, routing, delivery, signals
and reports stay in the calling process. Whatever a worker cannot hand back (a message or
a rendered result that cannot be pickled, a renderer that raises) is rendered again in
the calling process, so its outcome and its log lines are those of an in-process send. If
a worker dies, the pool is shut down and the rest of the batch renders in the calling
process.

The pool is not started, and the batch renders in the calling process, when the platform
cannot fork or when a database connection of the calling thread is inside a transaction.
Otherwise the thread's database connections are closed before the fork, as Django advises,
so no worker shares a connection with its parent; Django opens a new one when it is next
used.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import pickle
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from django.db import connections as db_connections

from edx_ace import channel as channel_module
from edx_ace import presentation

if TYPE_CHECKING:
    from edx_ace.channel import Channel
    from edx_ace.message import Message

log = logging.getLogger(__name__)

#: Maximum number of messages sent to a worker in one job. A small chunk gets smaller jobs, so every worker gets some.
MAX_MESSAGES_PER_JOB = 16


def fork_available() -> bool:
    """Return whether this platform can fork worker processes (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


class RenderPool:
    """
    Worker processes that render messages for the channels routing chose.

    Use it as a context manager; the workers are stopped when the block ends. When the
    pool cannot start, :attr:`running` is false and :meth:`render` renders nothing, so
    the caller renders every message itself.

    The pool keeps its own queue of jobs and hands a worker at most two at a time, so
    the calling process can take back the jobs that no worker has received. It never
    cancels a future of the executor: Python 3.11's executor fails when a worker dies
    while a cancelled future is still queued, and then never finishes the others.
    """

    def __init__(self, processes: int):
        self.processes = processes
        self.executor: ProcessPoolExecutor | None = None
        self.queue: deque[_Job] = deque()
        self.submitted: list[_Job] = []
        self.warned_about_pickling = False

    @property
    def running(self) -> bool:
        return self.executor is not None

    def __enter__(self) -> RenderPool:
        reason = _reason_not_to_fork()
        if reason:
            log.warning("ace.send_many() renders in the calling process: %s", reason)
            return self

        cpus = os.cpu_count()
        if cpus and self.processes > cpus:
            log.warning(
                "ace.send_many() starts %d render processes on a machine with %d CPUs; processes beyond one per "
                "CPU only add overhead, so use at most %d",
                self.processes,
                cpus,
                cpus,
            )

        # A worker must not use a database connection of its parent, whose server would
        # then see the replies of two processes on one session.
        db_connections.close_all()
        try:
            self.executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_started,
            )
        except Exception as error:
            log.warning(
                "ace.send_many() renders in the calling process: the render processes did not start (%s)", error
            )
        return self

    def __exit__(self, *exc_info) -> None:
        self.queue.clear()
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None

    def render(self, work: list[tuple[Message, list[Channel]]]) -> Rendering:
        """
        Queue each message for rendering for its channels, and return at once.

        ``work`` contains one ``(message, channels)`` pair per message. The returned
        :class:`Rendering` gives each message's rendered content by its index in ``work``.
        """
        rendering = Rendering(self)
        if self.executor is None or not work:
            return rendering

        per_job = max(1, min(MAX_MESSAGES_PER_JOB, math.ceil(len(work) / (4 * self.processes))))
        for first in range(0, len(work), per_job):
            part = work[first : first + per_job]
            items = [(message, tuple(channel.channel_name for channel in channels)) for message, channels in part]
            job = _Job(rendering, first, items)
            rendering.jobs.append(job)
            self.queue.append(job)
        self.submit_jobs()
        return rendering

    def submit_jobs(self) -> None:
        """Submit queued jobs to the executor until the workers have two unfinished jobs each."""
        self.submitted = [job for job in self.submitted if job.future is not None and not job.future.done()]
        while self.executor is not None and self.queue and len(self.submitted) < 2 * self.processes:
            job = self.queue.popleft()
            try:
                job.future = self.executor.submit(_render_job, job.items)
            except (BrokenProcessPool, RuntimeError) as error:
                # The job stays unsubmitted, so the calling process renders it.
                self.stop(error)
                return
            self.submitted.append(job)

    def take_back_last_job(self) -> bool:
        """Render the last queued job in the calling process; return False when the queue is empty."""
        if not self.queue:
            return False
        job = self.queue.pop()
        job.store(_render_job(job.items))
        return True

    def report_failed_job(self, job: _Job, error: Exception) -> None:
        """Log that ``job`` could not be passed to or from a worker, naming what could not be pickled."""
        cause = _unpicklable_part(job.items)
        if self.warned_about_pickling:
            log.info("Rendering messages %s in the calling process: %s (%r)", ", ".join(job.log_ids), cause, error)
            return

        self.warned_about_pickling = True
        log.warning(
            "Rendering messages %s in the calling process instead of a render process: %s (%r). Keep only "
            "values that pickle (strings, numbers, dates, lists, dicts) in the context to use render processes",
            ", ".join(job.log_ids),
            cause,
            error,
        )

    def stop(self, error: BaseException) -> None:
        """Shut the pool down after it broke; the caller renders whatever is left."""
        if self.executor is None:
            return
        log.warning("The render processes of ace.send_many() stopped (%s); the calling process renders the rest", error)
        executor, self.executor = self.executor, None
        executor.shutdown(wait=False)


class _Job:
    """A slice of a :class:`Rendering`'s messages, rendered by one worker or by the calling process."""

    def __init__(self, rendering: Rendering, first: int, items: list[tuple[Message, tuple[str, ...]]]):
        self.rendering = rendering
        self.first = first
        self.items = items
        self.future: Future | None = None
        self.done_here = False

    @property
    def log_ids(self) -> list[str]:
        return [message.log_id for message, _names in self.items]

    def store(self, results: list[dict[str, Any]]) -> None:
        self.done_here = True
        for offset, rendered in enumerate(results):
            self.rendering.fetched[self.first + offset] = rendered


class Rendering:
    """The jobs that a :class:`RenderPool` runs for one list of messages, and their results in order."""

    def __init__(self, pool: RenderPool):
        self.pool = pool
        self.jobs: list[_Job] = []
        self.next_job = 0
        self.fetched: dict[int, dict[str, Any]] = {}

    def get(self, index: int) -> dict[str, Any]:
        """
        Return the rendered content of message ``index`` by channel name, waiting for it.

        While the job of ``index`` is still rendering, the calling process takes back the
        last queued job and renders it itself, so it does not sit idle while the workers
        fall behind. A channel missing from the returned dict was not rendered, and the
        caller renders it. The messages must be fetched in order.
        """
        while index not in self.fetched and self.next_job < len(self.jobs):
            job = self.jobs[self.next_job]
            self.next_job += 1
            if job.done_here:
                continue
            if job.future is None:
                # No worker received it: the pool stopped, or the workers are behind.
                if job in self.pool.queue:
                    self.pool.queue.remove(job)
                job.store(_render_job(job.items))
                continue

            self.pool.submit_jobs()
            while not job.future.done() and self.pool.take_back_last_job():
                self.pool.submit_jobs()
            job.store(self._result(job))
        self.pool.submit_jobs()
        return self.fetched.pop(index, {})

    def _result(self, job: _Job) -> list[dict[str, Any]]:
        if job.future is None:
            return [{} for _ in job.items]
        try:
            return job.future.result()
        except BrokenProcessPool as error:
            self.pool.stop(error)
        except Exception as error:
            # A message or a rendered result could not be pickled, so the job's messages render here.
            self.pool.report_failed_job(job, error)
        return [{} for _ in job.items]


def _reason_not_to_fork() -> str | None:
    if not fork_available():
        return "this platform cannot fork the render processes"
    for connection in db_connections.all(initialized_only=True):
        if connection.in_atomic_block:
            return (
                f"the database connection {connection.alias!r} is inside a transaction, which a forked process "
                "must not share; call ace.send_many() outside transaction.atomic() to use render processes"
            )
    return None


def _unpicklable_part(items: list[tuple[Message, tuple[str, ...]]]) -> str:
    """Name the first context value of ``items`` that cannot be pickled, by its key and type."""
    for message, _names in items:
        try:
            pickle.dumps(message)
        except Exception:
            for key, value in message.context.items():
                try:
                    pickle.dumps(value)
                except Exception:
                    return f"the context value {key!r} ({type(value).__name__}) of message {message.log_id} cannot be pickled"
            return f"message {message.log_id} cannot be pickled"
    return "a rendered result cannot be pickled"


def _worker_started() -> None:
    # Ctrl-C reaches the whole process group, so the workers ignore it and the parent stops them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _render_job(items: list[tuple[Message, tuple[str, ...]]]) -> list[dict[str, Any]]:
    """Render each message for its channels and leave out what fails, in a worker or in the calling process."""
    channels = {channel.channel_name: channel for channel in channel_module.enabled_channels()}
    results = []
    for message, names in items:
        rendered = {}
        for name in names:
            channel = channels.get(name)
            if channel is None:
                continue
            try:
                rendered[name] = presentation.render(channel, message)
            except Exception:
                # The calling process renders it again, and reports the error as an in-process send does.
                continue
        results.append(rendered)
    return results
