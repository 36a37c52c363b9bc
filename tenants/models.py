"""A tenant holds workspaces; a workspace is one authorization server with its own issuer."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
slug_validator = RegexValidator(
    SLUG_PATTERN, "Use 1-63 lower-case letters, digits and inner hyphens."
)

# OpenID Connect Core §5.4 standard scopes, plus offline_access (§11).
DEFAULT_SCOPES_SUPPORTED = ["openid", "profile", "email", "address", "phone", "offline_access"]


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


class Workspace(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="workspaces")
    slug = models.CharField(max_length=63, validators=[slug_validator])
    name = models.CharField(max_length=200, blank=True)
    scopes_supported = models.JSONField(
        default=default_scopes_supported,
        help_text="Scopes this authorization server offers to its clients.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

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
