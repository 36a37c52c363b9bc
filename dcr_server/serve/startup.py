"""Checks ``bin/serve`` runs once in gunicorn's master, after loading the app, before forking."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connections


def report_undecryptable_secrets(log: Any) -> int:
    """Log how many stored secrets no configured key decrypts (issue 14, finding 7); the count.

    The start goes on (the other clients keep working); the database connection used here is
    closed so that no worker inherits it.
    """
    from registration.checks import undecryptable_message
    from registration.maintenance import count_undecryptable_secrets

    try:
        counts = count_undecryptable_secrets()
    except DatabaseError as exc:
        log.warning("Could not check the stored secrets at start-up: %s", type(exc).__name__)
        return 0
    finally:
        connections.close_all()
    if counts.total:
        log.warning(undecryptable_message(counts.client_secrets, counts.signing_keys))
    return counts.total
