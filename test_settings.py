"""Django settings for the test suite (``DJANGO_SETTINGS_MODULE=test_settings``)."""

import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# A fixed key is fine here: these settings only ever run the tests.
SECRET_KEY = "edx-ace-tests-only-not-a-secret"

DEBUG = False
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("es-419", "Latin American Spanish"),
]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "edx_ace",
    "example",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tests" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "noreply@example.com"

ACE_ENABLED_CHANNELS = ["file_email"]
ACE_ENABLED_POLICIES: list[str] = []
# One folder per test process, so parallel runs never share files.
ACE_CHANNEL_FILE_EMAIL_DIRECTORY = tempfile.mkdtemp(prefix="edx-ace-tests-")

# Tests point the Sailthru channel at their own server on 127.0.0.1. This default keeps a
# test that does not set it from reaching Sailthru's production API: nothing listens on
# port 9 (discard) here, so such a test fails to connect instead.
ACE_CHANNEL_SAILTHRU_API_URL = "http://127.0.0.1:9"
