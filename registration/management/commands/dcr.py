"""``dcr show|configure|clients|reissue-token|delete|cleanup``: DCR administration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware, make_aware

from registration import audit, maintenance, services
from registration.cli import (
    client_from_id,
    command_base_url,
    one_line,
    read_json_file,
    table,
    to_json,
    workspace_from_label,
)
from registration.configuration import (
    MAX_RAT_TTL,
    MIN_RAT_TTL,
    ConfigurationError,
    KeySetChange,
    PolicyChange,
    SettingsChange,
    dcr_configure,
    dcr_settings_data,
)
from registration.dry_run import policy_dry_run
from registration.jose.errors import KeySetError
from registration.jose.keysets import load_jwks_file
from registration.models import Client
from registration.selectors import clients_list, dcr_settings_for


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _source(client: Client) -> str:
    # CONTRACT: `dcr` for dynamically registered clients, `cimd` for clients of a Client ID
    # Metadata Document, `manual` otherwise.
    if client.registration_source in (
        Client.RegistrationSource.DCR,
        Client.RegistrationSource.CIMD,
    ):
        return str(client.registration_source)
    return "manual"


def _host_list(value: str | None) -> tuple[str, ...] | None:
    """``"a.example, *.b.example"`` -> the patterns; ``""`` -> () (any public host)."""
    if value is None:
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _client_data(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "client_name": client.name,
        "registration_source": _source(client),
        "created_at": _iso(client.created),
        "last_used_at": _iso(client.last_used_at),
    }


def _key_set_flags(parser: CommandParser, flag: str, what: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(f"--{flag}-jwks", metavar="FILE", help=f"a JWKS file verifying {what}")
    group.add_argument(f"--{flag}-jwks-uri", metavar="URL", help=f"a JWKS URI verifying {what}")
    group.add_argument(f"--no-{flag}", action="store_true", help=f"stop requiring {what}")


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"--since {value[:60]!r} is not an ISO 8601 date-time")
    return moment if is_aware(moment) else make_aware(moment, UTC)


def _policy_change(options: dict[str, Any]) -> PolicyChange | None:
    if options["no_policy"]:
        return PolicyChange(document=None)
    if options["policy"] is None:
        return None
    return PolicyChange(document=read_json_file(options["policy"]))


def _key_set_change(options: dict[str, Any], name: str) -> KeySetChange | None:
    """``--NAME-jwks FILE`` / ``--NAME-jwks-uri URL`` / ``--no-NAME`` -> the change, if any."""
    if options[f"no_{name}"]:
        return KeySetChange()
    if options[f"{name}_jwks_uri"] is not None:
        return KeySetChange(jwks_uri=options[f"{name}_jwks_uri"])
    path = options[f"{name}_jwks"]
    if path is None:
        return None
    try:
        return KeySetChange(jwks=load_jwks_file(path))
    except KeySetError as exc:
        raise CommandError(f"{path}: {exc}") from None


class Command(BaseCommand):
    help = "Manage Dynamic Client Registration: settings, clients, tokens, cleanup."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        show = actions.add_parser("show", help="print a workspace's DCR settings as JSON")
        show.add_argument("label", metavar="TENANT/WORKSPACE")

        configure = actions.add_parser("configure", help="change a workspace's DCR settings")
        configure.add_argument("label", metavar="TENANT/WORKSPACE")
        switch = configure.add_mutually_exclusive_group()
        switch.add_argument(
            "--enable", dest="enabled", action="store_const", const=True, help="turn DCR on"
        )
        switch.add_argument(
            "--disable", dest="enabled", action="store_const", const=False, help="turn DCR off"
        )
        configure.add_argument(
            "--rat-ttl",
            type=int,
            metavar="SECONDS",
            help=f"registration access token lifetime ({MIN_RAT_TTL}..{MAX_RAT_TTL} seconds)",
        )
        protect = configure.add_mutually_exclusive_group()
        protect.add_argument(
            "--protect-by-access-token",
            dest="protect",
            action="store_const",
            const=True,
            help="require a Bearer token with the dcr_register scope",
        )
        protect.add_argument(
            "--no-protect-by-access-token", dest="protect", action="store_const", const=False
        )
        _key_set_flags(configure, "software-statement", "software statements")
        _key_set_flags(configure, "signed-request", "signed request bodies")
        configure.add_argument(
            "--client-secret-ttl",
            type=int,
            metavar="SECONDS",
            help="lifetime of newly issued client secrets (0: never expire)",
        )
        configure.add_argument(
            "--token-rotation",
            choices=["read_and_update", "update", "never"],
            help="when the registration access token is replaced (default read_and_update)",
        )
        configure.add_argument(
            "--default-scopes",
            metavar="SCOPES",
            help="space-separated scopes for clients that ask none",
        )
        policy = configure.add_mutually_exclusive_group()
        policy.add_argument("--policy", metavar="FILE", help="a DCR policy document (JSON)")
        policy.add_argument("--no-policy", action="store_true", help="remove the policy")
        configure.add_argument(
            "--delete-never-used-after",
            type=int,
            metavar="DAYS",
            help="cleanup deletes DCR clients that got no token within DAYS (0: off)",
        )
        configure.add_argument(
            "--delete-idle-after",
            type=int,
            metavar="DAYS",
            help="cleanup deletes DCR clients unused for DAYS (0: off)",
        )

        cimd = configure.add_mutually_exclusive_group()
        cimd.add_argument(
            "--cimd",
            dest="cimd",
            action="store_const",
            const=True,
            help="accept client_id URLs of Client ID Metadata Documents",
        )
        cimd.add_argument("--no-cimd", dest="cimd", action="store_const", const=False)
        configure.add_argument(
            "--cimd-trusted-hosts",
            metavar="HOSTS",
            help='comma-separated hosts a client_id URL may name ("app.example.com,*.example.org"); '
            "empty: any public host",
        )

        check = actions.add_parser(
            "check-policy", help="dry run: test metadata against the policy, write nothing"
        )
        check.add_argument("label", metavar="TENANT/WORKSPACE")
        check.add_argument("--metadata", metavar="FILE", required=True, help="client metadata JSON")
        check.add_argument("--source-ip", help="the source address to evaluate source_ip_ranges")

        audit_events = actions.add_parser("audit", help="the workspace's registration events")
        audit_events.add_argument("label", metavar="TENANT/WORKSPACE")
        audit_events.add_argument("--since", metavar="ISO8601", help="only events at or after")
        audit_events.add_argument("--json", action="store_true", help="print a JSON list")

        registrar = actions.add_parser(
            "registrar", help="create a client allowed to get dcr_register tokens"
        )
        registrar.add_argument("label", metavar="TENANT/WORKSPACE")
        registrar.add_argument("--name", default="DCR registrar", help="the client's name")
        registrar.add_argument(
            "--base-url",
            metavar="URL",
            help="scheme and host of the printed token_endpoint (default DCR_PUBLIC_BASE_URL)",
        )

        resource_server = actions.add_parser(
            "resource-server",
            help="create a client a protected resource introspects tokens with",
        )
        resource_server.add_argument("label", metavar="TENANT/WORKSPACE")
        resource_server.add_argument("--name", default="Resource server", help="the client's name")
        resource_server.add_argument(
            "--base-url",
            metavar="URL",
            help="scheme and host of the printed introspection_endpoint (default "
            "DCR_PUBLIC_BASE_URL)",
        )

        actions.add_parser("rotate-keys", help="re-encrypt secrets under the first encryption key")

        clients = actions.add_parser("clients", help="list a workspace's clients")
        clients.add_argument("label", metavar="TENANT/WORKSPACE")
        clients.add_argument("--json", action="store_true", help="print a JSON list")

        reissue = actions.add_parser("reissue-token", help="new registration access token")
        reissue.add_argument("client_id", metavar="CLIENT_ID")

        delete = actions.add_parser("delete", help="delete a client with its tokens")
        delete.add_argument("client_id", metavar="CLIENT_ID")

        cleanup = actions.add_parser("cleanup", help="delete expired tokens and grants")
        cleanup.add_argument("--dry-run", action="store_true", help="count only, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "show": self._show,
            "configure": self._configure,
            "clients": self._clients,
            "reissue-token": self._reissue_token,
            "delete": self._delete,
            "cleanup": self._cleanup,
            "registrar": self._registrar,
            "resource-server": self._resource_server,
            "check-policy": self._check_policy,
            "audit": self._audit,
            "rotate-keys": self._rotate_keys,
        }
        handlers[options["action"]](options)

    def _show(self, options: dict[str, Any]) -> None:
        workspace = workspace_from_label(options["label"])
        self.stdout.write(to_json(dcr_settings_data(dcr_settings_for(workspace=workspace))))

    def _configure(self, options: dict[str, Any]) -> None:
        workspace = workspace_from_label(options["label"])
        change = SettingsChange(
            enabled=options["enabled"],
            registration_access_token_ttl=options["rat_ttl"],
            protect_by_access_token=options["protect"],
            software_statement=_key_set_change(options, "software_statement"),
            signed_request=_key_set_change(options, "signed_request"),
            policy=_policy_change(options),
            delete_never_used_after_days=options["delete_never_used_after"],
            delete_idle_after_days=options["delete_idle_after"],
            token_rotation=options["token_rotation"],
            client_secret_ttl=options["client_secret_ttl"],
            default_scopes=tuple(options["default_scopes"].split())
            if options["default_scopes"] is not None
            else None,
            cimd_enabled=options["cimd"],
            cimd_trusted_hosts=_host_list(options["cimd_trusted_hosts"]),
        )
        try:
            dcr = dcr_configure(workspace=workspace, change=change)
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(to_json(dcr_settings_data(dcr)))

    def _check_policy(self, options: dict[str, Any]) -> None:
        workspace = workspace_from_label(options["label"])
        metadata = read_json_file(options["metadata"])
        if not isinstance(metadata, dict):
            raise CommandError(f"{options['metadata']}: the metadata must be one JSON object")
        result = policy_dry_run(
            workspace=workspace, raw_metadata=metadata, source_ip=options["source_ip"]
        )
        self.stdout.write(to_json(result.as_dict()))
        if not result.accepted:
            rule = f" ({result.rule})" if result.rule else ""
            raise CommandError(f"refused: {result.error}{rule}: {result.error_description}")

    def _audit(self, options: dict[str, Any]) -> None:
        workspace = workspace_from_label(options["label"])
        since = _parse_since(options["since"])
        found = audit.events(workspace=workspace, since=since)
        if options["json"]:
            self.stdout.write(to_json([audit.event_data(event) for event in found]))
            return
        rows = [["TIME", "EVENT", "CLIENT ID", "OUTCOME", "RULE", "SOURCE IP"]]
        for event in found:
            rows.append(
                [
                    event.time.strftime("%Y-%m-%d %H:%M:%S"),
                    event.event,
                    event.client_id or "-",
                    event.outcome,
                    event.rule or "-",
                    event.source_ip or "-",
                ]
            )
        for line in table(rows):
            self.stdout.write(line)

    def _registrar(self, options: dict[str, Any]) -> None:
        workspace = workspace_from_label(options["label"])
        # Before the client is made: a bad --base-url writes nothing.
        base = command_base_url(options["base_url"], stderr=self.stderr)
        client, secret = services.registrar_create(workspace=workspace, name=options["name"])
        data = {
            "client_id": client.client_id,
            "client_secret": secret,
            "token_endpoint": f"{base}{workspace.path}/oauth2/token",
        }
        self.stdout.write(to_json(data))

    def _resource_server(self, options: dict[str, Any]) -> None:
        workspace = workspace_from_label(options["label"])
        # Before the client is made: a bad --base-url writes nothing.
        base = command_base_url(options["base_url"], stderr=self.stderr)
        client, secret = services.resource_server_create(workspace=workspace, name=options["name"])
        data = {
            "client_id": client.client_id,
            "client_secret": secret,
            "introspection_endpoint": f"{base}{workspace.path}/oauth2/introspect",
        }
        self.stdout.write(to_json(data))

    def _rotate_keys(self, options: dict[str, Any]) -> None:
        counts = maintenance.reencrypt_secrets()
        self.stdout.write(
            f"Re-encrypted {counts.client_secrets} client secrets and "
            f"{counts.signing_keys} signing keys under the first encryption key."
        )

    def _clients(self, options: dict[str, Any]) -> None:
        workspace = workspace_from_label(options["label"])
        clients = list(clients_list(workspace=workspace))
        if options["json"]:
            self.stdout.write(to_json([_client_data(client) for client in clients]))
            return
        if not clients:
            self.stdout.write(f"No clients in {workspace.label}.")
            return
        rows = [["CLIENT ID", "NAME", "SOURCE", "CREATED", "LAST USED"]]
        for client in clients:
            data = _client_data(client)
            rows.append(
                [
                    client.client_id,
                    one_line(client.name) or "-",
                    {"dcr": "DCR", "cimd": "CIMD"}.get(data["registration_source"], ""),
                    client.created.strftime("%Y-%m-%d %H:%M"),
                    client.last_used_at.strftime("%Y-%m-%d %H:%M") if client.last_used_at else "-",
                ]
            )
        for line in table(rows):
            self.stdout.write(line)

    def _reissue_token(self, options: dict[str, Any]) -> None:
        client = client_from_id(options["client_id"])
        if client.registration_source == Client.RegistrationSource.CIMD:
            # Its metadata is its document's: RFC 7592 management would be overwritten by the
            # next refresh, so a CIMD client gets no registration access token.
            raise CommandError(
                f"{client.client_id[:100]} is a Client ID Metadata Document client: "
                "it has no registration access token (change its document instead)"
            )
        issued = services.token_reissue(client=client)
        data = {
            "client_id": issued.client.client_id,
            "registration_access_token": issued.registration_access_token,
            "registration_access_token_expires_in": issued.registration_access_token_expires_in,
        }
        self.stdout.write(to_json(data))

    def _delete(self, options: dict[str, Any]) -> None:
        client = client_from_id(options["client_id"])
        label, client_id = client.workspace.label, client.client_id
        services.client_delete_by_admin(client=client)
        self.stdout.write(f"Deleted client {client_id} from {label}.")

    def _cleanup(self, options: dict[str, Any]) -> None:
        dry_run: bool = options["dry_run"]
        counts = maintenance.cleanup_preview() if dry_run else maintenance.cleanup_expired()
        verb = "to delete" if dry_run else "deleted"
        self.stdout.write(
            f"Expired registration access tokens {verb}: {counts.registration_access_tokens}"
        )
        self.stdout.write(f"Expired access tokens {verb}: {counts.access_tokens}")
        if counts.refresh_tokens is not None:
            self.stdout.write(f"Refresh tokens {verb}: {counts.refresh_tokens}")
        self.stdout.write(f"Expired ID tokens {verb}: {counts.id_tokens}")
        self.stdout.write(f"Expired grants {verb}: {counts.grants}")
        self.stdout.write(f"Abandoned DCR clients {verb}: {len(counts.abandoned_client_ids)}")
        for client_id in counts.abandoned_client_ids:
            self.stdout.write(f"  {client_id}")
        if dry_run:
            self.stdout.write("Dry run: nothing was deleted.")
