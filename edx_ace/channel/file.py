"""
An email channel that writes each email as an HTML file instead of sending it.

It is the default channel for development and for the demo: every email becomes one
complete HTML page in ``ACE_CHANNEL_FILE_EMAIL_DIRECTORY``, with the recipient, the From
name and the subject shown above the HTML body, and the plain-text body below it.

The option ``file_output_path`` chooses the file: a path relative to that folder, or an
absolute path inside it. A path that leads outside the folder is rejected, so messages
cannot write files anywhere else.
"""

from __future__ import annotations

import html
import logging
import os
from typing import TYPE_CHECKING

from edx_ace import conf
from edx_ace.channel import Channel, ChannelType
from edx_ace.channel.mail import one_line, recipient_address
from edx_ace.errors import FatalChannelDeliveryError, InvalidMessageError
from edx_ace.language import normalize
from edx_ace.options import get_option

if TYPE_CHECKING:
    from edx_ace.message import Message
    from edx_ace.renderers import RenderedEmail

log = logging.getLogger(__name__)

#: How many numbered names to try when a file for the same message already exists.
MAX_NAME_ATTEMPTS = 1000


class FileEmailChannel(Channel):
    """Writes each email to ``ACE_CHANNEL_FILE_EMAIL_DIRECTORY`` and returns the file's path."""

    channel_type = ChannelType.EMAIL

    @classmethod
    def configuration_problems(cls) -> list[str]:
        directory = conf.get("ACE_CHANNEL_FILE_EMAIL_DIRECTORY")
        if not isinstance(directory, str | os.PathLike) or not os.fspath(directory):
            return [
                f"ACE_CHANNEL_FILE_EMAIL_DIRECTORY is {directory!r:.80}; set it to the path of a folder, "
                "such as '/tmp/edx_ace', or remove it to use the default."
            ]
        return []

    def deliver(self, message: Message, rendered_message: RenderedEmail) -> str:
        address = recipient_address(message, self.channel_name)
        directory = os.path.abspath(conf.get("ACE_CHANNEL_FILE_EMAIL_DIRECTORY"))
        target_directory, stem, extension = self.output_file(message, directory)
        page = render_page(message, rendered_message, address)

        try:
            os.makedirs(target_directory, exist_ok=True)
            path = write_new_file(target_directory, stem, page, extension)
        except OSError as error:
            raise FatalChannelDeliveryError(
                f"could not write the email to {directory!r} ({error.strerror or error}); set "
                "ACE_CHANNEL_FILE_EMAIL_DIRECTORY to a writable folder",
                channel=self.channel_name,
                log_id=message.log_id,
                code="write_failed",
            ) from error

        message.get_message_specific_logger(log).info("Wrote the email to %s", path)
        return path

    def output_file(self, message: Message, directory: str) -> tuple[str, str, str]:
        """
        Return the folder, the name stem and the extension of the file to write for ``message``.

        Without the option ``file_output_path``, the file is ``{app_label}.{name}-{uuid}.html``
        in ``directory``.

        Raises:
            InvalidMessageError: the option contains a relative path with ``..``, or an
                absolute path outside ``directory``.
        """
        requested = get_option(message, "file_output_path", channel=self.channel_name)
        if not requested:
            return directory, f"{message.unique_name}-{message.uuid}", ".html"

        if os.path.isabs(requested):
            path = os.path.normpath(requested)
        else:
            if ".." in requested.replace("\\", "/").split("/"):
                raise InvalidMessageError(
                    f"options['file_output_path'] {requested!r} contains '..'; use a path inside "
                    "ACE_CHANNEL_FILE_EMAIL_DIRECTORY without '..'",
                    channel=self.channel_name,
                    log_id=message.log_id,
                )
            path = os.path.normpath(os.path.join(directory, requested))

        # realpath resolves symbolic links, so a link inside the folder cannot lead outside it.
        real_directory = os.path.realpath(directory)
        real_path = os.path.realpath(path)
        if os.path.commonpath([real_directory, real_path]) != real_directory or real_path == real_directory:
            raise InvalidMessageError(
                f"options['file_output_path'] {requested!r} is outside ACE_CHANNEL_FILE_EMAIL_DIRECTORY "
                f"({directory!r}); use a relative path or a path inside that folder",
                channel=self.channel_name,
                log_id=message.log_id,
            )

        stem, extension = os.path.splitext(os.path.basename(path))
        return os.path.dirname(path), stem, extension or ".html"


def write_new_file(directory: str, stem: str, content: str, extension: str = ".html") -> str:
    """
    Write ``content`` to a new file ``{stem}{extension}`` in ``directory`` and return its path.

    The file is created exclusively, so an existing file is never overwritten: a second
    email for the same message gets ``{stem}-1{extension}``, and so on.
    """
    for attempt in range(MAX_NAME_ATTEMPTS):
        suffix = f"-{attempt}" if attempt else ""
        path = os.path.join(directory, f"{stem}{suffix}{extension}")
        try:
            with open(path, "x", encoding="utf-8") as output:
                output.write(content)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{MAX_NAME_ATTEMPTS} files named {stem}*{extension} already exist in {directory}")


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
<tr><th align="left">Language</th><td>{escape(normalize(message.language) or "")}</td></tr>
</table>
{rendered.body_html}
<hr>
<pre class="edx-ace-text-body">{escape(rendered.body)}</pre>
</body>
</html>
"""
