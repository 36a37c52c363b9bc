"""Resolving ``/{tenant}/{workspace}/`` to a workspace, and the workspace's absolute URLs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from dcr_server.prepared import PreparedLookup
from tenants.cache import cached_workspace
from tenants.context import WorkspaceContext, activate, deactivate
from tenants.models import Workspace

# Every workspace-scoped request starts here: compiled once (dcr_server/prepared.py). A unique
# lookup, so no ORDER BY (the model's ordering would join the tenant table for nothing).
_WORKSPACE_BY_SLUGS: PreparedLookup[Workspace] = PreparedLookup(
    lambda tenant, workspace: (
        Workspace.objects.select_related("tenant", "dcr_settings")
        .filter(tenant__slug=tenant, slug=workspace)
        .order_by()
    ),
    tenant=str,
    workspace=str,
)


class HostAware(Protocol):
    """Django's HttpRequest or DRF's Request: anything that knows its scheme and host."""

    @property
    def scheme(self) -> str | None: ...

    def get_host(self) -> str: ...


def find_workspace(tenant_slug: str, workspace_slug: str) -> Workspace | None:
    """The workspace, its tenant and its DCR settings, read now (a fresh instance)."""
    return _WORKSPACE_BY_SLUGS.first(tenant=tenant_slug, workspace=workspace_slug)


def resolve_workspace(tenant_slug: str, workspace_slug: str) -> Workspace | None:
    """The workspace a request addresses: from this process's cache while the configuration
    version is unchanged (tenants/cache.py), else read now. Shared: never change it in place."""
    return cached_workspace(tenant_slug, workspace_slug, find_workspace)


def parse_label(label: str) -> tuple[str, str]:
    """``tenant/workspace`` -> (tenant, workspace); ValueError when malformed."""
    tenant, sep, workspace = label.strip().partition("/")
    if not sep or not tenant or not workspace or "/" in workspace:
        raise ValueError(f"expected TENANT/WORKSPACE, got {label!r}")
    return tenant, workspace


def base_url(request: HostAware) -> str:
    """Scheme and host every absolute URL starts with (``DCR_PUBLIC_BASE_URL`` wins)."""
    configured: str = getattr(settings, "DCR_PUBLIC_BASE_URL", "")
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{request.get_host()}"


def issuer(request: HostAware, workspace: Workspace) -> str:
    return base_url(request) + workspace.path


def absolute_url(request: HostAware, workspace: Workspace, suffix: str) -> str:
    return issuer(request, workspace) + suffix


def workspace_not_found() -> HttpResponse:
    return JsonResponse(
        {"error": "not_found", "error_description": "No such tenant or workspace."}, status=404
    )


ViewFunc = Callable[..., HttpResponse]


def workspace_view(view: ViewFunc) -> ViewFunc:
    """Resolve ``tenant``/``workspace`` URL kwargs into ``request.workspace`` and the context var."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, *args: Any, tenant: str, workspace: str, **kwargs: Any
    ) -> HttpResponse:
        found = resolve_workspace(tenant, workspace)
        if found is None:
            return workspace_not_found()
        request.workspace = found  # type: ignore[attr-defined]
        token = activate(WorkspaceContext(workspace=found, issuer=issuer(request, found)))
        try:
            return view(request, *args, **kwargs)
        finally:
            deactivate(token)

    return wrapper
