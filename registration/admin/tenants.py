"""Admin for tenants, workspaces, the workspace overview and (read-only, public half only)
signing keys.

Superusers alone create and delete tenants; tenant admins create workspaces in their tenant
(through ``workspace_create``, which also makes the DCR settings). Slugs are part of every
issuer URL, so they are read-only once created. Deleting a tenant or a workspace takes every
client, token and key with it: superusers only, through Django's confirmation page that lists
what goes (no bulk "delete selected" action).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.safestring import SafeString

from registration.admin import navigation, overview
from registration.admin.forms import ScopeListField
from registration.admin.scoped import ScopedAdmin
from registration.admin.site import console
from registration.admin.views import admin_actor
from tenants import access
from tenants.models import SigningKey, Tenant, Workspace
from tenants.services import (
    WorkspaceError,
    check_tenant_slug,
    check_workspace_slug,
    checked_resources,
    tenant_create,
    workspace_create,
    workspace_update,
)


class WorkspaceInline(admin.TabularInline):
    model = Workspace
    fields = ("slug", "name")
    readonly_fields = ("slug", "name")
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.workspaces_for(request.user)


class DeletesEverythingBelow:
    """A tenant or workspace takes its clients, audit trail and keys with it: a superuser's
    confirmation page lists them all, without asking for the delete permission of each (the
    audit trail and keys have none, so the stock page would refuse outright)."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        return (
            deleted,
            counts,
            set() if access.is_superuser(request.user) else perms_needed,
            protected,
        )


class TenantForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ("slug", "name")

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        try:
            check_tenant_slug(slug)
        except WorkspaceError as exc:
            raise forms.ValidationError(str(exc)) from None
        return slug


@admin.register(Tenant, site=console)
class TenantAdmin(DeletesEverythingBelow, ScopedAdmin):
    """Tenants: superusers add and delete; tenant admins rename; slugs never change."""

    scope_path = ""  # not under a workspace: scoped by tenants_for below
    console_section = "Tenants"
    per_workspace = False
    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")
    inlines = (WorkspaceInline,)
    form = TenantForm
    actions = None

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.tenants_for(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("slug", "created_at") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("slug", "name", "created_at") if obj is not None else ("slug", "name")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.has_any_scope(request.user)
        return access.tenants_for(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        admins = access.tenants_for(request.user, change=True)
        return admins.exists() if obj is None else admins.filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.is_superuser(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_superuser(request.user)

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        created = tenant_create(slug=obj.slug, name=obj.name)
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False


class ResourceListField(forms.CharField):
    """RFC 8707 resource indicators, one absolute URI per line (empty: any resource)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        try:
            return checked_resources(text.split())
        except WorkspaceError as exc:
            raise forms.ValidationError(str(exc)) from None


class WorkspaceForm(forms.ModelForm):
    scopes_supported = ScopeListField()
    resource_indicators = ResourceListField(
        required=False,
        label="Resource indicators",
        help_text="RFC 8707: the protected resources tokens may be issued for, one absolute URI "
        "per line; a request naming any other is refused with invalid_target. Empty: any "
        "resource.",
    )

    subject_type = forms.ChoiceField(
        required=False,
        choices=[("public", "public"), ("pairwise", "pairwise")],
        label="Subject type",
        help_text="OpenID Connect Core §8: public (one sub per user in this workspace) or "
        "pairwise (one per user and sector identifier).",
    )

    class Meta:
        model = Workspace
        fields = (
            "tenant",
            "slug",
            "name",
            "scopes_supported",
            "resource_indicators",
            "subject_type",
        )

    def clean_scopes_supported(self) -> list[str]:
        scopes: list[str] = self.cleaned_data["scopes_supported"]
        settings = getattr(self.instance, "dcr_settings", None) if self.instance.pk else None
        dropped = [s for s in getattr(settings, "default_scopes", []) if s not in scopes]
        if dropped:
            # DCR grants its default scopes: they must stay offered (dcr configure checks too).
            raise forms.ValidationError(
                f"{' '.join(dropped)} is a default scope of client registration: remove it "
                "from the default scopes on the Client Registration page first."
            )
        return scopes

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        try:
            check_workspace_slug(slug)
        except WorkspaceError as exc:
            raise forms.ValidationError(str(exc)) from None
        return slug


@admin.register(Workspace, site=console)
class WorkspaceAdmin(DeletesEverythingBelow, ScopedAdmin):
    scope_path = ""
    console_section = "Workspaces"
    per_workspace = False
    list_display = ("label", "name", "dcr_status", "client_registration_link", "created_at")
    list_filter = ("tenant",)
    search_fields = ("slug", "name", "tenant__slug")
    list_select_related = ("tenant", "dcr_settings")
    form = WorkspaceForm
    actions = None

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
        return format_html('<a href="{}">Client Registration</a>', navigation.registration_url(obj))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = ("name", "scopes_supported", "resource_indicators", "subject_type")
        if obj is None:
            return ("tenant", "slug", *editable)
        return ("tenant", "slug", *editable, "client_registration_link")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # tenant and slug make the issuer URL: clients depend on it, so they never change.
        return ("tenant", "slug", "client_registration_link") if obj is not None else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.tenants_for(request.user, change=True).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_superuser(request.user)

    def save_model(self, request: HttpRequest, obj: Workspace, form: Any, change: bool) -> None:
        scopes = form.cleaned_data["scopes_supported"]
        settings = {
            "subject_type": form.cleaned_data["subject_type"] or None,  # empty: unchanged
            "resource_indicators": form.cleaned_data["resource_indicators"],
        }
        if change:
            workspace_update(
                workspace=obj,
                name=obj.name,
                scopes_supported=scopes,
                actor=admin_actor(request).actor,
                **settings,
            )
            return
        if not access.tenants_for(request.user, change=True).filter(pk=obj.tenant_id).exists():
            raise PermissionDenied  # the form's choices already exclude it
        created = workspace_create(
            tenant_slug=obj.tenant.slug, workspace_slug=obj.slug, name=obj.name
        )
        workspace_update(
            workspace=created, name=created.name, scopes_supported=scopes, actor=None, **settings
        )
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:workspace_pk>/overview/",
                view(self.overview_view),
                name="tenants_workspace_overview",
            ),
            *super().get_urls(),
        ]

    def overview_view(self, request: HttpRequest, workspace_pk: int) -> HttpResponse:
        workspace = access.get_workspace_for(request.user, workspace_pk)
        return overview.workspace_overview(request, workspace=workspace, model_admin=self)


@admin.register(SigningKey, site=console)
class SigningKeyAdmin(ScopedAdmin):
    """The ID token signing keys: the public JWK only, never the private key."""

    console_section = navigation.SIGNING_KEYS
    list_display = ("kid", "workspace", "algorithm", "active", "created_at")
    list_filter = ("workspace", "active")
    fields = ("kid", "workspace", "algorithm", "active", "created_at", "public_key")
    readonly_fields = fields
    actions = None

    @admin.display(description="public JWK")
    def public_key(self, obj: SigningKey) -> SafeString:
        return format_html(
            '<pre class="dcr-json-view">{}</pre>', json.dumps(obj.public_jwk, indent=2)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
