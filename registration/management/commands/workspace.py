"""``workspace create TENANT/WORKSPACE [--name NAME]``, ``workspace list [--json]`` and
``workspace resources TENANT/WORKSPACE [--add URI] [--remove URI] [--json]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registration.cli import dcr_enabled, issuer_of, table, to_json, workspace_from_label
from tenants.models import Workspace
from tenants.resolve import parse_label
from tenants.services import WorkspaceError, workspace_create, workspace_resources_update


class Command(BaseCommand):
    help = "Create and list workspaces (one authorization server each)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="create a workspace (and its tenant if new)")
        create.add_argument("label", metavar="TENANT/WORKSPACE")
        create.add_argument("--name", default="", help="display name (default: the slug)")
        listing = actions.add_parser("list", help="list every workspace")
        listing.add_argument("--json", action="store_true", help="print a JSON list")
        resources = actions.add_parser(
            "resources",
            help="show or change the RFC 8707 resource indicators tokens may be issued for",
        )
        resources.add_argument("label", metavar="TENANT/WORKSPACE")
        resources.add_argument(
            "--add", action="append", default=[], metavar="URI", help="allow this resource"
        )
        resources.add_argument(
            "--remove", action="append", default=[], metavar="URI", help="stop allowing it"
        )
        resources.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self._create(options["label"], name=options["name"])
        elif options["action"] == "resources":
            self._resources(
                options["label"],
                add=options["add"],
                remove=options["remove"],
                as_json=options["json"],
            )
        else:
            self._list(as_json=options["json"])

    def _resources(self, label: str, *, add: list[str], remove: list[str], as_json: bool) -> None:
        workspace = workspace_from_label(label)
        values = list(workspace.resource_indicators or [])
        if add or remove:
            try:
                values = workspace_resources_update(workspace=workspace, add=add, remove=remove)
            except WorkspaceError as exc:
                raise CommandError(str(exc)) from None
        if as_json:
            self.stdout.write(to_json(values))
            return
        if not values:
            self.stdout.write(
                f"{workspace.label}: no resource indicators (any resource is accepted)"
            )
            return
        for value in values:
            self.stdout.write(value)

    def _create(self, label: str, *, name: str) -> None:
        try:
            tenant_slug, workspace_slug = parse_label(label)
            workspace = workspace_create(
                tenant_slug=tenant_slug, workspace_slug=workspace_slug, name=name
            )
        except (ValueError, WorkspaceError) as exc:  # WorkspaceError is a ValueError too
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created workspace {workspace.label}")
        self.stdout.write(f"Issuer: {issuer_of(workspace)}")

    def _list(self, *, as_json: bool) -> None:
        workspaces = list(Workspace.objects.select_related("tenant", "dcr_settings"))
        if as_json:
            data = [
                {
                    "tenant": ws.tenant.slug,
                    "workspace": ws.slug,
                    "issuer": issuer_of(ws),
                    "dcr_enabled": dcr_enabled(ws),
                }
                for ws in workspaces
            ]
            self.stdout.write(to_json(data))
            return
        if not workspaces:
            self.stdout.write("No workspaces.")
            return
        rows = [["WORKSPACE", "DCR", "ISSUER"]]
        rows += [
            [ws.label, "enabled" if dcr_enabled(ws) else "disabled", issuer_of(ws)]
            for ws in workspaces
        ]
        for line in table(rows):
            self.stdout.write(line)
