#!/usr/bin/env python
"""Django's command-line utility, with the project's two configurations.

On a laptop, where no production variable is set, every command uses the same local development
configuration as ``make run``: ``DJANGO_DEBUG=1``, the SQLite database and the local keys under
``var/``. As soon as one of ``PRODUCTION_VARIABLES`` is set (``DJANGO_DEBUG=0`` included), the
environment is taken as a production one and used as it is: a missing or malformed variable is a
one-line error that names it, never a traceback (docs/configuration.md).
"""

import os
import sys

# Any of these in the environment means "configured on purpose": no development default then.
PRODUCTION_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "DCR_ENCRYPTION_KEYS",
    "DCR_PUBLIC_BASE_URL",
)
_HELP: tuple[list[str], ...] = (["help"], ["--help"], ["-h"], [])


def _fail(message: str) -> None:
    sys.stderr.write(f"manage.py: {' '.join(message.split())}\n")
    sys.exit(1)


def main() -> None:
    if not any(name in os.environ for name in PRODUCTION_VARIABLES):
        os.environ["DJANGO_DEBUG"] = "1"  # the local development configuration of make run
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dcr_server.settings")

    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  # imports the settings: the environment is read here
    except (ImproperlyConfigured, ValueError) as exc:
        if sys.argv[1:2] not in _HELP:
            _fail(str(exc))
        # Help still lists every command: read the settings once more in the development
        # configuration (nothing runs), then say what this environment lacks.
        os.environ["DJANGO_DEBUG"] = "1"
        try:
            execute_from_command_line(sys.argv)
        except (ImproperlyConfigured, ValueError):
            _fail(str(exc))
        sys.stderr.write(f"Note: this environment cannot run commands yet: {exc}\n")
        return
    from django.db import DatabaseError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:  # raised late, when a command first needs a setting
        if "--traceback" in sys.argv:
            raise
        _fail(str(exc))
    except DatabaseError as exc:  # unreachable, or not migrated yet
        if "--traceback" in sys.argv:
            raise
        _fail(f"database error: {exc} (is DATABASE_URL right, and was `manage.py migrate` run?)")


if __name__ == "__main__":
    main()
