"""Test settings: the one place where tests override the environment-driven settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's in-memory test database: the live server's threads (and worker
    # processes in the fault drills) then open their own connections, as in production, instead
    # of sharing one connection, which breaks when two requests overlap.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # TEST_SQLITE_NAME lets two runs side by side keep apart.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_SQLITE_NAME", str(BASE_DIR / "var" / "test-db.sqlite3"))
    }

DEBUG = False
LANGUAGE_CODE = "en"  # assertions on messages read the English text
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Child processes of the fault drills (tests/faults) get the test process's media folder and the
# database task backend through these two variables.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", BASE_DIR / "var" / "test-media")
STATIC_ROOT = None  # static files are served by the finders in tests
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False  # the test client and live server speak plain HTTP
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TEST_TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"
        )
    }
}
CERTIFICATE_DEMO_SIGNING_DIR = BASE_DIR / "var" / "test-signing"
PUBLIC_BASE_URL = "https://registry.example.cn"
CERTIFICATE_ALLOW_DEMO_SIGNING = True
CERTIFICATE_FONT_DIR = BASE_DIR / "var" / "fonts"
