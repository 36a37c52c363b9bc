"""Admin for tenants, workspaces and (read-only, public half only) signing keys."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tenants.models import SigningKey, Tenant, Workspace


class WorkspaceInline(admin.TabularInline):
    model = Workspace
    fields = ("slug", "name")
    readonly_fields = ("slug",)
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")
    inlines = (WorkspaceInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Created with `manage.py workspace create TENANT/WORKSPACE`, which checks reserved
        # names and creates each workspace's DCR settings and signing key.
        return False


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("label", "name", "dcr_status", "client_registration_link", "created_at")
    list_filter = ("tenant",)
    search_fields = ("slug", "name", "tenant__slug")
    list_select_related = ("tenant", "dcr_settings")
    fields = (
        "tenant",
        "slug",
        "name",
        "scopes_supported",
        "subject_type",  # issue 14: public or pairwise subject identifiers (OIDC Core §8)
        "client_registration_link",
    )
    readonly_fields = ("client_registration_link",)

    @admin.display(description="workspace", ordering="tenant__slug")
    def label(self, obj: Workspace) -> str:
        return obj.label

    @admin.display(description="DCR", boolean=True)
    def dcr_status(self, obj: Workspace) -> bool | None:
        settings = getattr(obj, "dcr_settings", None)
        return None if settings is None else settings.enabled

    @admin.display(description="client registration")
    def client_registration_link(self, obj: Workspace) -> SafeString | str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:registration_client_registration", args=[obj.pk])
        return format_html('<a href="{}">Client Registration</a>', url)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # tenant and slug make the issuer URL: clients depend on it, so it never changes here.
        return [*super().get_readonly_fields(request, obj), "tenant", "slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `manage.py workspace create TENANT/WORKSPACE` (see TenantAdmin)


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """The ID token signing keys: the public JWK only, never the private key."""

    list_display = ("kid", "workspace", "algorithm", "active", "created_at")
    list_filter = ("workspace", "active")
    fields = ("kid", "workspace", "algorithm", "active", "created_at", "public_key")
    readonly_fields = fields

    @admin.display(description="public JWK")
    def public_key(self, obj: SigningKey) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.public_jwk, indent=2))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
