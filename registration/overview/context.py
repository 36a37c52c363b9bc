"""The overview's template context: the numbers and their pictures, for one workspace."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import mark_safe

from registration.overview import charts, selectors
from tenants.models import Workspace


def workspace_overview_context(workspace: Workspace) -> dict[str, Any]:
    """What ``registration/overview/charts.html`` renders: two SVG charts and their tables.

    Two queries (one per chart). The SVG is built by ``charts``, which escapes every text it
    writes, so it is marked safe here and nowhere else.
    """
    days = selectors.registrations_per_day(workspace=workspace)
    sources = selectors.clients_by_source(workspace=workspace)
    label = workspace.label
    return {
        "overview_workspace": label,
        "overview_days": days,
        "overview_sources": sources,
        "overview_registered_total": sum(d.registered for d in days),
        "overview_refused_total": sum(d.refused for d in days),
        "overview_clients_total": sum(s.count for s in sources),
        "overview_daily_svg": mark_safe(  # noqa: S308 - charts.py escapes every text
            charts.daily_chart(
                days,
                ident="overview-daily",
                title=f"Registrations and refusals per day, last {len(days)} days, {label}",
            )
        ),
        "overview_sources_svg": mark_safe(  # noqa: S308 - charts.py escapes every text
            charts.bar_chart(sources, ident="overview-sources", title=f"Clients by source, {label}")
        ),
    }
