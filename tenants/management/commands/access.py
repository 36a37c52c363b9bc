"""``access grant|revoke|list``: who administers which tenant or workspace (CONTRACT "Tenant
administration")."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q

from tenants.models import AccessGrant, Tenant, Workspace
from tenants.services import access_grant, access_revoke

PASSWORD_BYTES = 24  # secrets.token_urlsafe: 32 characters, 192 bits


def _scope(label: str) -> tuple[Tenant, Workspace | None]:
    """``TENANT`` or ``TENANT/WORKSPACE`` -> the tenant and the workspace (None: whole tenant)."""
    tenant_slug, sep, workspace_slug = label.strip().partition("/")
    if not tenant_slug or (sep and (not workspace_slug or "/" in workspace_slug)):
        raise CommandError(f"expected TENANT or TENANT/WORKSPACE, got {label[:100]!r}")
    tenant = Tenant.objects.filter(slug=tenant_slug).first()
    if tenant is None:
        raise CommandError(f"no tenant {tenant_slug[:63]!r}")
    if not sep:
        return tenant, None
    workspace = Workspace.objects.filter(tenant=tenant, slug=workspace_slug).first()
    if workspace is None:
        raise CommandError(f"no workspace {tenant_slug[:63]}/{workspace_slug[:63]}")
    return tenant, workspace


def _user(username: str) -> AbstractBaseUser:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user {username[:150]!r} (add --create to make a staff user)")
    return user


class Command(BaseCommand):
    help = "Grant, revoke and list administrators' roles in tenants and workspaces."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        grant = actions.add_parser("grant", help="give a user a role in a tenant or workspace")
        grant.add_argument("username", metavar="USERNAME")
        grant.add_argument("scope", metavar="TENANT[/WORKSPACE]")
        grant.add_argument("--role", required=True, choices=AccessGrant.Role.values)
        grant.add_argument(
            "--create",
            action="store_true",
            help="make a staff user when missing; prints its random password once (JSON)",
        )
        revoke = actions.add_parser("revoke", help="remove a user's role in a scope")
        revoke.add_argument("username", metavar="USERNAME")
        revoke.add_argument("scope", metavar="TENANT[/WORKSPACE]")
        listing = actions.add_parser("list", help="the grants, of one scope or all")
        listing.add_argument("scope", metavar="TENANT[/WORKSPACE]", nargs="?")
        listing.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "grant": self._grant,
            "revoke": self._revoke,
            "list": self._list,
        }
        handlers[options["action"]](options)

    def _grant(self, options: dict[str, Any]) -> None:
        tenant, workspace = _scope(options["scope"])
        username: str = options["username"]
        model = get_user_model()
        with transaction.atomic():
            user = model.objects.filter(username=username).first()
            password = None
            if user is None:
                if not options["create"]:
                    raise CommandError(
                        f"no user {username[:150]!r} (add --create to make a staff user)"
                    )
                try:
                    model.username_validator(username)
                except ValidationError:
                    raise CommandError(f"invalid username {username[:150]!r}") from None
                password = secrets.token_urlsafe(PASSWORD_BYTES)
                user = model.objects.create_user(
                    username=username, password=password, is_staff=True
                )
            elif not user.is_staff:
                raise CommandError(f"user {username[:150]!r} is not staff: cannot use the admin")
            grant = access_grant(
                user=user, tenant=tenant, workspace=workspace, role=options["role"]
            )
        if password is not None:
            # Shown once: only its hash is stored.
            self.stdout.write(json.dumps({"username": username, "password": password}))
        else:
            self.stdout.write(f"{username} is now {grant.role} of {grant.scope}.")

    def _revoke(self, options: dict[str, Any]) -> None:
        tenant, workspace = _scope(options["scope"])
        user = _user(options["username"])
        label = workspace.label if workspace is not None else tenant.slug
        if not access_revoke(user=user, tenant=tenant, workspace=workspace):
            raise CommandError(f"{options['username'][:150]} has no grant on {label}")
        self.stdout.write(f"Revoked {options['username']}'s grant on {label}.")

    def _list(self, options: dict[str, Any]) -> None:
        grants = AccessGrant.objects.select_related("user", "tenant", "workspace__tenant")
        if options["scope"]:
            tenant, workspace = _scope(options["scope"])
            grants = grants.filter(tenant=tenant)
            if workspace is not None:  # who reaches it: its own grants and the tenant's
                grants = grants.filter(Q(workspace=workspace) | Q(workspace__isnull=True))
        rows = [
            {"username": g.user.get_username(), "scope": g.scope, "role": g.role} for g in grants
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No grants.")
            return
        width = max(len(row["username"]) for row in rows)
        scope_width = max(len(row["scope"]) for row in rows)
        self.stdout.write(f"{'USERNAME':<{width}}  {'SCOPE':<{scope_width}}  ROLE")
        for row in rows:
            self.stdout.write(
                f"{row['username']:<{width}}  {row['scope']:<{scope_width}}  {row['role']}"
            )
