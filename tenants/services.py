"""Writes on tenants and workspaces."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction

from tenants.models import SLUG_PATTERN, Tenant, Workspace
from tenants.resource_indicators import MAX_WORKSPACE_RESOURCES, resource_problem

# First path segments the project routes itself; a tenant cannot take them.
RESERVED_TENANT_SLUGS = frozenset({"admin", "accounts", "static", "well-known"})


class WorkspaceError(ValueError):
    """A workspace cannot be created or changed as asked (bad name, taken, reserved, bad value)."""


def _check_slug(kind: str, slug: str) -> None:
    if not re.fullmatch(SLUG_PATTERN, slug):
        raise WorkspaceError(
            f"invalid {kind} name {slug[:70]!r}: use 1-63 lower-case letters, digits and inner hyphens"
        )


def workspace_create(*, tenant_slug: str, workspace_slug: str, name: str = "") -> Workspace:
    from registration.models import DCRSettings  # registration depends on tenants, not vice versa

    _check_slug("tenant", tenant_slug)
    _check_slug("workspace", workspace_slug)
    if tenant_slug in RESERVED_TENANT_SLUGS:
        raise WorkspaceError(f"tenant name {tenant_slug!r} is reserved")
    with transaction.atomic():
        tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": tenant_slug})
        if Workspace.objects.filter(tenant=tenant, slug=workspace_slug).exists():
            raise WorkspaceError(f"workspace {tenant_slug}/{workspace_slug} already exists")
        workspace = Workspace.objects.create(
            tenant=tenant, slug=workspace_slug, name=name or workspace_slug
        )
        DCRSettings.objects.create(workspace=workspace)
    return workspace


def workspace_resources_set(*, workspace: Workspace, resources: Sequence[str]) -> list[str]:
    """Replace the workspace's RFC 8707 resource indicators (empty: any resource is accepted).

    Each value must be an absolute URI without fragment (RFC 8707 §2); duplicates are dropped.
    """
    values = list(dict.fromkeys(resources))
    for value in values:
        problem = resource_problem(value)
        if problem is not None:
            raise WorkspaceError(f"resource {value[:100]!r} {problem}")
    if len(values) > MAX_WORKSPACE_RESOURCES:
        raise WorkspaceError(f"a workspace lists at most {MAX_WORKSPACE_RESOURCES} resources")
    with transaction.atomic():
        Workspace.objects.filter(pk=workspace.pk).update(resource_indicators=values)
    workspace.resource_indicators = values
    return values


def workspace_resources_update(
    *, workspace: Workspace, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> list[str]:
    """Add and remove resource indicators (``workspace resources --add/--remove``)."""
    with transaction.atomic():
        # Read and write under a row lock: two concurrent edits cannot lose one another.
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        current = list(locked.resource_indicators or [])
        for value in remove:
            if value not in current:
                raise WorkspaceError(f"resource {value[:100]!r} is not listed")
            current.remove(value)
        values = workspace_resources_set(workspace=locked, resources=current + list(add))
    workspace.resource_indicators = values
    return values
