"""The console's navigation: the workspace switcher and the sidebar of the current workspace.

The current workspace comes from the page (a workspace URL, an object of that workspace, a list
filtered by it), else from the session (the last one visited), else the first one in scope. It
is always one of ``tenants.access.workspaces_for(user)``: the switcher lists nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from tenants import access
from tenants.models import Workspace

if TYPE_CHECKING:
    from registration.admin.site import ConsoleSite

SESSION_KEY = "console_workspace"
WORKSPACE_PARAM = "workspace__id__exact"
# The Client Registration page's tabs: (key, label).
TABS = (
    ("dcr", "DCR"),
    ("registrar", "Registrar clients"),
    ("test", "Test policy"),
    ("events", "Recent events"),
)
# Sidebar and page names: one name per page (the title and the breadcrumb use the same).
APPLICATIONS = "Applications"
SIGNING_KEYS = "Signing keys"
AUDIT = "Audit"
CLIENT_REGISTRATION = "Client Registration"
OVERVIEW = "Overview"


@dataclass
class Link:
    name: str
    url: str
    current: bool = False
    children: list[Link] = field(default_factory=list)


def remember(request: HttpRequest, workspace: Workspace) -> None:
    """The page shows ``workspace``: it becomes the current one (already checked in scope)."""
    request.console_workspace = workspace  # type: ignore[attr-defined]


def _wanted_pk(request: HttpRequest) -> Any:
    shown = getattr(request, "console_workspace", None)
    if shown is not None:
        return shown.pk
    match = request.resolver_match
    if match is not None and "workspace_pk" in match.kwargs:
        return match.kwargs["workspace_pk"]
    if WORKSPACE_PARAM in request.GET:
        return request.GET[WORKSPACE_PARAM]
    return request.session.get(SESSION_KEY)


def current_workspace(request: HttpRequest, visible: list[Workspace]) -> Workspace | None:
    wanted = str(_wanted_pk(request) or "")
    workspace = next((ws for ws in visible if str(ws.pk) == wanted), None)
    if workspace is None:
        workspace = next(
            (ws for ws in visible if ws.pk == request.session.get(SESSION_KEY)),
            visible[0] if visible else None,
        )
    if workspace is not None and request.session.get(SESSION_KEY) != workspace.pk:
        request.session[SESSION_KEY] = workspace.pk
    return workspace


def overview_url(workspace: Workspace) -> str:
    return reverse("admin:tenants_workspace_overview", args=[workspace.pk])


def registration_url(workspace: Workspace, tab: str = "dcr") -> str:
    url = reverse("admin:registration_client_registration", args=[workspace.pk])
    return url if tab == "dcr" else f"{url}?tab={tab}"


def filtered(name: str, workspace: Workspace) -> str:
    return f"{reverse(name)}?{WORKSPACE_PARAM}={workspace.pk}"


def applications_url(workspace: Workspace) -> str:
    return filtered("admin:registration_client_changelist", workspace)


def audit_url(workspace: Workspace) -> str:
    return filtered("admin:registration_auditevent_changelist", workspace)


def _sections(request: HttpRequest, workspace: Workspace) -> list[Link]:
    path = request.path
    tab = request.GET.get("tab", "dcr")
    registration = registration_url(workspace)
    on_registration = path == registration
    tabs = [
        Link(label, registration_url(workspace, key), on_registration and tab == key)
        for key, label in TABS
    ]
    links = [
        Link(OVERVIEW, overview_url(workspace), path == overview_url(workspace)),
        Link(
            "OAuth",
            "",
            children=[
                Link(
                    "Authorization Server",
                    "",
                    children=[Link(CLIENT_REGISTRATION, registration, on_registration, tabs)],
                )
            ],
        ),
        Link(
            APPLICATIONS,
            applications_url(workspace),
            path.startswith(reverse("admin:registration_client_changelist")),
        ),
        Link(
            SIGNING_KEYS,
            filtered("admin:tenants_signingkey_changelist", workspace),
            path.startswith(reverse("admin:tenants_signingkey_changelist")),
        ),
        Link(
            AUDIT,
            audit_url(workspace),
            path.startswith(reverse("admin:registration_auditevent_changelist")),
        ),
    ]
    return links


def _administration(request: HttpRequest, site: ConsoleSite) -> list[Link]:
    path = request.path
    links = []
    for name, url_name in (
        ("Tenants", "admin:tenants_tenant_changelist"),
        ("Workspaces", "admin:tenants_workspace_changelist"),
    ):
        url = reverse(url_name)
        links.append(Link(name, url, path.startswith(url) and not path.endswith("/overview/")))
    return links


def _advanced(request: HttpRequest, site: ConsoleSite) -> list[Link]:
    links = []
    for model, name, _url in site.advanced_models(request):
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        links.append(Link(name, url, request.path.startswith(url)))
    return links


def console_context(request: HttpRequest, site: ConsoleSite) -> dict[str, Any]:
    """``console`` in every admin template: switcher, sections, administration, advanced."""
    if not getattr(request.user, "is_staff", False):
        return {}
    visible = list(access.workspaces_for(request.user))
    workspace = current_workspace(request, visible)
    return {
        "workspaces": [(ws, overview_url(ws)) for ws in visible],
        "workspace": workspace,
        "role": access.role_for(request.user, workspace) if workspace is not None else None,
        "sections": _sections(request, workspace) if workspace is not None else [],
        "administration": _administration(request, site)
        if visible or access.is_superuser(request.user)
        else [],
        "advanced": _advanced(request, site),
    }


def workspace_rows(request: HttpRequest) -> list[dict[str, Any]]:
    """The index: every workspace in scope with its role, DCR status and client counts."""
    found = (
        access.workspaces_for(request.user)
        .select_related("dcr_settings")
        .annotate(
            clients_total=Count("clients", distinct=True),
            clients_dcr=Count(
                "clients", filter=Q(clients__registration_source="dcr"), distinct=True
            ),
        )
    )
    return [
        {
            "workspace": ws,
            "url": overview_url(ws),
            "role": access.role_for(request.user, ws),
            "enabled": getattr(getattr(ws, "dcr_settings", None), "enabled", False),
            "clients": ws.clients_total,
            "clients_dcr": ws.clients_dcr,
        }
        for ws in found
    ]
