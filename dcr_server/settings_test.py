"""Settings for the test suite: production settings with a fixed test key and fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_DEBUG", "0")

from dcr_server.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # user logins in tests only
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
