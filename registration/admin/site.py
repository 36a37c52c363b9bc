"""The console: one AdminSite serving the workspace pages, with the product's name.

``console`` replaces ``django.contrib.admin.site`` at ``/admin/`` (dcr_server/urls.py). Pages
other apps register on the stock site (django-oauth-toolkit's token tables, auth's users and
groups, anything added later) are adopted here for superusers only, under "Advanced"; so is any
page registered on the console that is not a ``ScopedAdmin``. A page therefore either derives
everything from the scope rule or is invisible to tenant administrators.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver

from registration.admin import navigation
from registration.admin.scoped import ScopedAdmin
from tenants import access

PRODUCT = "DCR Server"  # the same name as the end-user pages (templates/enduser/base.html)


def _superuser_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_superuser(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


class SuperuserOnly(admin.ModelAdmin):
    """Mixed in before an unscoped ModelAdmin: every permission and every URL, superusers only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_superuser(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_superuser(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return access.is_superuser(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_superuser(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_superuser(request.user) and super().has_delete_permission(request, obj)

    def get_urls(self) -> list[URLPattern]:
        return [
            URLPattern(p.pattern, _superuser_only(p.callback), p.default_args, p.name)
            for p in super().get_urls()
        ]


class ConsoleSite(admin.AdminSite):
    site_header = PRODUCT
    site_title = PRODUCT
    index_title = "Workspaces"
    site_url = None  # no "View site": the server's only public page is JSON
    index_template = "admin/console/index.html"
    enable_nav_sidebar = True

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._adopted = False

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ScopedAdmin):
            admin_class = type(
                f"SuperuserOnly{admin_class.__name__}", (SuperuserOnly, admin_class), {}
            )
        super().register(model_or_iterable, admin_class, **options)

    def adopt_stock_pages(self) -> None:
        """Serve what other apps registered on the stock admin site, superusers only."""
        if self._adopted:
            return
        self._adopted = True
        for model, model_admin in list(admin.site._registry.items()):
            if not self.is_registered(model):
                self.register(model, type(model_admin))

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # No /admin/r/<content type>/<pk>/ "view on site" redirect: it resolves any object of
        # any tenant without a scope check (an existence oracle), and no page here links to it.
        return [p for p in super().get_urls() if getattr(p, "name", None) != "view_on_site"]

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        self.adopt_stock_pages()
        return super().urls

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        context["console"] = navigation.console_context(request, self)
        return context

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "subtitle": None,
            "overviews": navigation.workspace_rows(request),
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.index_template, context)

    def advanced_models(self, request: HttpRequest) -> list[tuple[type[Model], str, str]]:
        """Superusers' raw tables: (model, name, changelist URL) of every unscoped page."""
        if not access.is_superuser(request.user):
            return []
        rows = []
        for model, model_admin in self._registry.items():
            if isinstance(model_admin, ScopedAdmin):
                continue
            opts = model._meta
            url = f"{opts.app_label}/{opts.model_name}/"
            rows.append((model, str(opts.verbose_name_plural).capitalize(), url))
        return sorted(rows, key=lambda row: (row[0]._meta.app_label, row[1]))


console = ConsoleSite()
