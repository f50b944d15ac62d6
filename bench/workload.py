"""
The benchmark's messages: a weekly digest for 2,000 distinct recipients, one in four in
Spanish, each with ten courses, built the same way for both edx-ace implementations.
"""

from __future__ import annotations

import datetime
import random

#: Distinct recipients; message ``i`` goes to recipient ``i % RECIPIENTS``.
RECIPIENTS = 2000

_WORDS = [
    "data",
    "analysis",
    "machine",
    "learning",
    "python",
    "statistics",
    "history",
    "philosophy",
    "design",
    "thinking",
    "ethics",
    "climate",
    "science",
    "leadership",
    "finance",
    "writing",
    "physics",
    "chemistry",
    "music",
    "theory",
    "biology",
    "economics",
    "negotiation",
    "marketing",
    "algorithms",
    "security",
    "cloud",
    "psychology",
]
_ORGANIZATIONS = ["HarvardX", "MITx", "UQx", "DelftX", "BerkeleyX", "IBM", "LinuxFoundationX"]


def _course(rng: random.Random, index: int) -> dict:
    words = [rng.choice(_WORDS) for _ in range(3)]
    start = datetime.date(2026, 1, 5) + datetime.timedelta(days=rng.randrange(0, 330))
    return {
        "name": " ".join(words),
        "url": f"https://courses.example.com/courses/course-v1:{rng.choice(_ORGANIZATIONS)}+{index:04d}+2026/",
        "organization": rng.choice(_ORGANIZATIONS),
        "start": start,
        "weeks": rng.choice([1, 4, 6, 8, 12]),
        "description": " ".join(rng.choice(_WORDS) for _ in range(24)).capitalize() + ".",
        "progress": rng.uniform(0, 100),
        "due": start + datetime.timedelta(days=rng.randrange(7, 60)) if rng.random() < 0.7 else None,
        "tags": [rng.choice(_WORDS) for _ in range(rng.randrange(0, 4))],
    }


def recipient_fields(index: int) -> dict:
    """Return the username, email address and language of recipient ``index``."""
    number = index % RECIPIENTS
    return {
        "username": f"learner{number:05d}",
        "email_address": f"learner{number:05d}@example.com",
        "language": "es" if number % 4 == 0 else "en",
    }


def context(index: int) -> dict:
    """Return the template context of message ``index``; the same index gives the same context."""
    number = index % RECIPIENTS
    rng = random.Random(number)
    fields = recipient_fields(number)
    return {
        "first_name": f"Learner{number}",
        "email": fields["email_address"],
        "platform_name": "Open Courses",
        "platform_url": "https://courses.example.com",
        "unsubscribe_url": f"https://courses.example.com/unsubscribe/{number:08x}",
        "postal_address": "1 Example Street\nCambridge, MA 02139",
        "campaign": "Weekly Digest 2026",
        "week_start": datetime.date(2026, 11, 30),
        "courses": [_course(rng, course) for course in range(10)],
    }


class MessageFactory:
    """
    Builds digest messages with the ``Message`` and ``Recipient`` classes of one edx-ace.

    Upstream's ``Recipient`` has ``lms_user_id`` where this project's has ``username``,
    so the recipient's fields are picked from the class's attrs fields.
    """

    def __init__(self, message_cls, recipient_cls):
        import attr

        self.message_cls = message_cls
        self.recipient_cls = recipient_cls
        self.recipient_fields = set(attr.fields_dict(recipient_cls))
        self.contexts = {}

    def recipient(self, index: int):
        fields = recipient_fields(index)
        values = {"email_address": fields["email_address"]}
        if "username" in self.recipient_fields:
            values["username"] = fields["username"]
        if "lms_user_id" in self.recipient_fields:
            values["lms_user_id"] = index % RECIPIENTS + 1
        return self.recipient_cls(**values)

    def message(self, index: int):
        number = index % RECIPIENTS
        if number not in self.contexts:
            self.contexts[number] = context(number)
        return self.message_cls(
            app_label="bench_app",
            name="digest",
            recipient=self.recipient(number),
            language=recipient_fields(number)["language"],
            context=self.contexts[number],
        )

    def messages(self, start: int, count: int) -> list:
        return [self.message(index) for index in range(start, start + count)]

    def stream(self, count: int):
        """Yield ``count`` messages without keeping them, for the memory measurement."""
        for index in range(count):
            number = index % RECIPIENTS
            yield self.message_cls(
                app_label="bench_app",
                name="digest",
                recipient=self.recipient(number),
                language=recipient_fields(number)["language"],
                context=context(number),
            )
