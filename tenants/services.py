"""Writes on tenants and workspaces."""

from __future__ import annotations

import re

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from tenants.models import SLUG_PATTERN, AccessGrant, Tenant, Workspace

# First path segments the project routes itself; a tenant cannot take them.
RESERVED_TENANT_SLUGS = frozenset({"admin", "accounts", "static", "well-known"})


class WorkspaceError(ValueError):
    """A workspace cannot be created as asked (bad name, taken, reserved)."""


def _check_slug(kind: str, slug: str) -> None:
    if not re.fullmatch(SLUG_PATTERN, slug):
        raise WorkspaceError(
            f"invalid {kind} name {slug[:70]!r}: use 1-63 lower-case letters, digits and inner hyphens"
        )


def check_tenant_slug(slug: str) -> None:
    """WorkspaceError unless ``slug`` can name a tenant (pattern, not a reserved path)."""
    _check_slug("tenant", slug)
    if slug in RESERVED_TENANT_SLUGS:
        raise WorkspaceError(f"tenant name {slug!r} is reserved")


def check_workspace_slug(slug: str) -> None:
    _check_slug("workspace", slug)


def tenant_create(*, slug: str, name: str = "") -> Tenant:
    check_tenant_slug(slug)
    with transaction.atomic():
        if Tenant.objects.filter(slug=slug).exists():
            raise WorkspaceError(f"tenant {slug} already exists")
        return Tenant.objects.create(slug=slug, name=name or slug)


def workspace_update(
    *, workspace: Workspace, name: str, scopes_supported: list[str], actor: str | None
) -> list[str]:
    """Rename a workspace or change the scopes it offers (never its slug: it is the issuer).

    A change made by ``actor`` (a user name, or ``cli``) is an audit event ``configure`` naming
    the changed fields; ``actor`` None records nothing (a workspace being created).
    """
    from registration import audit  # registration depends on tenants, not vice versa

    with transaction.atomic():
        current = Workspace.objects.select_for_update().get(pk=workspace.pk)
        changed = [
            field
            for field, value in (("name", name), ("scopes_supported", scopes_supported))
            if getattr(current, field) != value
        ]
        if not changed:
            return []
        Workspace.objects.filter(pk=workspace.pk).update(
            name=name, scopes_supported=scopes_supported
        )
        workspace.name, workspace.scopes_supported = name, scopes_supported
        if actor is not None:
            audit.record_configure(workspace=workspace, actor=actor, changed=changed)
    return changed


def workspace_create(*, tenant_slug: str, workspace_slug: str, name: str = "") -> Workspace:
    from registration.models import DCRSettings  # registration depends on tenants, not vice versa

    check_tenant_slug(tenant_slug)
    check_workspace_slug(workspace_slug)
    with transaction.atomic():
        tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": tenant_slug})
        if Workspace.objects.filter(tenant=tenant, slug=workspace_slug).exists():
            raise WorkspaceError(f"workspace {tenant_slug}/{workspace_slug} already exists")
        workspace = Workspace.objects.create(
            tenant=tenant, slug=workspace_slug, name=name or workspace_slug
        )
        DCRSettings.objects.create(workspace=workspace)
    return workspace


def access_grant(
    *, user: AbstractBaseUser, tenant: Tenant, workspace: Workspace | None, role: str
) -> AccessGrant:
    """Give ``user`` ``role`` in a tenant (``workspace`` None) or one workspace; a second grant
    on the same scope replaces the role."""
    if role not in AccessGrant.Role.values:
        raise ValueError(f"role must be one of {', '.join(AccessGrant.Role.values)}")
    if workspace is not None and workspace.tenant_id != tenant.pk:
        raise ValueError(f"workspace {workspace.label} is not in tenant {tenant.slug}")
    with transaction.atomic():
        grant, _ = AccessGrant.objects.update_or_create(
            user_id=user.pk, tenant=tenant, workspace=workspace, defaults={"role": role}
        )
    return grant


def access_revoke(*, user: AbstractBaseUser, tenant: Tenant, workspace: Workspace | None) -> bool:
    """Remove the user's grant on exactly this scope; False when there was none."""
    deleted, _ = AccessGrant.objects.filter(
        user_id=user.pk, tenant=tenant, workspace=workspace
    ).delete()
    return bool(deleted)
