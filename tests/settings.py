"""Settings for the suite: production's, with the differences a test server needs."""

import contextlib
import os

# Tests speak plain http to a live server on 127.0.0.1.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
# Nothing in the suite reaches past this machine: GitHub's key list is served by the tests.
os.environ.setdefault("SECRET_SCANNING_KEYS_URL", "http://127.0.0.1:9/no-key-server")

from config.settings import *  # noqa: F403

# Manifest storage needs collectstatic; the live server serves static files from the finders.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# The live server speaks http on localhost, where browsers allow WebAuthn.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True

# WhiteNoise serves from the finders here, as under runserver; there is no collectstatic.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# Fixture users get a cheap hash so each test does not pay Argon2's 100 MB, 2-pass cost;
# anything signing up or changing a password still goes through Argon2 (first in the list).
PASSWORD_HASHERS = [*PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: F405

# On SQLite the test database is a real file, so a test can search the bytes on disk.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    TEST_DATABASE = os.path.join(tempfile.gettempdir(), f"keydesk-test-{os.getpid()}.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE}  # noqa: F405
    # Django replaces an old test database file but not its -wal and -shm: a run that was killed
    # leaves them behind, and a later process with the same pid would open a fresh database
    # with a stale log beside it ("disk I/O error"). Only this process uses names with its pid.
    for stale in (f"{TEST_DATABASE}-wal", f"{TEST_DATABASE}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(stale)

# Mail stays in memory (pytest-django's mailoutbox reads it).
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
