"""Resolved workspaces cached per process, trusted only while the configuration version stands.

Every workspace-scoped request resolves ``/{tenant}/{workspace}/`` to the workspace, its tenant
and its DCR settings. Instead of that three-table lookup (and three model instances), a request
now reads one integer, ``ConfigurationVersion.value`` (a primary-key lookup of a one-row table),
and takes the workspace from this process's cache when the value is the one the cache was filled
under. Any change of a tenant, workspace, DCR settings row or signing key rewrites the value in
the same transaction (database triggers, ``tenants/triggers.py``), so every process of every app
server sees the change on its next request: nothing is served from a cache older than the last
committed change.

The cached instances are shared by the requests (and threads) of a process: request code reads
them and never changes them in place (changes go through the services, which write the database).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections, router

from tenants.models import ConfigurationVersion, Workspace

# Enough for every workspace a deployment is likely to serve; beyond it, lookups go uncached.
MAX_ENTRIES = 10_000

Key = tuple[str, str]


@dataclass
class _Generation:
    version: int
    workspaces: dict[Key, Workspace] = field(default_factory=dict)


_generation: _Generation | None = None
_sql: dict[str, str] = {}


def _version_sql(alias: str) -> str:
    sql = _sql.get(alias)
    if sql is None:
        qn = connections[alias].ops.quote_name
        table = qn(ConfigurationVersion._meta.db_table)
        sql = _sql[alias] = f"SELECT {qn('value')} FROM {table} WHERE {qn('id')} = 1"  # noqa: S608
    return sql


def current_version() -> int | None:
    """The committed configuration version (None while its row is missing: then it is made)."""
    alias = router.db_for_read(ConfigurationVersion)
    with connections[alias].cursor() as cursor:
        cursor.execute(_version_sql(alias))
        row = cursor.fetchone()
    if row is None:
        # A flushed database (tests): make the row again; this request goes uncached.
        ConfigurationVersion.objects.using(alias).bulk_create(
            [ConfigurationVersion(id=1, value=secrets.randbits(62))], ignore_conflicts=True
        )
        return None
    version: int = row[0]
    return version


def cached_workspace(
    tenant: str, workspace: str, lookup: Callable[[str, str], Workspace | None]
) -> Workspace | None:
    """``lookup(tenant, workspace)``, or what it returned earlier under the current version."""
    global _generation
    version = current_version()
    if version is None:
        return lookup(tenant, workspace)
    generation = _generation
    if generation is None or generation.version != version:
        # A new generation, not a cleared dict: a thread still holding the old one cannot put an
        # outdated workspace into the new one.
        generation = _generation = _Generation(version)
    key = (tenant, workspace)
    found = generation.workspaces.get(key)
    if found is None:
        # Fetched after the version was read: at least as new as the version it is filed under.
        found = lookup(tenant, workspace)
        if found is not None and len(generation.workspaces) < MAX_ENTRIES:
            generation.workspaces[key] = found
    return found


def clear() -> None:
    """Forget every cached workspace of this process (tests)."""
    global _generation
    _generation = None
