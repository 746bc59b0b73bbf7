"""Settings for bench/inprocess.py: production's, plus djangorestframework-api-key to compare with.

DATABASE_URL, SECRET_KEY and KEY_HASH_SECRET come from the environment, as in production
(bench/inprocess.py points DATABASE_URL at a throwaway SQLite file unless it is set).
"""

import os

os.environ["DEBUG"] = "false"  # production settings, whatever the shell says
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from config.settings import *  # noqa: F403

# The `bench` extra of pyproject.toml: only `make bench` installs these.
INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework", "rest_framework_api_key"]  # noqa: F405

# No collectstatic in process: nothing here renders a template that names a static file.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT = None  # WhiteNoise then serves nothing and warns about no missing directory
ALLOWED_HOSTS = ["127.0.0.1"]
