"""
``manage.py ace_send``: send one message from the shell and print each channel type's outcome.

Examples::

    manage.py ace_send example welcomemessage --username ada --email ada@example.com \\
        --context '{"platform_name": "Example University", "learner_name": "Ada", "courses": []}'
    manage.py ace_send example welcomemessage --username ada --email ada@example.com \\
        --context @welcome.json --language es --channel email --dry-run
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attr
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from edx_ace import ace, policy, presentation
from edx_ace import channel as channel_module
from edx_ace.channel import Channel, ChannelType
from edx_ace.channel.mail import recipient_address
from edx_ace.errors import InvalidMessageError, UnsupportedChannelError
from edx_ace.management.languages import check_languages
from edx_ace.message import Message
from edx_ace.recipient import Recipient
from edx_ace.result import SendResult
from edx_ace.serialization import decode_value


def read_context(value: str | None) -> dict[str, Any]:
    """
    Return the context given to ``--context``: a JSON object, or ``@path`` of a file that contains one.

    Values that JSON lacks use the tagged form of message serialization, for example
    ``{"__ace__": "datetime", "value": "2027-02-01T09:00:00+00:00"}``.

    Raises:
        CommandError: the file cannot be read, the text is not JSON, or it is not an object.
    """
    if value is None:
        return {}

    source = "--context"
    text = value
    if value.startswith("@"):
        path = Path(value[1:])
        source = f"--context file {str(path)!r}"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise CommandError(f"cannot read the {source}: {reason}") from None

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise CommandError(
            f"{source} must be a JSON object of template variables, such as "
            f'{{"learner_name": "Ada"}}, got a {type(data).__name__}'
        )
    try:
        return decode_value(data, "context")
    except (TypeError, ValueError) as error:
        raise CommandError(f"{source} is invalid: {error}") from None


@attr.s(frozen=True)
class ChannelLimit:
    """The channel types and channel names given to ``--channel``."""

    types: frozenset[ChannelType] = attr.ib()
    names: frozenset[str] = attr.ib()

    def may_use(self, channel_type: ChannelType) -> bool:
        """Return whether some channel of ``channel_type`` may be used, before routing chooses one."""
        if channel_type in self.types:
            return True
        return any(
            channel.channel_type == channel_type and channel.channel_name in self.names
            for channel in channel_module.enabled_channels()
        )

    def allows(self, channel: Channel) -> bool:
        """Return whether the channel that routing chose may be used."""
        return channel.channel_type in self.types or channel.channel_name in self.names


def read_channel_limit(values: list[str] | None) -> ChannelLimit | None:
    """
    Return the ``--channel`` values as a :class:`ChannelLimit`, or ``None`` when none were given.

    Raises:
        CommandError: a value is neither a channel type nor the name of an enabled channel.
    """
    if not values:
        return None

    type_values = {channel_type.value: channel_type for channel_type in ChannelType}
    enabled_names = {channel.channel_name for channel in channel_module.enabled_channels()}
    types = set()
    names = set()
    for value in values:
        if value in type_values:
            types.add(type_values[value])
        elif value in enabled_names:
            names.add(value)
        else:
            raise CommandError(
                f"--channel {value!r} is neither a channel type ({', '.join(type_values)}) nor an enabled "
                f"channel ({', '.join(sorted(enabled_names)) or 'none'}); ACE_ENABLED_CHANNELS enables channels"
            )
    return ChannelLimit(frozenset(types), frozenset(names))


class Command(BaseCommand):
    help = (
        "Send one message to one recipient through the enabled channels and policies, and print the "
        "outcome on each channel type. Exits with status 1 when no channel delivered it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("app_label", help="The app label of the message, the first folder of its templates.")
        parser.add_argument("name", help="The message name, the folder of its templates.")
        parser.add_argument("--username", help="The recipient's username. It or --lms-user-id is required.")
        parser.add_argument("--lms-user-id", type=int, metavar="ID", help="The id of the recipient's LMS account.")
        parser.add_argument("--email", help="The recipient's email address; email channels need it.")
        parser.add_argument(
            "--language", metavar="CODE", help="The language to render in. Default: settings.LANGUAGE_CODE."
        )
        parser.add_argument(
            "--context",
            metavar="JSON|@FILE",
            help="The template variables: a JSON object, or @ followed by the path of a file that contains one.",
        )
        parser.add_argument(
            "--channel",
            action="append",
            dest="channels",
            metavar="TYPE|NAME",
            help=(
                "Use only this channel type (email, push) or this enabled channel (such as django_email); "
                "repeatable. Default: every channel type the policies allow."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Render the message for each channel type and print it, without delivering it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        message = self.build_message(options)
        limit = read_channel_limit(options["channels"])

        if options["dry_run"]:
            rendered_count = self.dry_run(message, limit)
            if not rendered_count:
                raise CommandError(f"nothing was rendered for {message.log_id}; see the channel types above")
            return

        limit_to_channels: list[ChannelType | str] | None = None
        if limit is not None:
            limit_to_channels = [*limit.types, *limit.names]
        result = ace.send(message, limit_to_channels=limit_to_channels)
        self.print_result(result)
        if not result.delivered:
            raise CommandError(f"nothing was delivered for {message.log_id}; see the channel types above")

    def build_message(self, options: dict[str, Any]) -> Message:
        """Return the message the arguments describe, or raise ``CommandError`` naming the bad argument."""
        email = options["email"]
        if email is not None:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"--email {email!r} is not a valid email address") from None

        language = check_languages([options["language"] or settings.LANGUAGE_CODE])[0]
        context = read_context(options["context"])

        if options["username"] is None and options["lms_user_id"] is None:
            raise CommandError("the recipient needs --username or --lms-user-id")

        try:
            recipient = Recipient(username=options["username"], email_address=email, lms_user_id=options["lms_user_id"])
            return Message(
                app_label=options["app_label"],
                name=options["name"],
                recipient=recipient,
                language=language,
                context=context,
            )
        except (TypeError, ValueError) as error:
            # The validators name the field, which has the name of the argument.
            raise CommandError(f"invalid argument: {error}") from None

    def print_result(self, result: SendResult) -> None:
        """Print one line per channel type: its status, the channel used, and the receipt or reason."""
        self.stdout.write(f"Message {result.log_id}")
        for outcome in result.outcomes:
            line = f"  {outcome.channel_type.value}"
            if outcome.channel_name:
                line += f" ({outcome.channel_name})"
            line += f": {outcome.status.value}"
            if outcome.delivered and outcome.receipt is not None:
                line += f" -> {outcome.receipt}"
            elif not outcome.delivered and outcome.reason:
                line += f": {outcome.reason}"
            self.stdout.write(line)

    def dry_run(self, message: Message, limit: ChannelLimit | None) -> int:
        """Render ``message`` for each channel type a real send would use, print it, and return how many rendered."""
        self.stdout.write(f"Message {message.log_id} (dry run: nothing is delivered)")
        try:
            denied = policy.denials(message)
        except Exception as error:
            raise CommandError(f"a policy raised {type(error).__name__}: {error}") from error

        rendered_count = 0
        for channel_type in ChannelType:
            prefix = f"  {channel_type.value}:"
            if channel_type in denied:
                self.stdout.write(f"{prefix} denied: by {', '.join(denied[channel_type])}")
                continue
            if limit is not None and not limit.may_use(channel_type):
                self.stdout.write(f"{prefix} skipped: not in --channel")
                continue
            try:
                channel = channel_module.get_channel_for_message(channel_type, message)
            except UnsupportedChannelError as error:
                self.stdout.write(f"{prefix} skipped: {error.message}")
                continue
            except ValueError as error:
                self.stdout.write(f"{prefix} skipped: {error}")
                continue
            if limit is not None and not limit.allows(channel):
                self.stdout.write(f"  {channel_type.value} ({channel.channel_name}): skipped: not in --channel")
                continue
            if channel_type is ChannelType.EMAIL:
                # The real send checks the address before anything else, so the dry run does too.
                try:
                    recipient_address(message, channel.channel_name, allow_utf8_local_part=True)
                except InvalidMessageError as error:
                    self.stdout.write(f"  {channel_type.value} ({channel.channel_name}): invalid: {error.message}")
                    continue
            try:
                rendered = presentation.render(channel, message)
            except Exception as error:
                self.stdout.write(
                    f"  {channel_type.value} ({channel.channel_name}): failed: rendering failed: "
                    f"{type(error).__name__}: {error}"
                )
                continue

            rendered_count += 1
            self.stdout.write(f"  {channel_type.value} ({channel.channel_name}): rendered, not delivered")
            self.print_rendered(rendered)
        return rendered_count

    def print_rendered(self, rendered: Any) -> None:
        """Print each attribute of a rendered message under its name."""
        values = attr.asdict(rendered) if attr.has(type(rendered)) else {"rendered": rendered}
        for name, value in values.items():
            self.stdout.write(f"    --- {name} ---")
            self.stdout.write(str(value).rstrip("\n"))
