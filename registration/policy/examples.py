"""A policy hook to start from, named by the full example of docs/policy.md:
``{"hook": "registration.policy.examples.check"}``. Copy it into your own module and change it.

Called last, after every declarative rule, with keyword arguments only: it gets a copy of the
final metadata and returns None (no change) or the adjusted metadata, or raises one of
``registration.errors``' classes to refuse (registration/policy/hook.py).
"""

from __future__ import annotations

from typing import Any

from registration.errors import InvalidClientMetadata
from registration.policy.hook import HookContext

DEFAULT_CONTACT = "dcr-owners@example.com"


def check(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any] | None:
    """Partner clients keep their name; a client without contacts gets the owners' address."""
    if context.is_update and "partner" in str(metadata.get("client_name", "")).lower():
        raise InvalidClientMetadata("client_name: partner clients cannot be renamed")
    if not metadata.get("contacts"):
        return {**metadata, "contacts": [DEFAULT_CONTACT]}
    return None
