"""The Celery app of the integration tests' workers: ``celery -A tests.celery.worker_app worker``."""

import os

import django
from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.celery.worker_settings")
django.setup()

app = Celery("edx_ace_integration_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
