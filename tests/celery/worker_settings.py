"""
Django settings of the Celery workers that the integration tests start.

The test passes the Redis URL and the SMTP port in the environment (``ACE_TEST_REDIS_URL``,
``ACE_TEST_SMTP_PORT``). The worker's delivery records live in Redis, shared by every
worker process and kept across a worker's death.
"""

import os

from test_settings import *  # noqa: F403 (the worker renders the same test templates)

REDIS_URL = os.environ["ACE_TEST_REDIS_URL"]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"{REDIS_URL}/1",
    }
}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["ACE_TEST_SMTP_PORT"])
EMAIL_TIMEOUT = 10

# The benchmark (bench/celery_workers.py) picks the plain django_email channel instead.
ACE_ENABLED_CHANNELS = [os.environ.get("ACE_TEST_CHANNEL", "first_try_rate_limited_email")]
ACE_CELERY_QUEUE = os.environ["ACE_TEST_QUEUE"]

CELERY_BROKER_URL = f"{REDIS_URL}/0"
# Each worker process reserves one task at a time, so a killed worker has few reserved tasks.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task reserved by a dead worker goes back to the queue after 10 s instead of an
    # hour. It must stay longer than any countdown (1 s here) and any task's run time.
    "visibility_timeout": 10,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    # Kombu takes a lock in Redis for each sweep. A worker killed during a sweep leaves the
    # lock behind, which blocks the next worker's sweeps until it expires (5 minutes by default).
    "unacked_mutex_expire": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
