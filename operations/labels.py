"""Bounded label values: every metric label comes from a fixed set or a known workspace.

A label value that could come from a client (a client id, a URL, a metadata field name that is
not ours) would let anyone create time series without limit, so each value is checked against
its set here and anything else is reported as ``other``.
"""

from __future__ import annotations

import re

from tenants.models import Workspace

UNKNOWN_WORKSPACE = "unknown"  # no workspace was resolved (CLI, a bad path)
OTHER = "other"
NONE = "none"

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# registration/errors.py, dcr_server/resilience.py and the RFC 6749 §5.2 codes.
OUTCOMES = frozenset(
    {
        "ok",
        "invalid_request",
        "invalid_redirect_uri",
        "invalid_client_metadata",
        "invalid_software_statement",
        "unapproved_software_statement",
        "invalid_token",
        "insufficient_scope",
        "access_denied",
        "not_found",
        "too_many_requests",
        "temporarily_unavailable",
        "invalid_client",
        "server_error",
    }
)

GRANT_TYPES = frozenset(
    {
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    }
)

MANAGEMENT_OPERATIONS = frozenset({"read", "update", "delete"})

# Rules are policy keys, metadata field names and the names of checks, all written in this code
# base (registration/errors.py ``rule``): lower-case identifiers. The pattern is the guard against
# anything else reaching a label.
_RULE = re.compile(r"[a-z][a-z0-9_]{0,63}")

KEYSET_KINDS = {"software_statement": "software_statement", "signed_request": "signed_request"}
KEYSET_CLIENT_KIND = "client_jwks"
KEYSET_LOOKUPS = frozenset({"cached", "fetched", "stale", "unavailable"})
CIMD_OUTCOMES = frozenset({"ok", "cached", "invalid", "unreachable", "refused"})

# Workspace slugs never change once created (CONTRACT "Tenant administration"), so a label,
# once known for a primary key, stays right; one entry per workspace this process served.
_workspace_labels: dict[int, str] = {}


def workspace(value: Workspace | None) -> str:
    """``tenant/workspace`` of a resolved (so existing) workspace; ``unknown`` without one."""
    if value is None or value.pk is None:
        return UNKNOWN_WORKSPACE
    label = _workspace_labels.get(value.pk)
    if label is None:
        # One query at most per workspace and process when the tenant was not loaded with it.
        label = _workspace_labels[value.pk] = value.label
    return label


def method(value: str | None) -> str:
    return value if value in METHODS else OTHER


def outcome(value: str) -> str:
    return value if value in OUTCOMES else OTHER


def rule(value: str | None) -> str:
    if not value:
        return NONE
    return value if _RULE.fullmatch(value) else OTHER


def grant_type(value: str | None) -> str:
    return value if value in GRANT_TYPES else OTHER


def status(value: int) -> str:
    return str(value) if 100 <= value <= 599 else OTHER


def keyset_kind(cache_namespace: str) -> str:
    """``ws12:software_statement`` -> ``software_statement``; ``client7:jwks`` -> client_jwks."""
    owner, _, kind = cache_namespace.partition(":")
    if owner.startswith("client"):
        return KEYSET_CLIENT_KIND
    return KEYSET_KINDS.get(kind, OTHER)
