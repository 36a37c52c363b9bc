"""DCR settings per workspace, registered clients and registration access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import models
from django.utils import timezone
from oauth2_provider.generators import generate_client_id
from oauth2_provider.models import AbstractApplication

from dcr_server import crypto
from tenants.models import Workspace

DEFAULT_RAT_TTL_SECONDS = 30 * 24 * 3600  # the seed: "By default, this token is valid for 30 days"


def default_dcr_scopes() -> list[str]:
    return ["openid", "profile", "email"]


class TokenRotation(models.TextChoices):
    """When a registration access token is replaced by a new one (RFC 7592 §3 allows either)."""

    READ_AND_UPDATE = "read_and_update", "On every read and update"
    UPDATE = "update", "On update only"
    NEVER = "never", "Never"


class DCRSettings(models.Model):
    """The "DCR" tab of OAuth > Authorization Server > Client Registration.

    The three protections of the seed are switched on independently and combine: an access token
    with ``dcr_register``; a software statement verified against a key set; a signed request body
    verified against another key set. Configuring a key set (inline JWKS or JWKS URI) switches its
    requirement on.
    """

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="dcr_settings"
    )
    enabled = models.BooleanField("enable dynamic client registration", default=False)
    registration_access_token_ttl = models.PositiveIntegerField(
        "registration access token lifetime (seconds)", default=DEFAULT_RAT_TTL_SECONDS
    )
    token_rotation = models.CharField(
        "rotate the registration access token",
        max_length=20,
        choices=TokenRotation.choices,
        default=TokenRotation.READ_AND_UPDATE,
    )
    default_scopes = models.JSONField(
        default=default_dcr_scopes,
        help_text="Granted to a registering client that asks for no scope.",
    )
    client_secret_ttl = models.PositiveIntegerField(
        "client secret lifetime (seconds, 0 = never expires)", default=0
    )
    protect_by_access_token = models.BooleanField(
        "protect by access token",
        default=False,
        help_text="Registration requires a Bearer token with the dcr_register scope; "
        "a successful registration terminates it.",
    )
    software_statement_jwks = models.JSONField(
        "software statement JWKS", null=True, blank=True, default=None
    )
    software_statement_jwks_uri = models.URLField(
        "software statement JWKS URI", max_length=2000, blank=True, default=""
    )
    signed_request_jwks = models.JSONField(
        "signed request JWKS", null=True, blank=True, default=None
    )
    signed_request_jwks_uri = models.URLField(
        "signed request JWKS URI", max_length=2000, blank=True, default=""
    )
    # Who set each JWKS URI (registration/configuration.py KeySetChange): True, the CLI or a
    # platform superuser (fetched as configured); False, a tenant administrator (fetched like
    # a client's jwks_uri: https, public addresses only).
    software_statement_jwks_uri_trusted = models.BooleanField(default=True, editable=False)
    signed_request_jwks_uri_trusted = models.BooleanField(default=True, editable=False)
    policy = models.JSONField(
        "dynamic client registration policy",
        null=True,
        blank=True,
        default=None,
        help_text="Evaluated on every registration and update (see registration/policy/schema.json).",
    )
    delete_never_used_after_days = models.PositiveIntegerField(
        "delete DCR clients never used within (days)",
        null=True,
        blank=True,
        default=None,
        help_text="dcr cleanup deletes DCR clients that got no token this many days after registering.",
    )
    delete_idle_after_days = models.PositiveIntegerField(
        "delete DCR clients unused for (days)",
        null=True,
        blank=True,
        default=None,
        help_text="dcr cleanup deletes DCR clients whose last token is older than this.",
    )
    # Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; registration/cimd/).
    cimd_enabled = models.BooleanField(
        "accept Client ID Metadata Documents",
        default=False,
        help_text="A client_id that is an https URL is fetched as the client's metadata document.",
    )
    cimd_trusted_hosts = models.JSONField(
        "CIMD trusted hosts",
        default=list,
        blank=True,
        help_text='Hosts a client_id URL may name ("app.example.com", "*.example.org"); '
        "empty: any public host.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "DCR settings"
        verbose_name_plural = "DCR settings"

    def __str__(self) -> str:
        return f"DCR settings of {self.workspace.label}"

    @property
    def requires_software_statement(self) -> bool:
        return bool(self.software_statement_jwks or self.software_statement_jwks_uri)

    @property
    def requires_signed_request(self) -> bool:
        return bool(self.signed_request_jwks or self.signed_request_jwks_uri)


# RFC 7591 grant type names -> the DOT constants its validator asks about.
_DOT_GRANTS = {
    "authorization_code": AbstractApplication.GRANT_AUTHORIZATION_CODE,
    "client_credentials": AbstractApplication.GRANT_CLIENT_CREDENTIALS,
    "implicit": AbstractApplication.GRANT_IMPLICIT,
}


class ClientQuerySet(models.QuerySet["Client"]):
    def get(self, *args: Any, **kwargs: Any) -> Client:
        """Inside a workspace-scoped request, a lookup by ``client_id`` is that workspace's.

        client_id is unique per workspace, not globally: a Client ID Metadata Document URL is one
        client in every workspace that accepts it. django-oauth-toolkit's authorization view
        looks the client up by ``client_id`` alone (``AuthorizationView.get``, ``form_valid``,
        ``handle_no_permission``); this keeps those lookups inside the active workspace, so a
        URL known to two workspaces is never ambiguous and never the other workspace's row.
        """
        if "client_id" in kwargs and not {"workspace", "workspace_id"} & kwargs.keys():
            from tenants.context import active_workspace_id

            workspace_id = active_workspace_id()
            if workspace_id is not None:
                scoped = self.filter(workspace_id=workspace_id)
                return super(ClientQuerySet, scoped).get(*args, **kwargs)
        return super().get(*args, **kwargs)


class ClientManager(models.Manager["Client"].from_queryset(ClientQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, client_id: str) -> Client:
        return self.get(client_id=client_id)


class Client(AbstractApplication):
    """An OAuth client of one workspace, with its full registered metadata.

    DOT's stock application allows one grant type; ``grant_types`` holds the RFC 7591 list.
    The client secret is never stored in clear: ``client_secret_encrypted`` holds it encrypted
    and the inherited ``client_secret`` field is replaced by a decrypting property.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="clients")
    # Unique per workspace (the constraint below), not globally as in DOT: a Client ID Metadata
    # Document URL is the client_id of one stored client in each workspace that uses it.
    client_id = models.CharField(
        "client ID", max_length=255, default=generate_client_id, db_index=True
    )
    hash_client_secret = False  # encrypted, never hashed (DOT's field is replaced by this value)
    client_secret_encrypted = models.TextField(blank=True, default="")
    client_secret_expires_at = models.DateTimeField(null=True, blank=True)
    grant_types = models.JSONField(default=list)
    response_types = models.JSONField(default=list)
    token_endpoint_auth_method = models.CharField(max_length=32, default="client_secret_basic")
    scope = models.TextField(blank=True, default="", help_text="Granted scopes, space-separated.")
    software_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    metadata = models.JSONField(default=dict, help_text="The registered client metadata.")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = "application"
        indexes = [models.Index(fields=["workspace", "registration_source"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "client_id"], name="client_id_unique_per_workspace"
            )
        ]

    objects = ClientManager()

    # -- secrets -------------------------------------------------------------------------------
    @property  # replaces DOT's client_secret column: the secret is only stored encrypted
    def client_secret(self) -> str:
        """The plain client secret ('' for a public client)."""
        if not self.client_secret_encrypted:
            return ""
        return crypto.decrypt(self.client_secret_encrypted)

    def set_client_secret(self, secret: str, *, expires_at: datetime | None) -> None:
        self.client_secret_encrypted = crypto.encrypt(secret) if secret else ""
        self.client_secret_expires_at = expires_at

    @property
    def is_public(self) -> bool:
        return self.client_type == AbstractApplication.CLIENT_PUBLIC

    def client_secret_expired(self, now: datetime | None = None) -> bool:
        if self.client_secret_expires_at is None:
            return False
        return (now or timezone.now()) >= self.client_secret_expires_at

    # -- what DOT asks ---------------------------------------------------------------------------
    def allows_grant_type(self, *grant_types: str) -> bool:
        allowed = {_DOT_GRANTS[name] for name in self.grant_types if name in _DOT_GRANTS}
        return bool(allowed.intersection(grant_types))

    def get_allowed_schemes(self) -> list[str]:
        """Schemes of the registered redirect URIs (RFC 8252 §7.1 private-use schemes included)."""
        schemes = {urlsplit(uri).scheme.lower() for uri in self.redirect_uris.split()}
        return sorted(schemes) or ["https"]

    def is_usable(self, request: Any) -> bool:
        # RFC 7591 §3.2.1: after client_secret_expires_at the secret no longer authenticates.
        return self.is_public or not self.client_secret_expired()

    @property
    def jwk_key(self) -> Any:
        """The workspace's ID token signing key (DOT signs ID tokens with this)."""
        from tenants.keys import active_signing_jwk

        return active_signing_jwk(self.workspace)


class RegistrationAccessToken(models.Model):
    """RFC 7592 §1: the bearer token that manages one client; stored only as a SHA-256 digest."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="registration_access_token"
    )
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        # Shown on the client's delete page: name the client, not its primary key.
        client = self.client
        return f"registration access token of {client.name or client.client_id}"

    def expires_in(self, now: datetime | None = None) -> int:
        return max(0, round((self.expires_at - (now or timezone.now())).total_seconds()))


class SeenJti(models.Model):
    """A ``jti`` already accepted (RFC 7519 §4.1.7): never accepted twice within its lifetime.

    Kept in the database, not in process memory, so every app server sees every id.
    """

    namespace = models.CharField(max_length=100)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "jti"], name="seen_jti_unique_per_namespace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.namespace}:{self.jti}"


class AuditEvent(models.Model):
    """One registration-endpoint event: what happened, to which client, from where, and why not.

    Secrets and tokens are never recorded. Written in the same transaction as the change it
    describes; refusals are written on their own (the refused change rolled back).
    """

    class Event(models.TextChoices):
        REGISTER = "register"
        READ = "read"
        UPDATE = "update"
        DELETE = "delete"
        REISSUE = "reissue"
        REFUSED = "refused"
        CONFIGURE = "configure"  # CONTRACT: a change to the workspace's settings, keys, policy

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    time = models.DateTimeField(default=timezone.now, db_index=True)
    event = models.CharField(max_length=16, choices=Event.choices)
    operation = models.CharField(
        max_length=16, blank=True, default="", help_text="What a refused request attempted."
    )
    client_id = models.CharField(max_length=255, blank=True, default="")
    outcome = models.CharField(max_length=64, default="ok", help_text="ok, or the error code.")
    rule = models.CharField(max_length=100, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    protection = models.CharField(max_length=100, blank=True, default="")
    software_statement_issuer = models.CharField(max_length=255, blank=True, default="")
    actor = models.CharField(
        max_length=150, blank=True, default="", help_text="api, cli, or the admin user name."
    )
    # The X-Request-ID of the HTTP request that made the event (operations.request_id), to
    # follow it through the logs. NULL, not "", when no HTTP request made it (the CLI, events
    # written before the column existed): `dcr audit --json` shows it as null.
    request_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    count = models.PositiveIntegerField(
        default=1,
        help_text="Refusals this row stands for: one refused row per source, operation, "
        "error and rule per minute.",
    )
    changed_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="configure events: the names of the settings changed (never their values).",
    )
    # refused rows: which window and kind of refusal the row aggregates (registration/audit.py
    # ``record_refused``); unique, so that concurrent app servers cannot split one window into
    # several rows. NULL on every other event.
    aggregate_key = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["time", "pk"]
        indexes = [models.Index(fields=["workspace", "time"])]
        constraints = [
            models.UniqueConstraint(
                fields=["aggregate_key"],
                condition=models.Q(aggregate_key__isnull=False),
                name="audit_refused_window_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.event} {self.client_id} {self.outcome}"
