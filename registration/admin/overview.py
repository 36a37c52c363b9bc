"""A workspace's landing page: its issuer, DCR status and role, then the charts of the last 30
days (registrations and refusals per day, clients by source) from ``registration.overview``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from registration.admin import navigation
from registration.overview.context import workspace_overview_context
from registration.selectors import dcr_settings_for
from tenants import access
from tenants.models import Workspace

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


def workspace_overview(
    request: HttpRequest, *, workspace: Workspace, model_admin: ModelAdmin[Any]
) -> HttpResponse:
    """``workspace`` is already resolved for this user (``access.get_workspace_for``)."""
    navigation.remember(request, workspace)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": navigation.OVERVIEW,
        "subtitle": workspace.label,
        "workspace": workspace,
        "role": access.role_for(request.user, workspace),
        "dcr": dcr_settings_for(workspace=workspace),
        "issuer": request.build_absolute_uri(workspace.path),
        **workspace_overview_context(workspace),  # the charts (two queries)
        "registration_url": navigation.registration_url(workspace),
        "applications_url": navigation.applications_url(workspace),
        "audit_url": navigation.audit_url(workspace),
    }
    return TemplateResponse(request, "admin/console/overview.html", context)
