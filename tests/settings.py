"""Settings for the suite: production's, with the differences a test server needs."""

import os

# Tests speak plain http to a live server on 127.0.0.1.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")

from config.settings import *  # noqa: F403

# Manifest storage needs collectstatic; the live server serves static files from the finders.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
