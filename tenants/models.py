"""A tenant holds workspaces; a workspace is one authorization server with its own issuer."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
slug_validator = RegexValidator(
    SLUG_PATTERN, "Use 1-63 lower-case letters, digits and inner hyphens."
)

# OpenID Connect Core §5.4 standard scopes. Not offline_access (§11): its meaning (a refresh
# token only with it, after explicit consent) is not what this server does (refresh tokens follow
# the client's refresh_token grant), so it is not advertised; an administrator may add it.
DEFAULT_SCOPES_SUPPORTED = ["openid", "profile", "email", "address", "phone"]


def default_scopes_supported() -> list[str]:
    return list(DEFAULT_SCOPES_SUPPORTED)


class Tenant(models.Model):
    slug = models.CharField(max_length=63, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


def new_subject_salt() -> str:
    return secrets.token_urlsafe(32)


class Workspace(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="workspaces")
    slug = models.CharField(max_length=63, validators=[slug_validator])
    name = models.CharField(max_length=200, blank=True)
    scopes_supported = models.JSONField(
        default=default_scopes_supported,
        help_text="Scopes this authorization server offers to its clients.",
    )
    # RFC 8707: the resource indicators clients may name at authorize and token; while the list
    # is not empty any other resource is invalid_target. Managed with `workspace resources`.
    resource_indicators = models.JSONField(
        "resource indicators",
        default=list,
        blank=True,
        help_text="Absolute URIs of the protected resources tokens may be issued for "
        "(RFC 8707); empty: any resource.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Issue 14: the subject identifiers of this workspace (dcr_server/oauth/subjects.py).
    subject_salt = models.CharField(
        max_length=64,
        default=new_subject_salt,
        editable=False,
        help_text="Secret key of this workspace's subject identifiers (never shown).",
    )
    subject_type = models.CharField(
        max_length=16,
        choices=[("public", "public"), ("pairwise", "pairwise")],
        default="public",
        help_text="OpenID Connect Core §8: public (one sub per user in this workspace) or "
        "pairwise (one per user and sector).",
    )

    class Meta:
        ordering = ["tenant__slug", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "slug"], name="workspace_unique_slug_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """``tenant/workspace``, the name the management commands use."""
        return f"{self.tenant.slug}/{self.slug}"

    @property
    def path(self) -> str:
        """The URL path prefix of this workspace, ``/{tenant}/{workspace}``."""
        return f"/{self.tenant.slug}/{self.slug}"


class SigningKey(models.Model):
    """A workspace's RSA key for signing ID tokens; the private half is encrypted at rest."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="signing_keys")
    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=16, default="RS256")
    private_key_encrypted = models.TextField()
    public_jwk = models.JSONField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.workspace.label} {self.kid}"


class ConfigurationVersion(models.Model):
    """One row whose ``value`` changes whenever a tenant, workspace, DCR settings row or signing
    key is inserted, updated or deleted: the signal every app process checks (one indexed read per
    request) before it trusts its cached workspaces (``tenants/cache.py``).

    Database triggers rewrite it (migrations ``tenants`` 0003 and ``registration`` 0005), so the
    change and the new value commit together in the same transaction, whatever made the change:
    a service, the admin, ``QuerySet.update()`` or SQL typed into a shell. The new value is random,
    not a counter: a transaction that is rolled back cannot leave behind a value that a later
    change would reuse while a process still holds what it cached under it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"configuration version {self.value}"


class AccessGrant(models.Model):
    """A user's role in a scope: a whole tenant (``workspace`` empty) or one of its workspaces.

    CONTRACT "Tenant administration": ``admin`` changes everything in its scope, ``viewer`` reads
    the same and changes nothing. A tenant grant covers the tenant's present and future
    workspaces. Managed with ``manage.py access``; read through ``tenants.access`` only.
    """

    class Role(models.TextChoices):
        ADMIN = "admin"
        VIEWER = "viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="access_grants")
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="access_grants",
        help_text="Empty: the whole tenant.",
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant__slug", "workspace__slug", "user__username"]
        constraints = [
            # One grant per user and scope (a NULL workspace is not unique by itself in SQL).
            models.UniqueConstraint(
                fields=["user", "tenant"],
                condition=models.Q(workspace__isnull=True),
                name="access_grant_unique_tenant_scope",
            ),
            models.UniqueConstraint(
                fields=["user", "workspace"],
                condition=models.Q(workspace__isnull=False),
                name="access_grant_unique_workspace_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.scope}"

    @property
    def scope(self) -> str:
        """``tenant`` or ``tenant/workspace``, as the ``access`` command spells it."""
        return self.workspace.label if self.workspace is not None else self.tenant.slug
