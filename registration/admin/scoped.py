"""The base of every admin page that shows tenant data: all of it derived from ``tenants.access``.

``ScopedAdmin`` narrows the queryset (so lists, searches, counts, date drill-downs, bulk actions
and autocomplete start from the user's scope), answers every ``has_*_permission`` from the
user's role in the object's workspace, limits foreign-key choices and list filters to the
scope, and answers 404 for an object outside it (Django's stock admin redirects with a
message). The console site (``site.py``) serves a page that is not a ``ScopedAdmin`` to
superusers only, so a new page cannot forget the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, reverse

from registration.admin import navigation
from tenants import access
from tenants.models import Tenant, Workspace


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every row belongs to a workspace, reached by ``scope_path``."""

    scope_path = "workspace"  # the lookup from the model to its Workspace ("" for Workspace)
    change_list_template = "admin/console/change_list.html"
    change_form_template = "admin/console/change_form.html"
    delete_confirmation_template = "admin/console/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/console/delete_selected_confirmation.html"
    object_history_template = "admin/console/object_history.html"
    console_section = ""  # the sidebar's name of the page, also its title and breadcrumb
    per_workspace = True  # its lists are shown per workspace (False: tenants, workspaces)

    # -- rows --------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.for_user(request.user, super().get_queryset(request), path=self.scope_path)

    def workspace_of(self, obj: Model) -> Workspace | None:
        return access.workspace_of(obj, self.scope_path)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        workspace = self.workspace_of(obj) if obj is not None else None
        if workspace is not None:
            navigation.remember(request, workspace)  # the sidebar shows this object's workspace
        return obj

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> Any:
        # Outside the scope (or gone): 404, never a redirect that confirms what exists.
        raise Http404("No such object in your scope.")

    def get_object_for_action(self, request: HttpRequest, object_id: str, *, change: bool) -> Any:
        """One object for a custom view: 404 outside the scope, 403 when it may not change."""
        obj = access.get_for_user(
            request.user, self.model._default_manager.all(), object_id, path=self.scope_path
        )
        if change and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def get_urls(self) -> list[URLPattern]:
        # Django's "<pk>/" -> "<pk>/change/" redirect answers for any pk: here only in scope.
        return [
            URLPattern(p.pattern, self._checked_redirect(p.callback), p.default_args, p.name)
            if p.name is None and str(p.pattern) == "<path:object_id>/"
            else p
            for p in super().get_urls()
        ]

    def _checked_redirect(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(
            request: HttpRequest, *args: Any, object_id: str, **kwargs: Any
        ) -> HttpResponse:
            if self.get_object(request, object_id) is None:
                raise Http404("No such object in your scope.")
            return view(request, *args, object_id=object_id, **kwargs)

        return checked

    # -- permissions: the role in the object's workspace, never a model permission ----------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.has_any_scope(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.has_any_scope(request.user)
        workspace = self.workspace_of(obj)
        return workspace is not None and access.role_for(request.user, workspace) is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.workspaces_for(request.user, change=True).exists()
        workspace = self.workspace_of(obj)
        return workspace is not None and access.can_change(request.user, workspace)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        changeable = access.for_user(request.user, queryset, path=self.scope_path, change=True)
        if changeable.count() != queryset.count():
            raise PermissionDenied  # a viewer's row among the selection: delete none of them
        for obj in changeable:
            self.delete_model(request, obj)  # one by one, so each deletion is audited

    # -- choices and filters ---------------------------------------------------------------
    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        related = db_field.related_model
        if related is Workspace:
            kwargs["queryset"] = access.workspaces_for(request.user, change=True)
        elif related is Tenant:
            kwargs["queryset"] = access.tenants_for(request.user, change=True)
        elif related is not None and any(f.name == "workspace" for f in related._meta.fields):
            kwargs["queryset"] = access.for_user(
                request.user, related._default_manager.all(), change=True
            )
        elif not access.is_superuser(request.user):
            kwargs["queryset"] = related._default_manager.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A foreign key filter lists only the values present in the (scoped) queryset.
        filters = []
        for spec in super().get_list_filter(request):
            if (
                isinstance(spec, str)
                and "__" not in spec
                and isinstance(self.model._meta.get_field(spec), ForeignKey)
            ):
                spec = (spec, admin.RelatedOnlyFieldListFilter)
            filters.append(spec)
        return filters

    # -- one name per page: the sidebar's, in the title and the breadcrumb -------------------
    def console_context(self, request: HttpRequest, extra: dict[str, Any] | None) -> dict[str, Any]:
        name = self.console_section or str(self.opts.verbose_name_plural).capitalize()
        url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
        )
        shown = getattr(request, "console_workspace", None)
        if shown is not None and self.per_workspace:
            url += f"?{navigation.WORKSPACE_PARAM}={shown.pk}"
        return {
            "console_section": name,
            "console_section_url": url,
            "console_not_per_workspace": not self.per_workspace,
            **(extra or {}),
        }

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        context = self.console_context(request, extra_context)
        context.setdefault("title", context["console_section"])
        return super().changelist_view(request, context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        if object_id is not None:
            self.get_object(request, object_id)  # sets the current workspace for the context
        context = self.console_context(request, extra_context)
        return super().changeform_view(request, object_id, form_url, context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> Any:
        self.get_object(request, object_id)
        return super().delete_view(request, object_id, self.console_context(request, extra_context))

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> Any:
        self.get_object(request, object_id)
        return super().history_view(
            request, object_id, self.console_context(request, extra_context)
        )
