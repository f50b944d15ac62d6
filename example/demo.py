"""
Send the example app's welcome message through the file channel and report each outcome.

Run it as ``python -m example.demo [LANGUAGE]`` (``make demo`` does). LANGUAGE is a code
from ``example.settings.LANGUAGES`` and defaults to ``en``. The exit status is 0 when at
least one channel delivered the message and 1 otherwise.
"""

import os
import sys
from datetime import UTC, datetime


def build_message(language):
    """Personalize a :class:`~example.messages.WelcomeMessage` for one made-up learner."""
    from edx_ace.recipient import Recipient
    from example.messages import WelcomeMessage

    message_type = WelcomeMessage(
        context={
            "platform_name": "Example University",
            "courses": [
                {
                    "name": "Introduction to Linear Algebra",
                    "start": datetime(2027, 2, 1, 9, 0, tzinfo=UTC),
                    "description": (
                        "Vectors, matrices and linear maps, with weekly problem sets and "
                        "a final project on image compression."
                    ),
                    "url": "https://courses.example.com/linear-algebra",
                },
                {
                    "name": "Writing for the Web",
                    "start": datetime(2027, 3, 15, 9, 0, tzinfo=UTC),
                    "description": "Plain language, structure and accessibility for online readers.",
                    "url": "https://courses.example.com/writing-for-the-web",
                },
            ],
        },
    )
    recipient = Recipient(username="ada", email_address="ada@example.com")
    return message_type.personalize(
        recipient=recipient,
        language=language,
        user_context={"learner_name": "Ada"},
    )


def print_outcomes(result):
    """Print one line per channel outcome, with the written file for a delivered file email."""
    from edx_ace.result import DeliveryStatus

    print(f"Message {result.log_id}")
    for outcome in result.outcomes:
        status = DeliveryStatus(outcome.status)
        channel = outcome.channel_name or outcome.channel_type.value
        line = f"  {channel}: {status.value}"

        if status is DeliveryStatus.DELIVERED and outcome.channel_name == "file_email":
            line += f" -> {os.path.abspath(outcome.receipt)}"
        elif outcome.reason:
            line += f" ({outcome.reason})"

        print(line)


def main(argv=None):
    """Send the welcome message and return the process exit status."""
    arguments = sys.argv[1:] if argv is None else argv
    language = arguments[0] if arguments else "en"

    os.environ["DJANGO_SETTINGS_MODULE"] = "example.settings"

    import django
    from django.conf import settings

    django.setup()

    languages = [code for code, _name in settings.LANGUAGES]
    if len(arguments) > 1 or language not in languages:
        print(
            f"usage: python -m example.demo [LANGUAGE], where LANGUAGE is one of {', '.join(languages)}",
            file=sys.stderr,
        )
        return 2

    from edx_ace import ace

    message = build_message(language)
    result = ace.send(message)
    print_outcomes(result)

    if not result.delivered:
        print("Nothing was delivered.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
