"""Message builders for the hardening tests, on the templates in ``tests/templates/hardening``."""

from __future__ import annotations

from edx_ace.message import Message
from edx_ace.recipient import Recipient


def echo_message(email_address="ada@example.com", context=None, **kwargs) -> Message:
    """
    Return a message whose templates show ``sender``, ``subject`` and ``text`` as they are.

    Its plain-text body starts with ``language={code}``, the language the templates saw.
    """
    values = {"sender": "Course Team", "subject": "Welcome", "text": "Hello"}
    values.update(context or {})
    return Message(
        app_label="hardening",
        name=kwargs.pop("name", "echo"),
        recipient=Recipient(username="ada", email_address=email_address),
        context=values,
        **kwargs,
    )


def log_lines(caplog, message, level):
    """Return the text of the log records at ``level`` that carry ``message``'s log id."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == level and message.log_id in record.getMessage()
    ]
