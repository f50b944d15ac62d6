"""Fixtures shared by the test suite: an SMTP server, a controllable clock, message builders."""

from __future__ import annotations

import datetime

import pytest

from edx_ace import channel, policy, template_cache
from edx_ace.channel import connections
from edx_ace.message import Message
from edx_ace.recipient import Recipient
from tests.smtp_server import SmtpServer


@pytest.fixture(autouse=True)
def _fresh_plugins():
    """Load channels and policies from the settings of each test."""
    channel.clear_caches()
    policy.clear_caches()
    template_cache.clear()
    yield
    channel.clear_caches()
    policy.clear_caches()
    template_cache.clear()
    connections.close()


@pytest.fixture
def email_dir(tmp_path, settings):
    """Point the file channel at a fresh folder and return it."""
    folder = tmp_path / "emails"
    settings.ACE_CHANNEL_FILE_EMAIL_DIRECTORY = str(folder)
    return folder


@pytest.fixture
def smtp_server(request):
    """
    An SMTP server on 127.0.0.1 at an ephemeral port, stopped after the test.

    Parametrize it indirectly with a dict of ``SmtpServer`` options to change it, for
    example ``@pytest.mark.parametrize("smtp_server", [{"enable_smtputf8": True}], indirect=True)``.
    """
    options = getattr(request, "param", {})
    server = SmtpServer(**options).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Send through the Django email channel to ``smtp_server``."""
    settings.ACE_ENABLED_CHANNELS = ["django_email"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_TIMEOUT = 5
    return settings


class FakeClock:
    """A clock for the delivery loop: ``sleep()`` advances ``now`` instead of waiting."""

    def __init__(self, start: datetime.datetime):
        self.now = start
        self.sleeps: list[float] = []

    def current_time(self) -> datetime.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    """Replace the clock of delivery and of the email channel with a ``FakeClock``."""
    fake = FakeClock(datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC))
    monkeypatch.setattr("edx_ace.delivery.get_current_time", fake.current_time)
    monkeypatch.setattr("edx_ace.delivery.sleep", fake.sleep)
    monkeypatch.setattr("edx_ace.channel.django_email.get_current_time", fake.current_time)
    return fake


def make_message(name="welcome", email_address="ada@example.com", username="ada", context=None, **kwargs) -> Message:
    """Return a message of the test templates in ``tests/templates/testapp``."""
    values = {"name": "Ada", "course": "Tom & Jerry 101", "greeting": "Hi", "sender": "Course Team"}
    values.update(context or {})
    return Message(
        app_label="testapp",
        name=name,
        recipient=Recipient(username=username, email_address=email_address),
        context=values,
        **kwargs,
    )


class _PytestCleanups:
    """Adapts pytest's finalizers to the ``addCleanup()`` that the patch helpers call."""

    def __init__(self, request):
        self.request = request

    def addCleanup(self, function, *args, **kwargs):
        self.request.addfinalizer(lambda: function(*args, **kwargs))


@pytest.fixture
def cleanups(request):
    """An object with ``addCleanup()`` for ``patch_channels`` and ``patch_policies``."""
    return _PytestCleanups(request)
