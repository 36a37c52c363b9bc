"""The scope rule: which workspaces an administrator may see and change (CONTRACT "Tenant
administration").

Every admin page reaches tenant data through this module only (STYLE.md item 11, after Zulip's
``access_stream_by_id``): ``workspaces_for`` / ``for_user`` build the querysets lists, filters,
searches, counts and form choices start from; ``get_for_user`` resolves one object *for this
user* and raises 404 when it is outside the user's scope, or 403 when the user may only read it
and asked to change it. A page that builds its own queryset is a bug.

Superusers see and change everything. A staff user with no grant sees no tenant's data. Django's
model permissions are not consulted for tenant data: the grant is the authority, so a stray
``change_client`` permission cannot reach another tenant.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from tenants.models import AccessGrant, Tenant, Workspace

M = TypeVar("M", bound=Model)
User = AbstractBaseUser | AnonymousUser

ADMIN = AccessGrant.Role.ADMIN
VIEWER = AccessGrant.Role.VIEWER


def is_superuser(user: User) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def _grants(user: User) -> QuerySet[AccessGrant]:
    pk = user.pk
    if pk is None or not getattr(user, "is_active", False) or not getattr(user, "is_staff", False):
        return AccessGrant.objects.none()  # the console is for active staff only
    return AccessGrant.objects.filter(user_id=pk)


def _scope_filter(user: User, *, change: bool, prefix: str = "") -> Q | None:
    """A Q over Workspace (``prefix`` leads to it) for the user's grants; None: everything."""
    if is_superuser(user):
        return None
    grants = _grants(user)
    if change:
        grants = grants.filter(role=ADMIN)
    rows = list(grants.values_list("tenant_id", "workspace_id"))
    tenants = {tenant for tenant, workspace in rows if workspace is None}
    workspaces = {workspace for _tenant, workspace in rows if workspace is not None}
    return Q(**{f"{prefix}tenant_id__in": sorted(tenants)}) | Q(
        **{f"{prefix}pk__in": sorted(workspaces)}
    )


def workspaces_for(user: User, *, change: bool = False) -> QuerySet[Workspace]:
    """The workspaces ``user`` may see (``change``: may change), tenant first."""
    found = Workspace.objects.select_related("tenant")
    rule = _scope_filter(user, change=change)
    return found if rule is None else found.filter(rule)


def tenants_for(user: User, *, change: bool = False) -> QuerySet[Tenant]:
    """Tenants with at least one visible workspace, or a tenant grant (``change``: tenant
    admins, who alone may add workspaces to it)."""
    if is_superuser(user):
        return Tenant.objects.all()
    grants = _grants(user)
    if change:
        return Tenant.objects.filter(
            pk__in=grants.filter(role=ADMIN, workspace__isnull=True).values("tenant_id")
        )
    return Tenant.objects.filter(
        Q(pk__in=grants.values("tenant_id")) | Q(workspaces__in=workspaces_for(user))
    ).distinct()


def for_user(
    user: User, queryset: QuerySet[M], *, path: str = "workspace", change: bool = False
) -> QuerySet[M]:
    """``queryset`` narrowed to rows whose workspace (reached by ``path``) is in scope.

    ``path`` is the lookup from the model to its Workspace: ``workspace`` for clients and
    events, ``application__workspace`` for tokens, ``""`` for Workspace itself.
    """
    prefix = f"{path}__" if path else ""
    rule = _scope_filter(user, change=change, prefix=prefix)
    return queryset if rule is None else queryset.filter(rule)


def role_for(user: User, workspace: Workspace) -> str | None:
    """``admin``, ``viewer`` or None: the strongest grant covering ``workspace``."""
    if is_superuser(user):
        return ADMIN
    roles = set(
        _grants(user)
        .filter(Q(tenant_id=workspace.tenant_id, workspace__isnull=True) | Q(workspace=workspace))
        .values_list("role", flat=True)
    )
    if ADMIN in roles:
        return ADMIN
    return VIEWER if VIEWER in roles else None


def can_change(user: User, workspace: Workspace) -> bool:
    return role_for(user, workspace) == ADMIN


def has_any_scope(user: User) -> bool:
    return is_superuser(user) or _grants(user).exists()


def get_for_user(
    user: User,
    queryset: QuerySet[M],
    pk: Any,
    *,
    path: str = "workspace",
    change: bool = False,
) -> M:
    """The object ``pk`` of ``queryset`` if ``user`` may see it (404 otherwise, so its
    existence is not revealed); with ``change``, 403 when the user may only read it."""
    try:
        found = for_user(user, queryset, path=path).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("No such object in your scope.") from None
    if change:
        workspace = workspace_of(found, path)
        if workspace is not None and not can_change(user, workspace):
            raise PermissionDenied
    return found


def get_workspace_for(user: User, pk: Any, *, change: bool = False) -> Workspace:
    return get_for_user(
        user, Workspace.objects.select_related("tenant"), pk, path="", change=change
    )


def workspace_of(obj: Model, path: str) -> Workspace | None:
    """The workspace ``obj`` belongs to, following ``path`` (see ``for_user``)."""
    target: Any = obj
    for step in path.split("__") if path else ():
        target = getattr(target, step, None)
    return target if isinstance(target, Workspace) else None
