"""Django settings for the demo (``python -m example.demo``): the file channel only."""

from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent

# A fixed key is fine here: these settings only ever run the demo.
SECRET_KEY = "edx-ace-demo-only-not-a-secret"

DEBUG = False
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
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
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]

DEFAULT_FROM_EMAIL = "noreply@example.com"

ACE_ENABLED_CHANNELS = ["file_email"]
ACE_ENABLED_POLICIES: list[str] = []
# Ignored by git (var/ is in .gitignore), so the demo can be run again and again.
ACE_CHANNEL_FILE_EMAIL_DIRECTORY = str(REPO_DIR / "var" / "demo-emails")
