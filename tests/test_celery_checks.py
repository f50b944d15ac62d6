"""System checks of the Celery task settings and of the delivery records cache (edx_ace.E160-E163, W160)."""

from __future__ import annotations

import pytest

from edx_ace.checks import check_celery_settings

SHARED_CACHE = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "unused"}}


def ids(messages):
    return [message.id for message in messages]


def test_shared_cache_passes(settings):
    settings.CACHES = SHARED_CACHE

    assert check_celery_settings() == []


def test_unknown_alias_is_error(settings):
    settings.CACHES = SHARED_CACHE
    settings.ACE_DELIVERY_RECORD_CACHE = "records"

    messages = check_celery_settings()

    assert ids(messages) == ["edx_ace.E160"]
    assert "'records', which is not an alias in CACHES (default)" in messages[0].msg


@pytest.mark.parametrize(
    "backend", ["django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"]
)
def test_per_process_cache_warns(settings, backend):
    """With Celery configured in the settings, a records cache that workers do not share is a warning."""
    settings.CACHES = {"default": {"BACKEND": backend}}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"

    messages = check_celery_settings()

    assert ids(messages) == ["edx_ace.W160"]
    assert backend in messages[0].msg
    assert "can send a message again" in messages[0].msg


def test_per_process_cache_without_celery_passes(settings):
    """A project without CELERY_* settings sends in-process, where a local cache is fine."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert check_celery_settings() == []


@pytest.mark.parametrize("timeout", [0, -5, "week", True])
def test_bad_record_timeout_is_error(settings, timeout):
    settings.CACHES = SHARED_CACHE
    settings.ACE_DELIVERY_RECORD_TIMEOUT = timeout

    messages = check_celery_settings()

    assert ids(messages) == ["edx_ace.E161"]
    assert repr(timeout) in messages[0].msg


def test_empty_task_name_is_error(settings):
    settings.CACHES = SHARED_CACHE
    settings.ACE_CELERY_TASK_NAME = ""

    assert ids(check_celery_settings()) == ["edx_ace.E162"]


@pytest.mark.parametrize("setting", ["ACE_CELERY_QUEUE", "ACE_CELERY_ROUTING_KEY"])
def test_bad_queue_or_routing_key_is_error(settings, setting):
    settings.CACHES = SHARED_CACHE
    setattr(settings, setting, ["edx_ace"])

    messages = check_celery_settings()

    assert ids(messages) == ["edx_ace.E163"]
    assert setting in messages[0].msg
