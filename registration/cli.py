"""Shared helpers of the management commands: argument resolution, URLs and JSON output.

Every lookup that can fail raises :class:`CommandError` with a one-line message, so a command
never prints an error and exits 0 (STYLE.md §10).
"""

from __future__ import annotations

import json
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError

from registration.models import Client, DCRSettings
from tenants.models import Workspace
from tenants.resolve import find_workspace, parse_label

DEFAULT_CLI_BASE_URL = "http://127.0.0.1:8000"


def configured_base_url() -> str:
    """``DCR_PUBLIC_BASE_URL`` without its trailing slash, or '' when unset."""
    configured: str = getattr(settings, "DCR_PUBLIC_BASE_URL", "")
    return configured.rstrip("/")


def public_base_url() -> str:
    """Scheme and host the commands print URLs with (``DCR_PUBLIC_BASE_URL`` wins)."""
    return configured_base_url() or DEFAULT_CLI_BASE_URL


class _Writer(Protocol):
    def write(self, msg: str = ..., /) -> Any: ...


def command_base_url(given: str | None, *, stderr: _Writer) -> str:
    """The base URL a command prints endpoints with: ``--base-url``, else ``DCR_PUBLIC_BASE_URL``,
    else the default of ``make run`` (a command has no request to learn the host from), and then
    it says so on stderr, so the printed URL is never taken for a discovered one."""
    if given is not None:
        parts = urlsplit(given.strip())
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
        ):
            raise CommandError(
                f"invalid --base-url {given[:100]!r}: expected scheme and host, "
                "e.g. https://auth.example.com"
            )
        return f"{parts.scheme}://{parts.netloc}"
    configured = configured_base_url()
    if configured:
        return configured
    stderr.write(
        f"Note: neither --base-url nor DCR_PUBLIC_BASE_URL is set; URLs use {DEFAULT_CLI_BASE_URL}\n"
    )
    return DEFAULT_CLI_BASE_URL


def issuer_of(workspace: Workspace, *, base: str | None = None) -> str:
    return (base or public_base_url()) + workspace.path


def workspace_from_label(label: str) -> Workspace:
    """``TENANT/WORKSPACE`` -> the workspace, or CommandError."""
    try:
        tenant_slug, workspace_slug = parse_label(label)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    workspace = find_workspace(tenant_slug, workspace_slug)
    if workspace is None:
        raise CommandError(f"no workspace {tenant_slug}/{workspace_slug}")
    return workspace


def client_from_id(client_id: str) -> Client:
    """The client with this id in any workspace, or CommandError.

    Not a workspace-scoped selector on purpose: generated client ids are unique across
    workspaces and an operator at the command line acts across them. A Client ID Metadata
    Document URL is one client in each workspace that uses it: then the command says so.
    """
    found = (
        list(Client.objects.select_related("workspace__tenant").filter(client_id=client_id)[:2])
        if client_id and "\x00" not in client_id and len(client_id) <= 255
        else []
    )
    if not found:
        raise CommandError(f"no client with client_id {client_id[:100]!r}")
    if len(found) > 1:
        count = Client.objects.filter(client_id=client_id).count()
        raise CommandError(
            f"client_id {client_id[:100]!r} is a client in {count} workspaces; "
            "delete it in the admin of the one you mean"
        )
    return found[0]


def dcr_enabled(workspace: Workspace) -> bool:
    """Whether DCR is on, without creating a missing settings row (a read has no side effect)."""
    try:
        return workspace.dcr_settings.enabled
    except DCRSettings.DoesNotExist:
        return False


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def one_line(text: str) -> str:
    """Collapse whitespace and control characters so one value cannot break a table row."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def table(rows: list[list[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces (the first row is the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def read_json_file(path: str) -> Any:
    """The parsed JSON of ``path``, or a one-line CommandError."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError):
        raise CommandError(f"{path}: not valid JSON") from None
