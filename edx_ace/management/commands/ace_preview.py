"""
``manage.py ace_preview``: render every message type into a static HTML gallery.

Examples::

    manage.py ace_preview                                # all message types, LANGUAGE_CODE
    manage.py ace_preview --language en --language es    # two languages
    manage.py ace_preview --message example.welcomemessage --serve 8000
"""

from __future__ import annotations

import functools
import os
import tempfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edx_ace.management.languages import check_languages
from edx_ace.preview.discovery import FixtureError, MessageTemplates, find_message_types, load_fixture
from edx_ace.preview.gallery import write_gallery
from edx_ace.preview.rendering import Preview, render_preview

#: The port ``--serve`` listens on when none is given.
DEFAULT_PORT = 8000


def default_output_dir() -> str:
    """Return the gallery folder used without ``--output``: ``edx_ace_preview`` in the temp folder."""
    return os.path.join(tempfile.gettempdir(), "edx_ace_preview")


class Command(BaseCommand):
    help = (
        "Render each message type found in the template folders, for each channel type it has "
        "templates for and each language, into a static HTML gallery. Sample context comes from "
        "<app_label>/edx_ace/<name>/preview.json next to the templates; a missing variable shows "
        "as [[missing: name]]."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            action="append",
            dest="languages",
            metavar="CODE",
            help="Render in this language (repeatable). Default: settings.LANGUAGE_CODE.",
        )
        parser.add_argument(
            "--message",
            action="append",
            dest="messages",
            metavar="APP_LABEL[.NAME]",
            help="Preview only this app's message types, or one message type (repeatable). Default: all.",
        )
        parser.add_argument(
            "--output",
            metavar="DIR",
            help=f"Folder to write the gallery to. Default: {default_output_dir()}",
        )
        parser.add_argument(
            "--serve",
            nargs="?",
            const=DEFAULT_PORT,
            type=int,
            metavar="PORT",
            help=(
                f"After writing, serve the gallery on http://127.0.0.1:PORT/ until interrupted "
                f"(default port {DEFAULT_PORT}; 0 picks a free port)."
            ),
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Exit with an error when a page failed to render or has a missing variable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        languages = check_languages(options["languages"] or [settings.LANGUAGE_CODE])
        port = options["serve"]
        if port is not None and not 0 <= port <= 65535:
            raise CommandError(f"--serve port {port} is out of range; use 0 to 65535 (0 picks a free port)")

        found = select_message_types(find_message_types(), options["messages"] or [])
        previews = self.render_all(found, languages)

        output_dir = Path(options["output"] or default_output_dir()).resolve()
        try:
            index_path = write_gallery(previews, output_dir)
        except OSError as error:
            raise CommandError(
                f"cannot write the gallery to --output {str(output_dir)!r}: {error.strerror or error}"
            ) from None

        self.report(previews, index_path)
        failed = [preview for preview in previews if preview.error or preview.missing]
        if options["strict"] and failed:
            raise CommandError(
                f"{len(failed)} of {len(previews)} pages failed to render or have missing variables (--strict)"
            )
        if port is not None:
            self.serve(output_dir, port)

    def render_all(self, found: list[MessageTemplates], languages: list[str]) -> list[Preview]:
        """Render every message type for each of its channel types and each language."""
        previews: list[Preview] = []
        for templates in found:
            try:
                fixture = load_fixture(templates.fixture_path())
            except FixtureError as error:
                previews.extend(
                    Preview(templates, channel_type, language, error=str(error))
                    for channel_type in templates.channel_types
                    for language in languages
                )
                continue
            for channel_type in templates.channel_types:
                for language in languages:
                    previews.append(render_preview(templates, channel_type, language, fixture))
        return previews

    def report(self, previews: list[Preview], index_path: Path) -> None:
        """Print each page's problems to stderr, then the page count and the index path to stdout."""
        for preview in previews:
            if preview.error:
                self.stderr.write(f"{preview.page_name}: rendering failed: {' '.join(preview.error.split())}")
            elif preview.missing:
                self.stderr.write(f"{preview.page_name}: missing variables: {', '.join(preview.missing)}")
        self.stdout.write(f"Wrote {len(previews)} preview page{'' if len(previews) == 1 else 's'}. Index:")
        self.stdout.write(str(index_path))

    def serve(self, output_dir: Path, port: int) -> None:
        """Serve ``output_dir`` on 127.0.0.1 until interrupted."""
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(output_dir))
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as error:
            raise CommandError(
                f"--serve cannot listen on 127.0.0.1:{port}: {error.strerror or error}; "
                "pick another port, or 0 for a free one"
            ) from None

        with server:
            self.stdout.write(f"Serving the gallery at http://127.0.0.1:{server.server_port}/index.html")
            self.stdout.write("Press Ctrl+C to stop.")
            self.stdout.flush()
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                self.stdout.write("Stopped.")


def select_message_types(found: list[MessageTemplates], selectors: list[str]) -> list[MessageTemplates]:
    """
    Return the message types that match a selector (an app label or ``app_label.name``), or all without selectors.

    Raises:
        CommandError: nothing was found, or a selector matches no message type.
    """
    if not found:
        raise CommandError(
            "no message templates found; put them in <app>/templates/<app_label>/edx_ace/<name>/<channel_type>/ "
            "of an installed app, or in a folder listed in TEMPLATES DIRS"
        )
    if not selectors:
        return found

    selected: list[MessageTemplates] = []
    for selector in selectors:
        matches = [item for item in found if selector in (item.app_label, item.unique_name)]
        if not matches:
            known = ", ".join(item.unique_name for item in found)
            raise CommandError(f"--message {selector!r} matches no message type; found: {known}")
        selected.extend(item for item in matches if item not in selected)
    return selected
