"""Admin: Client Registration page (DCR settings), Applications, the audit trail.

The sidebar groups these under the current workspace (navigation.py). Every page is a
``ScopedAdmin``: rows, objects and actions come from the user's scope. No client secret and no
token is ever displayed here except once, from the session, after the POST that created it.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from registration.admin import navigation, once, views
from registration.admin.scoped import ScopedAdmin
from registration.admin.site import console
from registration.admin.views import admin_actor
from registration.capabilities import GRANT_TYPES_SUPPORTED
from registration.models import AuditEvent, Client, DCRSettings
from registration.services import client_delete_by_admin

# The label of each registration_source value; a source missing here shows its own name in
# capitals, so a new one (CIMD) is labelled without a change here.
SOURCE_LABELS = {"dcr": "DCR", "manual": "Manual"}
SOURCE_TITLES = {"dcr": "Registered through dynamic client registration"}


@admin.register(DCRSettings, site=console)
class DCRSettingsAdmin(ScopedAdmin):
    """Reached as OAuth > Authorization Server > Client Registration; no list or form of its own."""

    console_section = navigation.CLIENT_REGISTRATION

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # listed by the sidebar of the workspace, not as "DCR settings"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "client-registration/",
                view(partial(views.client_registration_index, model_admin=self)),
                name="registration_client_registration_index",
            ),
            path(
                "client-registration/<int:workspace_pk>/",
                view(partial(views.client_registration, model_admin=self)),
                name="registration_client_registration",
            ),
            path("", view(self.changelist_view), name="registration_dcrsettings_changelist"),
            path(
                "<path:object_id>/",
                view(self.change_view),
                name="registration_dcrsettings_change",
            ),
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every workspace gets its settings row when it is created

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:registration_client_registration_index"))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        settings = self.get_object_for_action(
            request, object_id.rstrip("/").removesuffix("/change"), change=False
        )
        return HttpResponseRedirect(navigation.registration_url(settings.workspace))


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source.upper())


class RegistrationSourceFilter(admin.SimpleListFilter):
    title = "registered by"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        present = model_admin.get_queryset(request).values_list("registration_source", flat=True)
        sources = {"dcr", "manual", *present}
        return [(source, source_label(source)) for source in sorted(sources)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(registration_source=value) if value else queryset


class GrantTypeFilter(admin.SimpleListFilter):
    title = "grant type"
    parameter_name = "grant_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in GRANT_TYPES_SUPPORTED]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value not in GRANT_TYPES_SUPPORTED:
            return queryset
        # grant_types is a JSON list; its text holds each name quoted (SQLite and PostgreSQL).
        return queryset.filter(grant_types__icontains=json.dumps(value))


# django-oauth-toolkit registers its own ApplicationAdmin on the stock site (it lists client
# secrets' fields and an "Add" form); the console serves this one for the model instead.


CLIENT_FIELDS = (
    "name",
    "source_label",
    "client_id",
    "workspace",
    "client_type",
    "token_endpoint_auth_method",
    "grant_type_list",
    "scope",
    "software_id",
    "redirect_uri_list",
    "client_secret_expires_at",
    "registration_token_expiry",
    "created",
    "updated",
    "last_used_at",
)


@admin.register(Client, site=console)
class ClientAdmin(ScopedAdmin):
    """The Applications view: DCR label, filters, read-only metadata, token actions."""

    console_section = navigation.APPLICATIONS
    list_display = (
        "display_name",
        "source_label",
        "client_id",
        "workspace",
        "grant_type_list",
        "last_used_at",
    )
    list_display_links = ("display_name",)
    list_filter = (
        "workspace",
        RegistrationSourceFilter,
        GrantTypeFilter,
        ("last_used_at", admin.DateFieldListFilter),
    )
    search_fields = ("name", "client_id", "software_id")
    list_select_related = ("workspace__tenant",)
    ordering = ("-created",)
    view_on_site = False  # DOT's get_absolute_url names a page this project does not serve
    # Only what is safe to show: never client_secret_encrypted, never a token.
    fieldsets = (
        (None, {"fields": CLIENT_FIELDS}),
        ("Registered metadata", {"fields": ("metadata_json",)}),
    )
    readonly_fields = (*CLIENT_FIELDS, "metadata_json")
    change_form_template = "admin/registration/client/change_form.html"
    change_list_template = "admin/registration/client/change_list.html"

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        if navigation.WORKSPACE_PARAM in request.GET:  # one workspace's list: no column for it
            return [name for name in shown if name != "workspace"]
        return shown

    @admin.display(description="name", ordering="name")
    def display_name(self, obj: Client) -> str:
        return obj.name or "(unnamed)"

    @admin.display(description="source", ordering="registration_source")
    def source_label(self, obj: Client) -> SafeString:
        # Driven by registration_source alone, so a future source (cimd) shows its own label.
        source = obj.registration_source
        label = source_label(source)
        if source == "manual":
            return format_html('<span class="dcr-badge dcr-badge-manual">{}</span>', label)
        title = SOURCE_TITLES.get(source, f"Registered by {label}")
        return format_html('<span class="dcr-badge" title="{}">{}</span>', title, label)

    @admin.display(description="grant types")
    def grant_type_list(self, obj: Client) -> str:
        return ", ".join(obj.grant_types)

    @admin.display(description="redirect URIs")
    def redirect_uri_list(self, obj: Client) -> SafeString:
        uris = obj.redirect_uris.split()
        if not uris:
            return format_html("{}", "-")
        return format_html("<br>".join(["{}"] * len(uris)), *uris)

    @admin.display(description="registration access token expires")
    def registration_token_expiry(self, obj: Client) -> str:
        record = getattr(obj, "registration_access_token", None)
        if record is None:
            return "No registration access token"
        return f"{record.expires_at:%Y-%m-%d %H:%M} UTC (the token itself is never shown)"

    @admin.display(description="metadata")
    def metadata_json(self, obj: Client) -> SafeString:
        pretty = json.dumps(obj.metadata, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre class="dcr-json-view">{}</pre>', pretty)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # clients come from DCR or the registrar button of Client Registration

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/reissue-token/",
                view(partial(views.reissue_token, model_admin=self)),
                name="registration_client_reissue_token",
            ),
            path(
                "<path:object_id>/revoke-tokens/",
                view(partial(views.revoke_tokens, model_admin=self)),
                name="registration_client_revoke_tokens",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            # A token reissued by the POST that redirected here: shown this once.
            "reissued": once.take(request, f"token:{object_id}"),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        pass  # every field is read-only: nothing to save

    def delete_model(self, request: HttpRequest, obj: Client) -> None:
        client_delete_by_admin(client=obj, info=admin_actor(request))


@admin.register(AuditEvent, site=console)
class AuditEventAdmin(ScopedAdmin):
    """The audit trail, read-only (no secret or token is ever recorded)."""

    console_section = navigation.AUDIT
    list_display = (
        "time",
        "workspace",
        "event",
        "client_id",
        "outcome",
        "rule",
        "actor",
        "source_ip",
    )
    list_filter = ("workspace", "event", "outcome")
    search_fields = ("client_id", "rule", "actor", "=request_id")
    list_select_related = ("workspace__tenant",)
    ordering = ("-time", "-pk")
    date_hierarchy = "time"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
