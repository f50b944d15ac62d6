"""
One benchmark process: it sets up Django with ``bench_settings`` and runs one path.

It runs from the ``bench`` folder as a script, never as ``python -m``, so the folder on
``sys.path`` contains no ``edx_ace`` and the worker imports whichever edx-ace its Python
has installed: this project in ``.venv``, upstream edx-ace in ``bench/.upstream-venv``.

Commands (see ``python worker.py --help``):

- ``serve PATH``: read ``run START COUNT`` lines from stdin. For each, send messages
  ``START`` to ``START + COUNT - 1`` along ``PATH``, then print one JSON line with the
  seconds taken (wall clock, and the CPU time of this process and of the render processes
  it started and waited for) and the number delivered.
- ``first-send``: time Django's setup and the first ``ace.send()`` of a fresh process.
- ``rss COUNT``: send ``COUNT`` generated messages and print the peak RSS.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402  (the clock above starts before any import)
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

PATHS = ("ace-send", "send-many", "render-only", "transport-only")


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
    import django

    django.setup()


def factory():
    from workload import MessageFactory

    from edx_ace.message import Message
    from edx_ace.recipient import Recipient

    return MessageFactory(Message, Recipient)


def outbox_count(clear: bool = True) -> int | None:
    """Return how many emails the locmem backend holds, and empty it; ``None`` for other backends."""
    from django.conf import settings
    from django.core import mail

    if settings.EMAIL_BACKEND != "django.core.mail.backends.locmem.EmailBackend":
        return None
    count = len(getattr(mail, "outbox", []))
    if clear and hasattr(mail, "outbox"):
        mail.outbox.clear()
    return count


class AceSend:
    """An ``ace.send()`` loop: what a caller does without ``send_many``."""

    def __init__(self, messages):
        self.messages = messages

    def prepare(self, start, count):
        return self.messages.messages(start, count)

    def run(self, batch):
        from edx_ace import ace

        for message in batch:
            ace.send(message)


class SendMany(AceSend):
    """This project's ``ace.send_many()``."""

    def run(self, batch):
        from edx_ace import ace

        results = ace.send_many(batch)
        failed = [result for result in results if not result.delivered]
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(batch)} messages failed, first: {failed[0]!r}")


TEMPLATES = ("from_name.txt", "subject.txt", "body.txt", "body.html", "head.html")


class RenderOnly(AceSend):
    """Django alone: the five templates of each message rendered in its language, no ACE."""

    def run(self, batch):
        from django.template.loader import get_template
        from django.utils import translation

        for message in batch:
            context = {"message": message, **message.context}
            with translation.override(message.language):
                for filename in TEMPLATES:
                    get_template(f"bench_app/edx_ace/digest/email/{filename}").render(context)


class TransportOnly(AceSend):
    """Django alone: emails rendered and built beforehand, sent over one connection."""

    def prepare(self, start, count):
        from django.core.mail import EmailMultiAlternatives
        from django.template.loader import get_template
        from django.utils import translation

        emails = []
        for message in self.messages.messages(start, count):
            context = {"message": message, **message.context}
            with translation.override(message.language):
                parts = {
                    name: get_template(f"bench_app/edx_ace/digest/email/{name}").render(context) for name in TEMPLATES
                }
            email = EmailMultiAlternatives(
                subject=" ".join(parts["subject.txt"].split()),
                body=parts["body.txt"],
                from_email=f"{parts['from_name.txt'].strip()} <courses@example.com>",
                to=[message.recipient.email_address],
            )
            html = f"<html><head>{parts['head.html']}</head><body>{parts['body.html']}</body></html>"
            email.attach_alternative(html, "text/html")
            emails.append(email)
        return emails

    def run(self, batch):
        from django.core.mail import get_connection

        with get_connection() as connection:
            sent = connection.send_messages(batch)
        if sent != len(batch):
            raise RuntimeError(f"the backend accepted {sent} of {len(batch)} emails")


RUNNERS = {"ace-send": AceSend, "send-many": SendMany, "render-only": RenderOnly, "transport-only": TransportOnly}


def cpu_time() -> float:
    """Return the CPU seconds of this process and of its children that ended and were waited for."""
    # getrusage counts in microseconds; os.times() counts in clock ticks of 10 ms.
    total = 0.0
    for processes in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(processes)
        total += usage.ru_utime + usage.ru_stime
    return total


def serve(path: str) -> None:
    setup_django()
    runner = RUNNERS[path](factory())
    print(json.dumps({"ready": True}), flush=True)

    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        start, count = int(words[1]), int(words[2])
        batch = runner.prepare(start, count)
        began, cpu_began = time.perf_counter(), cpu_time()
        runner.run(batch)
        seconds, cpu_seconds = time.perf_counter() - began, cpu_time() - cpu_began
        reply = {"seconds": seconds, "cpu_seconds": cpu_seconds, "count": count, "outbox": outbox_count()}
        print(json.dumps(reply), flush=True)


def first_send() -> None:
    setup_django()
    set_up = time.perf_counter()
    message = factory().message(0)

    from edx_ace import ace

    began = time.perf_counter()
    ace.send(message)
    ended = time.perf_counter()
    plugins = sorted(
        name
        for name in sys.modules
        if name.startswith(("edx_ace.channel.", "push_notifications", "firebase_admin", "sailthru"))
    )
    print(
        json.dumps(
            {
                "setup_seconds": set_up - STARTED,
                "first_send_seconds": ended - began,
                "total_seconds": ended - STARTED,
                "outbox": outbox_count(),
                "channel_modules": plugins,
            }
        ),
        flush=True,
    )


def peak_rss(count: int) -> None:
    setup_django()
    from edx_ace import ace

    messages = factory().stream(count)
    began = time.perf_counter()
    if hasattr(ace, "send_many"):
        delivered = sum(1 for result in ace.send_many(messages) if result.delivered)
    else:
        delivered = sum(1 for message in messages if ace.send(message) is not False)
    seconds = time.perf_counter() - began
    # ru_maxrss is in kilobytes on Linux.
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"count": count, "delivered": delivered, "seconds": seconds, "maxrss_kb": maxrss_kb}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run batches along one path, read from stdin")
    serve_parser.add_argument("path", choices=PATHS)
    commands.add_parser("first-send", help="time the first ace.send() of this process")
    rss_parser = commands.add_parser("rss", help="send COUNT messages and print the peak RSS")
    rss_parser.add_argument("count", type=int)
    arguments = parser.parse_args()

    if arguments.command == "serve":
        serve(arguments.path)
    elif arguments.command == "first-send":
        first_send()
    else:
        peak_rss(arguments.count)


if __name__ == "__main__":
    main()
