"""System checks of the encryption keys (issue 14, finding 7).

- ``registration.E001`` (deploy): ``DCR_ENCRYPTION_KEYS`` is not set, so secrets are encrypted
  with the development key of ``var/encryption.key`` (only possible with ``DJANGO_DEBUG=1``;
  with debug off the settings refuse to start without the variable).
- ``registration.W002`` (deploy): a key shorter than 32 characters.
- ``registration.W003`` (deploy): ``REDIS_URL`` is not set, so each worker process keeps its own
  rate-limit counters, refusal aggregation and key-set cache (limits multiply by the workers).
- ``registration.W001`` (database; ``migrate``, ``check --database default``): stored secrets
  that no configured key decrypts, counted. ``bin/serve`` logs the same count when it starts.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

MIN_KEY_LENGTH = 32


@register(Tags.security, deploy=True)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from django.conf import settings

    if not os.environ.get("DCR_ENCRYPTION_KEYS", "").strip():
        return [
            Error(
                "DCR_ENCRYPTION_KEYS is not set: client secrets and signing keys are encrypted "
                "with the local development key in var/encryption.key.",
                hint="Set DCR_ENCRYPTION_KEYS (comma-separated; the first encrypts, all decrypt).",
                id="registration.E001",
            )
        ]
    short = [key for key in settings.DCR_ENCRYPTION_KEYS if len(key) < MIN_KEY_LENGTH]
    if short:
        return [
            Warning(
                f"{len(short)} of DCR_ENCRYPTION_KEYS is shorter than {MIN_KEY_LENGTH} characters.",
                hint='Generate keys with python -c "import secrets; '
                'print(secrets.token_urlsafe(32))".',
                id="registration.W002",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    if os.environ.get("REDIS_URL", "").strip():
        return []
    return [
        Warning(
            "REDIS_URL is not set: every worker process counts rate limits and caches key sets "
            "on its own, so the registration limits multiply by the number of processes.",
            hint="Point REDIS_URL at a Redis shared by every app server.",
            id="registration.W003",
        )
    ]


@register(Tags.database)
def check_undecryptable_secrets(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    if not kwargs.get("databases"):
        return []
    from registration.maintenance import count_undecryptable_secrets

    try:
        counts = count_undecryptable_secrets()
    except DatabaseError:
        return []  # not migrated yet: nothing stored to check
    if not counts.total:
        return []
    return [
        Warning(
            undecryptable_message(counts.client_secrets, counts.signing_keys),
            hint="Put the key that encrypted them back into DCR_ENCRYPTION_KEYS (any position), "
            "then run `manage.py dcr rotate-keys` to re-encrypt under the first key.",
            id="registration.W001",
        )
    ]


def undecryptable_message(client_secrets: int, signing_keys: int) -> str:
    return (
        f"{client_secrets} client secret(s) and {signing_keys} signing key(s) cannot be "
        "decrypted with any key in DCR_ENCRYPTION_KEYS: those clients get 503 at the token "
        "endpoint and those workspaces cannot sign ID tokens."
    )
