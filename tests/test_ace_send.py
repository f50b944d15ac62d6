"""The ace_send command: a real send through the example app's templates, dry runs, and argument errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from edx_ace.channel import ChannelType
from edx_ace.policy import Policy, PolicyResult
from edx_ace.test_utils import patch_policies

REPO_DIR = Path(__file__).resolve().parent.parent
EXAMPLE_FIXTURE = REPO_DIR / "example" / "templates" / "example" / "edx_ace" / "welcomemessage" / "preview.json"


def example_context() -> str:
    """Return the context of the example app's preview fixture as a JSON string."""
    return json.dumps(json.loads(EXAMPLE_FIXTURE.read_text())["context"])


def run_send(*args: str) -> str:
    """Run ``ace_send`` with ``args`` and return its stdout."""
    stdout = io.StringIO()
    call_command("ace_send", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def send_args(*extra: str) -> list[str]:
    return ["example", "welcomemessage", "--username", "ada", "--email", "ada@example.com", *extra]


class DenyEmail(Policy):
    def check(self, message):
        return PolicyResult(deny={ChannelType.EMAIL})


def test_send_writes_the_email(email_dir):
    stdout = run_send(*send_args("--context", example_context(), "--language", "es"))

    [written] = list(email_dir.iterdir())
    page = written.read_text()
    assert "¡Te damos la bienvenida a Example University, Ada!" in page
    assert "Hola, Ada:" in page
    assert f"  email (file_email): delivered -> {written}" in stdout
    assert "  push: skipped: no enabled push channel" in stdout


def test_send_reads_context_file(email_dir, tmp_path):
    context_file = tmp_path / "context.json"
    context_file.write_text(example_context())

    run_send(*send_args("--context", f"@{context_file}"))

    [written] = list(email_dir.iterdir())
    assert "Introduction to Linear Algebra" in written.read_text()


def test_send_to_smtp_server(smtp_settings, smtp_server):
    stdout = run_send(*send_args("--context", example_context(), "--channel", "email"))

    [received] = smtp_server.messages
    assert received["Subject"] == "Welcome to Example University, Ada!"
    assert "  email (django_email): delivered" in stdout


def test_nothing_delivered_exits_nonzero(email_dir):
    with pytest.raises(CommandError) as raised:
        run_send("example", "welcomemessage", "--username", "ada", "--context", example_context())

    assert "nothing was delivered for example.welcomemessage:" in str(raised.value)
    assert not email_dir.exists()


def test_nothing_delivered_prints_reason(email_dir):
    stdout = io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "ace_send",
            "example",
            "welcomemessage",
            "--username",
            "ada",
            "--context",
            example_context(),
            stdout=stdout,
        )

    assert "  email (file_email): invalid: the recipient has no email_address" in stdout.getvalue()


def test_channel_limit_skips_email(email_dir):
    with pytest.raises(CommandError) as raised:
        run_send(*send_args("--context", example_context(), "--channel", "push"))

    assert "nothing was delivered" in str(raised.value)
    assert not email_dir.exists()


def test_dry_run_prints_without_delivering(email_dir):
    stdout = run_send(*send_args("--context", example_context(), "--dry-run"))

    assert "(dry run: nothing is delivered)" in stdout
    assert "  email (file_email): rendered, not delivered" in stdout
    assert "    --- subject ---\nWelcome to Example University, Ada!\n" in stdout
    assert "Hello Ada," in stdout
    assert not email_dir.exists()


def test_dry_run_shows_policy_denial(email_dir, cleanups):
    patch_policies(cleanups, [DenyEmail()])
    stdout = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("ace_send", *send_args("--dry-run"), stdout=stdout)

    assert "  email: denied: by DenyEmail" in stdout.getvalue()
    assert "nothing was rendered" in str(raised.value)


def test_dry_run_reports_render_failure():
    stdout = io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "ace_send",
            "example",
            "nosuchmessage",
            *("--username", "ada", "--email", "ada@example.com", "--dry-run"),
            stdout=stdout,
        )

    assert "  email (file_email): failed: rendering failed: TemplateDoesNotExist" in stdout.getvalue()


def test_dry_run_checks_address(email_dir):
    stdout = io.StringIO()

    with pytest.raises(CommandError, match="nothing was rendered"):
        call_command("ace_send", "example", "welcomemessage", "--username", "ada", "--dry-run", stdout=stdout)

    assert "  email (file_email): invalid: the recipient has no email_address" in stdout.getvalue()
    assert not email_dir.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (send_args("--context", "{oops"), "--context is not valid JSON"),
        (send_args("--context", "[1]"), "--context must be a JSON object of template variables"),
        (send_args("--context", "@/no/such/file.json"), "cannot read the --context file '/no/such/file.json'"),
        (
            send_args("--context", '{"when": {"__ace__": "date", "value": "later"}}'),
            "--context is invalid: context['when']",
        ),
        (send_args("--language", "xx"), "--language 'xx' is not in settings.LANGUAGES"),
        (
            ["example", "welcomemessage", "--username", "ada", "--email", "not-an-address"],
            "--email 'not-an-address' is not a valid email address",
        ),
        (["example", "..", "--username", "ada"], "Message.name '..' is invalid"),
        (["", "welcomemessage", "--username", "ada"], "Message.app_label '' is invalid"),
    ],
)
def test_bad_argument_named(args, expected):
    with pytest.raises(CommandError) as raised:
        run_send(*args)

    assert expected in str(raised.value)


def test_unknown_channel_named():
    with pytest.raises(CommandError) as raised:
        run_send(*send_args("--channel", "sms"))

    assert "--channel 'sms' is neither a channel type (email, push) nor an enabled channel (file_email)" in str(
        raised.value
    )


def test_recipient_needs_an_identity():
    with pytest.raises(CommandError) as raised:
        run_send("example", "welcomemessage", "--email", "ada@example.com")

    assert "the recipient needs --username or --lms-user-id" in str(raised.value)


def test_send_by_lms_user_id(email_dir):
    stdout = run_send(
        "example", "welcomemessage", "--lms-user-id", "42", "--email", "ada@example.com", "--context", example_context()
    )

    assert "  email (file_email): delivered" in stdout


def test_channel_limit_by_name(email_dir):
    stdout = run_send(*send_args("--context", example_context(), "--channel", "file_email"))

    assert "  email (file_email): delivered" in stdout
    assert "  push: skipped" in stdout


@pytest.fixture
def two_email_channels(settings, email_dir):
    """Enable file_email and django_email, with file_email as the default email channel."""
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    settings.ACE_CHANNEL_DEFAULT_EMAIL = "file_email"
    return email_dir


def test_name_limit_skips_routed_channel(two_email_channels):
    stdout = io.StringIO()

    with pytest.raises(CommandError):
        call_command("ace_send", *send_args("--context", example_context(), "--channel", "django_email"), stdout=stdout)

    assert "  email (file_email): skipped" in stdout.getvalue()
    assert not two_email_channels.exists()


def test_dry_run_name_limit_skips_routed_channel(two_email_channels):
    stdout = io.StringIO()

    with pytest.raises(CommandError):
        call_command("ace_send", *send_args("--channel", "django_email", "--dry-run"), stdout=stdout)

    assert "  email (file_email): skipped: not in --channel" in stdout.getvalue()


def test_dry_run_name_limit_uses_routed_channel(two_email_channels):
    stdout = run_send(*send_args("--context", example_context(), "--channel", "file_email", "--dry-run"))

    assert "  email (file_email): rendered, not delivered" in stdout
    assert "  push: skipped: not in --channel" in stdout


def test_dry_run_channel_limit(email_dir):
    stdout = io.StringIO()

    with pytest.raises(CommandError):
        call_command("ace_send", *send_args("--channel", "push", "--dry-run"), stdout=stdout)

    assert "  email: skipped: not in --channel" in stdout.getvalue()
    assert "  push: skipped: no enabled push channel" in stdout.getvalue()


def test_dry_run_two_email_channels(settings):
    settings.ACE_ENABLED_CHANNELS = ["file_email", "django_email"]
    stdout = io.StringIO()

    with pytest.raises(CommandError):
        call_command("ace_send", *send_args("--dry-run"), stdout=stdout)

    assert "  email: skipped: ACE_ENABLED_CHANNELS enables two email channels" in stdout.getvalue()


class FailingPolicy(Policy):
    def check(self, message):
        raise RuntimeError("opt-out service unavailable")


def test_dry_run_policy_error(cleanups):
    patch_policies(cleanups, [FailingPolicy()])

    with pytest.raises(CommandError) as raised:
        run_send(*send_args("--dry-run"))

    assert "a policy raised RuntimeError: opt-out service unavailable" in str(raised.value)
