"""The template include: both charts for one workspace, from one context function."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.template.loader import render_to_string
from django.utils import timezone

from registration.overview.context import workspace_overview_context
from tenants.models import Workspace
from tests.overview.conftest import AddClient, AddEvent


def test_context_takes_two_queries(
    workspace: Workspace,
    add_event: AddEvent,
    add_client: AddClient,
    django_assert_num_queries: object,
) -> None:
    add_event(workspace, "register", at=timezone.now())
    add_client(workspace, "dcr")
    loaded = Workspace.objects.select_related("tenant").get(pk=workspace.pk)
    with django_assert_num_queries(2):  # type: ignore[operator]
        context = workspace_overview_context(loaded)
    assert context["overview_registered_total"] == 1
    assert context["overview_clients_total"] == 1


def test_include_renders_both_charts_and_their_tables(
    workspace: Workspace,
    other_workspace: Workspace,
    add_event: AddEvent,
    add_client: AddClient,
) -> None:
    add_event(workspace, "register", at=timezone.now())
    add_event(workspace, "refused", operation="register", at=timezone.now())
    add_event(other_workspace, "register", at=timezone.now())
    add_client(workspace, "dcr")
    add_client(workspace, "manual")
    add_client(other_workspace, "cimd")
    html = render_to_string(
        "registration/overview/charts.html", workspace_overview_context(workspace)
    )
    assert html.count("<svg ") == 2
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "1 registered, 1 refused." in html
    assert "Clients by how they were registered: 2 in all." in html
    assert "<td>DCR</td><td>1</td>" in html and "CIMD" not in html
    assert "/static/registration/overview/overview.css" in html
    for start in [i for i in range(len(html)) if html.startswith("<svg ", i)]:
        ET.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])


def test_a_hostile_source_value_is_escaped_in_the_page(
    workspace: Workspace, add_client: AddClient
) -> None:
    add_client(workspace, "<script>alert(1)</script>")
    html = render_to_string(
        "registration/overview/charts.html", workspace_overview_context(workspace)
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
