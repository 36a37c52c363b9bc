"""``quickstart [--no-serve] [--addrport HOST:PORT]``: what ``make run`` does; idempotent.

Migrates, makes sure ``default/default`` exists with DCR enabled, creates the ``admin`` superuser
the first time (printing its random password once), prints the URLs, then serves.
"""

from __future__ import annotations

import errno
import secrets
import socket
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import UserManager
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from registration.cli import configured_base_url
from registration.selectors import dcr_settings_for
from tenants.models import Workspace
from tenants.resolve import find_workspace
from tenants.services import WorkspaceError, workspace_create

DEFAULT_ADDRPORT = "127.0.0.1:8000"
ADMIN_USERNAME = "admin"
_ANY_ADDRESS = {"0.0.0.0", "::"}  # noqa: S104  # shown as loopback, not bound


def base_from_addrport(addrport: str) -> str:
    """``HOST:PORT`` or ``PORT`` (runserver's forms) -> ``http://HOST:PORT``."""
    host, port = split_addrport(addrport)
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def split_addrport(addrport: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT`` or ``PORT`` -> (host to bind, port); runserver's forms."""
    host, sep, port = addrport.strip().rpartition(":")
    if not sep:
        host, port = "", addrport.strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"invalid --addrport {addrport[:100]!r}: expected HOST:PORT or PORT")
    host = host.strip("[]")
    return ("0.0.0.0" if host in {"", "0"} else host), int(port)  # noqa: S104  # runserver's "0"


def ensure_port_free(addrport: str) -> None:
    """Bind the address once before anything is printed, so a port in use is one line up
    front, not a "Discovery: ..." that claims a server which then fails to start."""
    host, port = split_addrport(addrport)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandError(f"cannot serve on {addrport!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # runserver sets SO_REUSEADDR too: only a live listener makes the bind fail.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use: stop what listens there, "
                    f"or pick another port (make run PORT={port + 1}, or --addrport)"
                ) from None
            raise CommandError(f"cannot serve on {addrport!r}: {exc.strerror}") from None


def ensure_default_workspace() -> Workspace:
    """``default/default`` (made by migrate; recreated if someone deleted it) with DCR enabled."""
    with transaction.atomic():
        workspace = find_workspace("default", "default")
        if workspace is None:
            try:
                workspace = workspace_create(
                    tenant_slug="default", workspace_slug="default", name="Default"
                )
            except WorkspaceError as exc:
                raise CommandError(str(exc)) from None
        dcr = dcr_settings_for(workspace=workspace)
        if not dcr.enabled:
            dcr.enabled = True
            dcr.save(update_fields=["enabled", "updated_at"])
    return workspace


def ensure_admin() -> str | None:
    """Create the ``admin`` superuser the first time; its password, or None if it existed."""
    user_model = get_user_model()
    manager: UserManager[Any] = user_model._default_manager
    if manager.filter(**{user_model.USERNAME_FIELD: ADMIN_USERNAME}).exists():
        return None
    password = secrets.token_urlsafe(16)
    manager.create_superuser(ADMIN_USERNAME, email="", password=password)
    return password


class Command(BaseCommand):
    help = "Migrate, prepare default/default with DCR enabled and an admin user, then serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="prepare only, do not serve")
        parser.add_argument(
            "--addrport",
            default=DEFAULT_ADDRPORT,
            help=f"where to serve (default {DEFAULT_ADDRPORT})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        addrport: str = options["addrport"]
        listen_base = base_from_addrport(addrport)
        if not options["no_serve"]:
            ensure_port_free(addrport)
        call_command("migrate", interactive=False, verbosity=0)
        workspace = ensure_default_workspace()
        password = ensure_admin()

        if password is None:
            self.stdout.write(f"Admin user {ADMIN_USERNAME!r} already exists (password unchanged).")
        else:
            self.stdout.write(f"Created admin user: {ADMIN_USERNAME}")
            self.stdout.write(f"Password (shown once): {password}")
        base = configured_base_url() or listen_base
        self.stdout.write(f"Discovery: {base}{workspace.path}/.well-known/openid-configuration")
        self.stdout.write(f"Admin:     {base}/admin/")
        if not options["no_serve"]:
            call_command("runserver", addrport, use_reloader=False)
