"""Writes on tenants and workspaces."""

from __future__ import annotations

import re

from django.db import transaction

from tenants.models import SLUG_PATTERN, Tenant, Workspace

# First path segments the project routes itself; a tenant cannot take them.
RESERVED_TENANT_SLUGS = frozenset({"admin", "accounts", "static", "well-known"})


class WorkspaceError(ValueError):
    """A workspace cannot be created as asked (bad name, taken, reserved)."""


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
