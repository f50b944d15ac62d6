"""The Celery task and enqueue helpers, run in Celery's eager mode in the test process."""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery
from celery.signals import before_task_publish, task_retry
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from kombu import Exchange, Queue

from edx_ace import ace, delivery_records, presentation, tasks
from edx_ace.channel import ChannelType
from edx_ace.errors import RecoverableChannelDeliveryError
from edx_ace.message import Message, MessageType
from edx_ace.recipient import Recipient
from edx_ace.test_utils import patch_channels
from tests.conftest import make_message
from tests.scripted import ScriptedChannel

REPOSITORY = Path(__file__).resolve().parent.parent


class FakePushRenderer:
    def render(self, message):
        return {"title": "hello"}


class FailingFirstReadCache(LocMemCache):
    """A local-memory cache whose first ``get_many()`` raises, like a cache server that is briefly down."""

    reads = 0

    def get_many(self, keys, version=None):
        type(self).reads += 1
        if type(self).reads == 1:
            raise ConnectionError("cache server unreachable")
        return super().get_many(keys, version=version)


class FailingWriteCache(LocMemCache):
    """A local-memory cache whose writes raise, like a cache server that went down after the read."""

    def set(self, key, value, timeout=None, version=None):
        raise ConnectionError("cache server unreachable")


@pytest.fixture
def eager_app():
    """A Celery app that runs tasks in the calling thread, with its retries."""
    app = Celery("edx_ace_tests", set_as_current=False)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    app.conf.broker_url = "memory://"
    app.set_current()
    yield app
    app.close()


@pytest.fixture
def task_clock(clock, monkeypatch):
    """The delivery clock, also used by the task for its deadlines and countdowns."""
    monkeypatch.setattr("edx_ace.tasks.get_current_time", clock.current_time)
    return clock


@pytest.fixture(autouse=True)
def _empty_records():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def retries():
    """The Retry reasons of every task retry, recorded through Celery's ``task_retry`` signal."""
    seen = []

    def on_retry(sender=None, request=None, reason=None, **kwargs):
        seen.append(reason)

    task_retry.connect(on_retry, weak=False)
    yield seen
    task_retry.disconnect(on_retry)


@pytest.fixture
def push_renderer(monkeypatch):
    monkeypatch.setitem(presentation.RENDERERS, ChannelType.PUSH, FakePushRenderer())


def rate_limited(clock, seconds, advance=0):
    """Return a script step that moves the clock by ``advance`` seconds, then raises a rate limit that allows a retry after ``seconds``."""

    def step():
        clock.now += datetime.timedelta(seconds=advance)
        return RecoverableChannelDeliveryError("rate limited", clock.now + datetime.timedelta(seconds=seconds))

    return step


def test_enqueue_delivers_and_records(eager_app, task_clock, cleanups):
    """The task sends the message once and records the delivery under its uuid."""
    email = ScriptedChannel(script=["sent"])
    patch_channels(cleanups, [email])
    msg = make_message()

    result = tasks.enqueue(msg)

    assert result.get() == {"email": "delivered"}
    assert len(email.attempts) == 1
    assert email.attempts[0][0] == msg
    assert delivery_records.delivered_channel_types(msg) == {ChannelType.EMAIL}


def test_deferred_channel_retried_alone(eager_app, task_clock, cleanups, retries, push_renderer):
    """Only the deferred channel type is retried, with a countdown until its next attempt time."""
    email = ScriptedChannel(script=["sent"])
    push = ScriptedChannel(channel_type=ChannelType.PUSH, name="push", script=[rate_limited(task_clock, 30)])
    patch_channels(cleanups, [email, push])

    result = tasks.enqueue(make_message())

    assert len(retries) == 1
    assert retries[0].when == 30
    assert retries[0].sig.kwargs["channel_types"] == ["push"]
    assert len(email.attempts) == 1
    assert len(push.attempts) == 2
    assert result.get() == {"push": "delivered"}


def test_retry_keeps_queue_and_deadline(eager_app, task_clock, cleanups, retries, settings):
    """A retry goes to the configured queue and carries the deadline of a message without expiration."""
    settings.ACE_CELERY_QUEUE = "ace_email"
    settings.ACE_DEFAULT_EXPIRATION_DELAY = 600
    start = task_clock.now
    email = ScriptedChannel(script=[rate_limited(task_clock, 5)])
    patch_channels(cleanups, [email])

    tasks.enqueue(make_message())

    assert len(retries) == 1
    assert retries[0].sig.options["queue"] == "ace_email"
    assert retries[0].sig.kwargs["retry_until"] == (start + datetime.timedelta(seconds=600)).isoformat()
    assert len(email.attempts) == 2


def test_gives_up_at_expiration(eager_app, task_clock, cleanups, retries):
    """A next attempt after the message's expiration ends the task without a retry."""
    email = ScriptedChannel(script=[rate_limited(task_clock, 120)])
    patch_channels(cleanups, [email])
    msg = make_message(expiration_time=task_clock.now + datetime.timedelta(seconds=60))

    result = tasks.enqueue(msg)

    assert retries == []
    assert result.get() == {"email": "expired"}
    assert len(email.attempts) == 1
    assert delivery_records.delivered_channel_types(msg) == set()


def test_retry_after_five_minutes_allowed(eager_app, task_clock, cleanups, retries):
    """Unlike ``ace.send()``, the task waits past five minutes when the message's expiration allows it."""
    email = ScriptedChannel(script=[rate_limited(task_clock, 3600)])
    patch_channels(cleanups, [email])
    msg = make_message(expiration_time=task_clock.now + datetime.timedelta(days=1))

    result = tasks.enqueue(msg)

    assert [reason.when for reason in retries] == [3600]
    assert result.get() == {"email": "delivered"}


def test_gives_up_at_default_deadline(eager_app, task_clock, cleanups, retries, settings, caplog):
    """A message without expiration is retried until ACE_DEFAULT_EXPIRATION_DELAY after the first run."""
    settings.ACE_DEFAULT_EXPIRATION_DELAY = 60
    email = ScriptedChannel(script=[rate_limited(task_clock, 30), rate_limited(task_clock, 30, advance=40)])
    patch_channels(cleanups, [email])

    with caplog.at_level(logging.WARNING, logger="edx_ace.tasks"):
        result = tasks.enqueue(make_message())

    assert len(retries) == 1
    assert len(email.attempts) == 2
    assert result.get() == {"email": "deferred"}
    assert "would come after the retry deadline" in caplog.text


def test_task_past_deadline_sends_nothing(eager_app, task_clock, cleanups):
    """A retry that runs after its deadline (a late broker) gives up without sending."""
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    past = (task_clock.now - datetime.timedelta(seconds=1)).isoformat()

    result = tasks.send_message_task.apply(args=(str(make_message()),), kwargs={"retry_until": past})

    assert result.get() is None
    assert email.attempts == []


def test_delivered_channel_not_repeated(eager_app, task_clock, cleanups, push_renderer):
    """A redelivered task skips the channel types recorded as delivered for the message's uuid."""
    email = ScriptedChannel()
    push = ScriptedChannel(channel_type=ChannelType.PUSH, name="push")
    patch_channels(cleanups, [email, push])
    msg = make_message()
    delivery_records.record_delivery(msg, ChannelType.EMAIL, "scripted")

    first = tasks.send_message_task.apply(args=(str(msg),))
    second = tasks.send_message_task.apply(args=(str(msg),))

    assert first.get() == {"push": "delivered"}
    assert second.get() is None
    assert email.attempts == []
    assert len(push.attempts) == 1


def test_record_written_before_next_channel(eager_app, task_clock, cleanups, push_renderer):
    """The email record exists when the push channel is tried, before the pipeline ends."""
    msg = make_message()
    seen_by_push = []

    def push_step():
        seen_by_push.append(delivery_records.delivered_channel_types(msg))
        return "pushed"

    email = ScriptedChannel()
    push = ScriptedChannel(channel_type=ChannelType.PUSH, name="push", script=[push_step])
    patch_channels(cleanups, [email, push])

    tasks.enqueue(msg)

    assert seen_by_push == [{ChannelType.EMAIL}]
    assert delivery_records.delivered_channel_types(msg) == {ChannelType.EMAIL, ChannelType.PUSH}


def test_plain_send_writes_no_record(cleanups):
    """Outside a task, ACE_MESSAGE_SENT leaves the delivery records alone."""
    patch_channels(cleanups, [ScriptedChannel()])
    msg = make_message()

    ace.send(msg)

    assert delivery_records.delivered_channel_types(msg) == set()


def test_same_message_enqueued_twice_sent_once(eager_app, task_clock, cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    msg = make_message()

    tasks.enqueue(msg)
    tasks.enqueue(Message.from_string(str(msg)))

    assert len(email.attempts) == 1


def test_forgotten_delivery_sent_again(eager_app, task_clock, cleanups):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    msg = make_message()

    tasks.enqueue(msg)
    delivery_records.forget_deliveries(msg)
    tasks.enqueue(msg)

    assert len(email.attempts) == 2


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("not json", "not valid JSON"),
        ("{}", "lacks the required field"),
        ("[1, 2]", "expected a JSON object"),
        (42, "takes a JSON str"),
    ],
)
def test_bad_payload_logged_and_dropped(eager_app, cleanups, retries, caplog, payload, reason):
    """A payload that is not a message is logged with the reason and dropped, never retried."""
    email = ScriptedChannel()
    patch_channels(cleanups, [email])

    with caplog.at_level(logging.ERROR, logger="edx_ace.tasks"):
        result = tasks.send_message_task.apply(args=(payload,))

    assert result.successful()
    assert result.get() is None
    assert retries == []
    assert email.attempts == []
    assert "the payload is not a valid message, so the task is dropped" in caplog.text
    assert reason in caplog.text


def test_bad_channel_types_dropped(eager_app, cleanups, retries, caplog):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    msg = make_message()

    with caplog.at_level(logging.ERROR, logger="edx_ace.tasks"):
        result = tasks.send_message_task.apply(args=(str(msg),), kwargs={"channel_types": ["fax"]})

    assert result.get() is None
    assert retries == []
    assert email.attempts == []
    assert "has invalid arguments, so it is dropped" in caplog.text
    assert "'fax' is not a valid ChannelType" in caplog.text
    assert msg.log_id in caplog.text


def test_unreadable_records_retry_later(eager_app, task_clock, cleanups, retries, settings):
    """When the delivery records cannot be read, nothing is sent and the task is retried."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "flaky": {"BACKEND": "tests.test_tasks.FailingFirstReadCache", "LOCATION": "flaky"},
    }
    settings.ACE_DELIVERY_RECORD_CACHE = "flaky"
    FailingFirstReadCache.reads = 0
    email = ScriptedChannel()
    patch_channels(cleanups, [email])

    tasks.enqueue(make_message())

    assert [reason.when for reason in retries] == [tasks.RECORD_READ_RETRY_SECONDS]
    assert len(email.attempts) == 1


def test_unwritable_record_logged_not_retried(eager_app, task_clock, cleanups, retries, settings, caplog):
    """A message that went out is not retried when its record cannot be written; the failure is logged."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "broken": {"BACKEND": "tests.test_tasks.FailingWriteCache", "LOCATION": "broken"},
    }
    settings.ACE_DELIVERY_RECORD_CACHE = "broken"
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    msg = make_message()

    with caplog.at_level(logging.ERROR):
        result = tasks.enqueue(msg)

    assert result.get() == {"email": "delivered"}
    assert retries == []
    assert len(email.attempts) == 1
    assert "A receiver of ACE_MESSAGE_SENT" in caplog.text
    assert "Delivered over scripted, but the delivery record could not be written" in caplog.text
    assert msg.log_id in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"channel_types": "email"}, "channel_types must be a list of str, got 'email'"),
        ({"channel_names": [1]}, "channel_names must be a list of str, got [1]"),
        ({"retry_until": "2026-12-04T12:00:00"}, "has no UTC offset"),
        ({"retry_until": "next week"}, "Invalid isoformat string"),
    ],
)
def test_bad_task_arguments_dropped(eager_app, cleanups, retries, caplog, kwargs, reason):
    email = ScriptedChannel()
    patch_channels(cleanups, [email])

    with caplog.at_level(logging.ERROR, logger="edx_ace.tasks"):
        result = tasks.send_message_task.apply(args=(str(make_message()),), kwargs=kwargs)

    assert result.get() is None
    assert retries == []
    assert email.attempts == []
    assert reason in caplog.text


def test_enqueue_limits_channel_types(eager_app, task_clock, cleanups, push_renderer):
    email = ScriptedChannel()
    push = ScriptedChannel(channel_type=ChannelType.PUSH, name="push")
    patch_channels(cleanups, [email, push])

    result = tasks.enqueue(make_message(), limit_to_channels=[ChannelType.PUSH])

    assert result.get() == {"push": "delivered"}
    assert email.attempts == []


def test_enqueue_rejects_non_message(eager_app):
    with pytest.raises(TypeError, match=r"enqueue\(\) takes an edx_ace\.Message, got dict"):
        tasks.enqueue({"name": "welcome"})


def test_enqueue_rejects_single_channel_type(eager_app):
    with pytest.raises(TypeError, match="wrap it in a list"):
        tasks.enqueue(make_message(), limit_to_channels=ChannelType.EMAIL)


def test_enqueue_rejects_non_channel_type(eager_app):
    with pytest.raises(TypeError, match="limit_to_channels contains 42 \\(int\\)"):
        tasks.enqueue(make_message(), limit_to_channels=[42])


def test_enqueue_rejects_unknown_channel_name(eager_app, cleanups):
    patch_channels(cleanups, [ScriptedChannel()])

    with pytest.raises(TypeError, match="limit_to_channels contains 'fax_machine'"):
        tasks.enqueue(make_message(), limit_to_channels=["fax_machine"])


def test_task_with_unknown_channel_name_dropped(eager_app, cleanups, retries, caplog):
    """A task with a channel name that no installed channel has is logged and dropped."""
    email = ScriptedChannel()
    patch_channels(cleanups, [email])

    with caplog.at_level(logging.ERROR, logger="edx_ace.tasks"):
        result = tasks.send_message_task.apply(
            args=(str(make_message()),), kwargs={"channel_types": ["email"], "channel_names": ["fax_machine"]}
        )

    assert result.get() is None
    assert retries == []
    assert email.attempts == []
    assert "has invalid arguments, so it is dropped" in caplog.text
    assert "fax_machine" in caplog.text


def test_enqueue_limits_by_channel_name(eager_app, task_clock, cleanups, push_renderer):
    """A channel name in limit_to_channels reaches the worker, as in ace.send()."""
    email = ScriptedChannel()
    push = ScriptedChannel(channel_type=ChannelType.PUSH, name="push")
    patch_channels(cleanups, [email, push])

    result = tasks.enqueue(make_message(), limit_to_channels=["push"])

    assert result.get() == {"push": "delivered"}
    assert email.attempts == []
    assert len(push.attempts) == 1


def test_channel_name_of_delivered_type_skipped(eager_app, task_clock, cleanups):
    """A channel name does not bring back a channel type that already delivered."""
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    msg = make_message()
    delivery_records.record_delivery(msg, ChannelType.EMAIL, "scripted")

    result = tasks.enqueue(msg, limit_to_channels=["scripted", ChannelType.PUSH])

    assert result.get() == {}
    assert email.attempts == []


def test_fan_out_personalizes_each_recipient(eager_app, task_clock, cleanups):
    """One task per recipient; a tuple gives a recipient its own language and context."""
    email = ScriptedChannel()
    patch_channels(cleanups, [email])
    msg_type = MessageType(app_label="testapp", name="welcome", context={"course": "Physics"})
    ada = Recipient(username="ada", email_address="ada@example.com")
    bob = Recipient(username="bob", email_address="bob@example.com")

    count = tasks.enqueue_for_recipients(
        msg_type,
        iter([ada, (bob, "es", {"name": "Bob"})]),
        language="en",
        user_context={"name": "Ada"},
        limit_to_channels=(channel_type for channel_type in [ChannelType.EMAIL]),
    )

    assert count == 2
    sent = [message for message, _rendered in email.attempts]
    assert [message.recipient for message in sent] == [ada, bob]
    assert [message.language for message in sent] == ["en", "es"]
    assert [message.context["name"] for message in sent] == ["Ada", "Bob"]
    assert {message.context["course"] for message in sent} == {"Physics"}
    assert {message.send_uuid for message in sent} == {msg_type.uuid}


def test_fan_out_rejects_bad_recipient(eager_app):
    msg_type = MessageType(app_label="testapp", name="welcome")

    with pytest.raises(TypeError, match="got str"):
        tasks.enqueue_for_recipients(msg_type, ["ada@example.com"])


def test_enqueue_publishes_to_configured_queue(settings):
    """Without eager mode the task is published with the queue and routing key settings."""
    settings.ACE_CELERY_QUEUE = "ace_email"
    settings.ACE_CELERY_ROUTING_KEY = "ace.email"
    app = Celery("edx_ace_publish_tests", set_as_current=False, broker="memory://")
    # Celery uses a routing key only for a queue bound to an exchange that is not direct.
    app.conf.task_queues = [Queue("ace_email", Exchange("ace", type="topic"), routing_key="ace.#")]
    published = []

    def on_publish(sender=None, routing_key=None, exchange=None, body=None, headers=None, **kwargs):
        published.append((sender, routing_key, exchange, body, headers))

    before_task_publish.connect(on_publish, weak=False)
    try:
        msg = make_message()
        tasks.enqueue(msg, app=app)
    finally:
        before_task_publish.disconnect(on_publish)
        app.close()

    assert len(published) == 1
    name, routing_key, exchange, body, headers = published[0]
    assert name == "edx_ace.tasks.send_message"
    assert routing_key == "ace.email"
    assert exchange == "ace"
    assert list(body[0]) == [str(msg)]
    assert headers["task"] == "edx_ace.tasks.send_message"


def test_task_options_survive_crashes():
    """The task is acknowledged late and put back when its worker process dies."""
    task = tasks.send_message_task

    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries is None


def test_import_edx_ace_without_celery():
    """Importing the package and its pipeline never imports Celery."""
    code = (
        "import django, sys; django.setup(); "
        "import edx_ace, edx_ace.ace, edx_ace.delivery_records, edx_ace.checks; "
        "print('celery' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "test_settings", "PYTHONPATH": str(REPOSITORY)}

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, env=env, timeout=60, check=True
    )

    assert completed.stdout.strip() == "False"
