"""A workspace's landing page: its issuer, DCR status, clients by source, the last 30 days."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from registration.admin import navigation
from registration.models import AuditEvent, Client
from registration.selectors import dcr_settings_for
from tenants import access
from tenants.models import Workspace

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

DAYS = 30


def workspace_overview(
    request: HttpRequest, *, workspace: Workspace, model_admin: ModelAdmin[Any]
) -> HttpResponse:
    """``workspace`` is already resolved for this user (``access.get_workspace_for``)."""
    navigation.remember(request, workspace)
    since = timezone.now() - timedelta(days=DAYS)
    by_source = dict(
        Client.objects.filter(workspace=workspace)
        .values_list("registration_source")
        .annotate(n=Count("pk"))
        .values_list("registration_source", "n")
    )
    recent = AuditEvent.objects.filter(workspace=workspace, time__gte=since)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": navigation.OVERVIEW,
        "subtitle": workspace.label,
        "workspace": workspace,
        "role": access.role_for(request.user, workspace),
        "dcr": dcr_settings_for(workspace=workspace),
        "issuer": request.build_absolute_uri(workspace.path),
        "clients_by_source": sorted(by_source.items()),
        "clients_total": sum(by_source.values()),
        "registrations": recent.filter(event=AuditEvent.Event.REGISTER).count(),
        "refusals": recent.filter(event=AuditEvent.Event.REFUSED).count(),
        "days": DAYS,
        "registration_url": navigation.registration_url(workspace),
        "applications_url": navigation.applications_url(workspace),
        "audit_url": navigation.audit_url(workspace),
    }
    return TemplateResponse(request, "admin/console/overview.html", context)
