"""Settings for the test suite: production settings with a fixed test key and fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DCR_ENCRYPTION_KEYS", "test-only-encryption-key-not-for-production")
os.environ.setdefault("DJANGO_SECURE", "0")  # the test client speaks plain http
# The suite registers many clients from 127.0.0.1 within a minute: the server's default limits
# are off here and switched on by the tests about them (tests/ratelimit/test_ratelimit_defaults.py).
os.environ.setdefault("DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP", "0")
os.environ.setdefault("DCR_DEFAULT_REGISTRATIONS_PER_MINUTE", "0")
# The example hooks (tests/policy/example_hooks.py) are the only hooks the suite may load.
os.environ.setdefault("DCR_POLICY_HOOK_MODULES", "tests.policy,registration.policy.examples")

from dcr_server.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # user logins in tests only
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    # A file, not shared-cache memory: concurrency tests need SQLite's real locking and busy
    # timeout. One file per test process so parallel runs never collide.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")  # noqa: F405
    }
