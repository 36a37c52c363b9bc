"""Writes on tenants and workspaces."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from tenants.models import SLUG_PATTERN, AccessGrant, Tenant, Workspace
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


SUBJECT_TYPES = ("public", "pairwise")


def workspace_update(
    *,
    workspace: Workspace,
    name: str,
    scopes_supported: list[str],
    actor: str | None,
    subject_type: str | None = None,
    resource_indicators: Sequence[str] | None = None,
) -> list[str]:
    """Rename a workspace or change the scopes it offers, its subject type or its resource
    indicators (never its slug: it is the issuer). None leaves a field as it is.

    A change made by ``actor`` (a user name, or ``cli``) is an audit event ``configure`` naming
    the changed fields; ``actor`` None records nothing (a workspace being created).
    """
    from registration import audit  # registration depends on tenants, not vice versa

    if subject_type is not None and subject_type not in SUBJECT_TYPES:
        raise WorkspaceError(f"subject type must be one of {', '.join(SUBJECT_TYPES)}")
    values: dict[str, object] = {"name": name, "scopes_supported": scopes_supported}
    if subject_type is not None:
        values["subject_type"] = subject_type
    if resource_indicators is not None:
        values["resource_indicators"] = checked_resources(resource_indicators)
    with transaction.atomic():
        current = Workspace.objects.select_for_update().get(pk=workspace.pk)
        changed = [field for field, value in values.items() if getattr(current, field) != value]
        if not changed:
            return []
        Workspace.objects.filter(pk=workspace.pk).update(**{f: values[f] for f in changed})
        for field in changed:
            setattr(workspace, field, values[field])
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


def checked_resources(resources: Sequence[str]) -> list[str]:
    """RFC 8707 §2: each an absolute URI without fragment; duplicates dropped, order kept."""
    values = list(dict.fromkeys(resources))
    for value in values:
        problem = resource_problem(value)
        if problem is not None:
            raise WorkspaceError(f"resource {value[:100]!r} {problem}")
    if len(values) > MAX_WORKSPACE_RESOURCES:
        raise WorkspaceError(f"a workspace lists at most {MAX_WORKSPACE_RESOURCES} resources")
    return values


def workspace_resources_set(*, workspace: Workspace, resources: Sequence[str]) -> list[str]:
    """Replace the workspace's RFC 8707 resource indicators (empty: any resource is accepted).

    Each value must be an absolute URI without fragment (RFC 8707 §2); duplicates are dropped.
    """
    values = checked_resources(resources)
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
