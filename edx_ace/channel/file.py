"""
An email channel that writes each email as an HTML file instead of sending it.

It is the default channel for development and for the demo: every email becomes one
complete HTML page in ``ACE_CHANNEL_FILE_EMAIL_DIRECTORY``, with the recipient, the From
name and the subject shown above the HTML body, and the plain-text body below it.
"""

from __future__ import annotations

import html
import logging
import os
from typing import TYPE_CHECKING

from edx_ace import conf
from edx_ace.channel import Channel, ChannelType
from edx_ace.channel.mail import one_line, recipient_address
from edx_ace.errors import FatalChannelDeliveryError

if TYPE_CHECKING:
    from edx_ace.message import Message
    from edx_ace.renderers import RenderedEmail

log = logging.getLogger(__name__)

#: How many numbered names to try when a file for the same message already exists.
MAX_NAME_ATTEMPTS = 1000


class FileEmailChannel(Channel):
    """Writes each email to ``ACE_CHANNEL_FILE_EMAIL_DIRECTORY`` and returns the file's path."""

    channel_type = ChannelType.EMAIL

    def deliver(self, message: Message, rendered_message: RenderedEmail) -> str:
        address = recipient_address(message, self.channel_name)
        directory = os.path.abspath(conf.get("ACE_CHANNEL_FILE_EMAIL_DIRECTORY"))
        page = render_page(message, rendered_message, address)

        try:
            os.makedirs(directory, exist_ok=True)
            path = write_new_file(directory, f"{message.unique_name}-{message.uuid}", page)
        except OSError as error:
            raise FatalChannelDeliveryError(
                f"could not write the email to {directory!r} ({error.strerror or error}); set "
                "ACE_CHANNEL_FILE_EMAIL_DIRECTORY to a writable folder",
                channel=self.channel_name,
                log_id=message.log_id,
            ) from error

        message.get_message_specific_logger(log).info("Wrote the email to %s", path)
        return path


def write_new_file(directory: str, stem: str, content: str) -> str:
    """
    Write ``content`` to a new file ``{stem}.html`` in ``directory`` and return its path.

    The file is created exclusively, so an existing file is never overwritten: a second
    email for the same message gets ``{stem}-1.html``, and so on.
    """
    for attempt in range(MAX_NAME_ATTEMPTS):
        suffix = f"-{attempt}" if attempt else ""
        path = os.path.join(directory, f"{stem}{suffix}.html")
        try:
            with open(path, "x", encoding="utf-8") as output:
                output.write(content)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{MAX_NAME_ATTEMPTS} files named {stem}*.html already exist in {directory}")


def render_page(message: Message, rendered: RenderedEmail, address: str) -> str:
    """Return the HTML page that shows one email."""
    escape = html.escape
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{escape(one_line(rendered.subject))}</title>
{rendered.head_html}
</head>
<body>
<table class="edx-ace-envelope" style="font-family: monospace; border-bottom: 1px solid #999; margin-bottom: 1em">
<tr><th align="left">To</th><td>{escape(address)}</td></tr>
<tr><th align="left">From name</th><td>{escape(one_line(rendered.from_name))}</td></tr>
<tr><th align="left">Subject</th><td>{escape(one_line(rendered.subject))}</td></tr>
<tr><th align="left">Message</th><td>{escape(message.log_id)}</td></tr>
<tr><th align="left">Language</th><td>{escape(message.language or "")}</td></tr>
</table>
{rendered.body_html}
<hr>
<pre class="edx-ace-text-body">{escape(rendered.body)}</pre>
</body>
</html>
"""
