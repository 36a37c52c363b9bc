"""Example policy hooks used by tests/policy/test_policy_hook.py (not a test module).

The policy names them by dotted path, e.g. ``{"hook": "tests.policy.example_hooks.add_contact"}``.
"""

from __future__ import annotations

from typing import Any

from registration.errors import AccessDenied, InvalidClientMetadata
from registration.policy import HookContext

CALLS: list[dict[str, Any]] = []
"""What ``record`` was called with (tests clear it)."""

NOT_CALLABLE = 42


def add_contact(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    """Adjusts: a client without contacts gets the workspace's owners as contacts."""
    if metadata.get("contacts"):
        return metadata
    return {**metadata, "contacts": [f"owners@{context.workspace_label or 'example'}.test"]}


def no_change(*, context: HookContext, metadata: dict[str, Any]) -> None:
    return None


def mutate_and_return_none(*, context: HookContext, metadata: dict[str, Any]) -> None:
    """Mutates its copy but returns None: the registration must not see the change."""
    metadata["client_name"] = "changed behind your back"


def refuse_partner(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any] | None:
    """Refuses with its own error (no rule: the evaluator fills in rule="hook")."""
    if "partner" in str(metadata.get("client_name", "")).lower():
        raise InvalidClientMetadata("client_name: partner clients need a contract")
    return None


def refuse_with_rule(*, context: HookContext, metadata: dict[str, Any]) -> None:
    raise AccessDenied("custom: not on Sundays", rule="custom_calendar")


def crash(*, context: HookContext, metadata: dict[str, Any]) -> None:
    raise RuntimeError("db password hunter2 rejected by 10.0.0.5")


def wrong_return_type(*, context: HookContext, metadata: dict[str, Any]) -> object:
    return ["not", "a", "dict"]


def true_instead_of_none(*, context: HookContext, metadata: dict[str, Any]) -> object:
    return True


def positional(context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    """Declared positionally; still works because it is called with keywords."""
    return {**metadata, "software_version": f"checked-{context.is_update}"}


def swapped_positional(metadata: dict[str, Any], context: HookContext) -> dict[str, Any]:
    """Parameters in the 'wrong' order: keyword binding keeps each value in its place."""
    assert isinstance(context, HookContext)
    assert isinstance(metadata, dict)
    return {**metadata, "software_version": "bound-by-name"}


def record(*, context: HookContext, metadata: dict[str, Any]) -> None:
    CALLS.append({"context": context, "metadata": metadata})
    metadata["contacts"] = ["mutated@example.com"]  # must not leak into the caller's copy


def add_admin_scope(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    """Tries to widen the scope past the declarative policy."""
    return {**metadata, "scope": "openid admin"}


def rename_official(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    return {**metadata, "client_name": "Official Client"}


def drop_contacts(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metadata.items() if key != "contacts"}


def incomplete(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    """Returns a partial mapping: only a name (no grant types, no redirect URIs)."""
    return {"client_name": "only a name"}


def wrong_types(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    return {**metadata, "grant_types": "client_credentials", "contacts": "not-a-list"}


def drop_grant_types(*, context: HookContext, metadata: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metadata.items() if key != "grant_types"}
