"""
Every Django setting that ACE reads, with its default and meaning.

Nothing reads settings at import time: ``get()`` looks at ``django.conf.settings`` on
each call, so ``override_settings`` works in tests.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.conf import settings

#: ``name -> (default, meaning)``. A callable default is called for each read.
SETTINGS: dict[str, tuple[Any, str]] = {
    "ACE_ENABLED_CHANNELS": (
        ["file_email"],
        "Names of the channel plugins (entry point group openedx.ace.channel) to use.",
    ),
    "ACE_ENABLED_POLICIES": (
        [],
        "Names of the policy plugins (entry point group openedx.ace.policy) to apply.",
    ),
    "ACE_DEFAULT_EXPIRATION_DELAY": (
        120,
        "Seconds a message without expiration_time may keep retrying a channel.",
    ),
    "ACE_CHANNEL_FILE_EMAIL_DIRECTORY": (
        lambda: os.path.join(tempfile.gettempdir(), "edx_ace"),
        "Folder where the file_email channel writes one HTML file per email.",
    ),
    "ACE_CHANNEL_SAILTHRU_DEBUG": (
        False,
        "True makes the sailthru_email channel log each email it would send instead of calling Sailthru.",
    ),
    "ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME": (
        "",
        "Name of the Sailthru template that wraps the emails of the sailthru_email channel.",
    ),
    "ACE_CHANNEL_SAILTHRU_API_KEY": (
        "",
        "Sailthru API key of the sailthru_email channel.",
    ),
    "ACE_CHANNEL_SAILTHRU_API_SECRET": (
        "",
        "Sailthru API secret of the sailthru_email channel, used to sign each request.",
    ),
    "ACE_CHANNEL_SAILTHRU_API_URL": (
        "https://api.sailthru.com",
        "Base URL of the Sailthru REST API; the channel posts to its /send endpoint.",
    ),
    "ACE_CHANNEL_SAILTHRU_TIMEOUT": (
        10,
        "Seconds the sailthru_email channel waits to connect to Sailthru, and then for each read of its response.",
    ),
    "ACE_CHANNEL_DEFAULT_EMAIL": (
        None,
        "Name of the enabled email channel that sends messages when several email channels are enabled.",
    ),
    "ACE_CHANNEL_TRANSACTIONAL_EMAIL": (
        None,
        "Name of the enabled email channel that sends messages whose option transactional is True.",
    ),
    "ACE_CHANNEL_DEFAULT_PUSH": (
        None,
        "Name of the enabled push channel that sends messages when several push channels are enabled.",
    ),
    "ACE_CELERY_TASK_NAME": (
        "edx_ace.tasks.send_message",
        "Name of the Celery task that sends one message; read once, when edx_ace.tasks is imported.",
    ),
    "ACE_CELERY_QUEUE": (
        None,
        "Queue that edx_ace.tasks sends its tasks to; None leaves the choice to Celery's task_routes "
        "and task_default_queue.",
    ),
    "ACE_CELERY_ROUTING_KEY": (
        None,
        "Routing key of the tasks that edx_ace.tasks sends; None leaves it to Celery's routing.",
    ),
    "ACE_DELIVERY_RECORD_CACHE": (
        "default",
        "Alias in CACHES of the cache that records which channel types delivered each message, "
        "so a redelivered task does not send them again.",
    ),
    "ACE_DELIVERY_RECORD_TIMEOUT": (
        7 * 24 * 60 * 60,
        "Seconds a delivery record is kept; it must outlast every redelivery or retry of the message's task.",
    ),
    "ACE_TEMPLATE_CACHE": (
        True,
        "Keep compiled templates in memory per template path while DEBUG is off; set False when a "
        "template loader returns different templates for the same path (per site or per request).",
    ),
    "ACE_SEND_MANY_CHUNK_SIZE": (
        100,
        "Most emails sent over one email connection: ace.send_many() opens one connection per chunk of "
        "this many messages, and a connection kept between ace.send() calls is closed after this many.",
    ),
    "ACE_SEND_MANY_RENDER_PROCESSES": (
        0,
        "Worker processes, forked from the caller, that render the next chunk of ace.send_many() while the "
        "caller delivers the current one; 0 renders in the calling process.",
    ),
    "ACE_EMAIL_CONNECTION_REUSE_SECONDS": (
        30,
        "Seconds an idle SMTP connection stays open in a thread for the next ace.send() of that thread; "
        "0 closes the connection after each send.",
    ),
}

#: The maximum time one ``ace.send()`` waits for retries of one channel, in seconds,
#: whatever the message's expiration time allows. A longer wait belongs in a task queue.
MAX_RETRY_WAIT_SECONDS = 5 * 60


def get(name: str) -> Any:
    """
    Return the value of the ACE setting ``name``, or its default when it is not set.

    Raises:
        KeyError: ``name`` is not one of the settings listed in ``SETTINGS``.
    """
    try:
        default, _meaning = SETTINGS[name]
    except KeyError:
        raise KeyError(f"{name} is not an ACE setting; known settings: {', '.join(sorted(SETTINGS))}") from None

    value = getattr(settings, name, None)
    if value is None:
        return default() if callable(default) else default
    return value


def is_ace_setting(name: str) -> bool:
    """Return whether a change to the Django setting ``name`` can change what ACE loads."""
    return name.startswith("ACE_") or name in {"EMAIL_BACKEND", "DEFAULT_FROM_EMAIL", "TEMPLATES", "DEBUG"}
