"""
Django settings for the benchmark workers, chosen by environment variables.

- ``BENCH_LOADERS``: ``default`` (``APP_DIRS``, so Django caches compiled templates) or
  ``explicit`` (the loaders listed in ``OPTIONS``, so Django caches nothing).
- ``BENCH_RENDER_PROCESSES``: ``ACE_SEND_MANY_RENDER_PROCESSES`` of this project (default 0).
- ``BENCH_EMAIL``: ``locmem``, ``smtp`` (to ``127.0.0.1:BENCH_SMTP_PORT``) or ``file``
  (the file channel, writing to ``BENCH_FILE_DIRECTORY``).

The settings suit both edx-ace implementations: the upstream package reads the routing
settings ``ACE_CHANNEL_DEFAULT_EMAIL`` and ``ACE_CHANNEL_TRANSACTIONAL_EMAIL``, which
this project ignores.
"""

import os
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

SECRET_KEY = "edx-ace-benchmark-only-not-a-secret"

DEBUG = False
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Spanish")]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "edx_ace",
    "bench_app",
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_LOADERS = os.environ.get("BENCH_LOADERS", "default")
if _LOADERS not in ("default", "explicit"):
    raise ValueError(f"BENCH_LOADERS={_LOADERS!r}; use 'default' or 'explicit'")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": _LOADERS == "default",
        "OPTIONS": {},
    }
]
if _LOADERS == "explicit":
    # Listing the loaders turns off Django's cached loader, as large platforms do
    # when they add their own loaders (themes, databases).
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]

DEFAULT_FROM_EMAIL = "courses@example.com"

_EMAIL = os.environ.get("BENCH_EMAIL", "locmem")
if _EMAIL == "locmem":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif _EMAIL == "smtp":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["BENCH_SMTP_PORT"])
    EMAIL_TIMEOUT = 30
elif _EMAIL != "file":
    raise ValueError(f"BENCH_EMAIL={_EMAIL!r}; use 'locmem', 'smtp' or 'file'")

_CHANNEL = "file_email" if _EMAIL == "file" else "django_email"
ACE_ENABLED_CHANNELS = [_CHANNEL]
ACE_ENABLED_POLICIES: list[str] = []
ACE_CHANNEL_DEFAULT_EMAIL = _CHANNEL
ACE_CHANNEL_TRANSACTIONAL_EMAIL = _CHANNEL
ACE_CHANNEL_FILE_EMAIL_DIRECTORY = os.environ.get(
    "BENCH_FILE_DIRECTORY", os.path.join(tempfile.gettempdir(), "edx-ace-bench")
)
ACE_SEND_MANY_RENDER_PROCESSES = int(os.environ.get("BENCH_RENDER_PROCESSES", "0"))
