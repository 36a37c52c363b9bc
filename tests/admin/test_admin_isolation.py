"""Isolation of the console (CONTRACT "Tenant administration"), with the standing cast.

Every admin URL is enumerated from the console site itself (not a hand list a new page could
escape) and filled with objects of tenant A (workspaces one and two) and tenant B. For every
role: no page shows anything of a workspace outside its scope, every object outside it answers
403 or 404, and every state-changing POST it may not make changes nothing in the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db.models import Model
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from oauth2_provider.models import AccessToken

from registration.admin.scoped import ScopedAdmin
from registration.admin.site import console
from registration.models import AuditEvent, Client, DCRSettings, RegistrationAccessToken
from registration.services import registrar_create, token_reissue
from tenants import access
from tenants.keys import active_signing_key
from tenants.models import AccessGrant, SigningKey, Tenant, Workspace
from tests.admin.conftest import Cast, settings_form

OUT_OF_SCOPE = (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
TABLES: tuple[type[Model], ...] = (
    Tenant,
    Workspace,
    DCRSettings,
    Client,
    RegistrationAccessToken,
    AuditEvent,
    SigningKey,
    AccessToken,
    AccessGrant,
    Group,
    LogEntry,
)


def snapshot() -> str:
    """Every row of every table an admin page could write, as one digest."""
    data = {
        model._meta.label: sorted(
            json.dumps(row, sort_keys=True, default=str) for row in model._default_manager.values()
        )
        for model in TABLES
    }
    # last_login moves when the test client logs in; it is not an admin write.
    data["users"] = sorted(
        json.dumps(row, sort_keys=True, default=str)
        for row in get_user_model().objects.values(
            "pk", "username", "password", "is_staff", "is_superuser", "is_active"
        )
    )
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass
class World:
    cast: Cast
    objects: dict[type[Model], dict[int | None, Model]]  # model -> workspace pk -> object
    markers: dict[int, list[str]]  # workspace pk -> strings only its pages show


@pytest.fixture
def world(cast: Cast) -> World:
    objects: dict[type[Model], dict[int | None, Model]] = {}
    markers: dict[int, list[str]] = {}
    for ws in (cast.a_one, cast.a_two, cast.b_main):
        tag = f"mk-{ws.tenant.slug}-{ws.slug}"
        Workspace.objects.filter(pk=ws.pk).update(name=f"{tag}-name")
        ws.refresh_from_db()
        client, _secret = registrar_create(workspace=ws, name=f"{tag}-client")
        token_reissue(client=client)  # gives the client a registration access token
        event = AuditEvent.objects.create(workspace=ws, event="register", client_id=f"{tag}-event")
        key = active_signing_key(ws)
        token = AccessToken.objects.create(
            application=client,
            token=f"{tag}-access-token",
            expires=timezone.now() + timezone.timedelta(hours=1),
            scope="dcr_register",
        )
        for model, obj in (
            (Workspace, ws),
            (DCRSettings, DCRSettings.objects.get(workspace=ws)),
            (Client, client),
            (AuditEvent, event),
            (SigningKey, key),
            (AccessToken, token),
        ):
            objects.setdefault(model, {})[ws.pk] = obj
        markers[ws.pk] = [
            ws.name,
            client.name,
            client.client_id,
            event.client_id,
            key.kid,
            ws.label,
        ]
    objects[Tenant] = {
        cast.a_one.pk: cast.a_one.tenant,
        cast.b_main.pk: cast.b_main.tenant,
    }
    Tenant.objects.filter(slug="bravo").update(name="mk-tenant-bravo")
    markers[cast.b_main.pk].append("mk-tenant-bravo")
    objects[get_user_model()] = {None: cast.superuser}
    objects[Group] = {None: Group.objects.create(name="operators")}
    return World(cast=cast, objects=objects, markers=markers)


@dataclass(frozen=True)
class Target:
    url: str
    model: type[Model] | None
    workspace_pk: int | None  # the workspace of the object in the URL (None: no object)
    post_kinds: tuple[str, ...]


def _walk() -> Iterator[tuple[str, type[Model] | None, URLPattern]]:
    """The site's own URLs, then each registered page's, with the model it serves."""
    top = console.get_urls()
    # Every nested resolver is one registered page's: walking the registry misses none.
    assert sum(isinstance(p, URLResolver) for p in top) == len(console._registry)
    for pattern in top:
        if isinstance(pattern, URLPattern):
            yield "/admin/" + str(pattern.pattern), None, pattern
    for model, model_admin in console._registry.items():
        prefix = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for pattern in model_admin.get_urls():
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern), model, pattern


def admin_targets(world: World) -> list[Target]:
    """Every console URL, each placeholder filled with the objects of each workspace."""
    targets = []
    for route, model, pattern in _walk():
        if pattern.name in ("logout", "password_change", "password_change_done"):
            continue  # session pages, no tenant data (and logout ends the test's session)
        route = route.lstrip("^").rstrip("$")
        if "(?P<app_label>" in route:
            for label in ("auth", "tenants", "registration", "oauth2_provider"):
                targets.append(
                    Target(
                        re.sub(r"\(\?P<app_label>[^)]*\)", label, route), None, None, ("generic",)
                    )
                )
            continue
        if pattern.name == "view_on_site" or "<path:url>" in route:
            continue  # the catch-all and view-on-site are covered by their own tests below
        kinds = ("generic",)
        if pattern.name == "registration_client_registration":
            kinds = ("save", "registrar", "dry_run", "fetch")
        elif pattern.name and pattern.name.endswith("_changelist"):
            kinds = ("delete_selected",)
        needs_object = "<path:object_id>" in route or "<int:workspace_pk>" in route
        if not needs_object:
            targets.append(Target(route, model, None, kinds))
            continue
        by_workspace = world.objects.get(
            Workspace if "<int:workspace_pk>" in route else model,
            {},  # type: ignore[arg-type]
        )
        for ws_pk, obj in by_workspace.items():
            url = route.replace("<path:object_id>", str(obj.pk)).replace(
                "<int:workspace_pk>", str(obj.pk)
            )
            targets.append(Target(url, model, ws_pk, kinds))
    return targets


def post_payloads(
    kind: str, world: World, user: Any, model: type[Model] | None
) -> list[dict[str, Any]]:
    """What a hostile administrator would POST, aimed at what ``user`` may not change."""
    changeable = set(access.workspaces_for(user, change=True).values_list("pk", flat=True))
    foreign = [
        str(obj.pk)
        for ws_pk, obj in world.objects.get(model, {}).items()  # type: ignore[call-overload]
        if ws_pk not in changeable
    ]
    not_mine = access.tenants_for(user, change=True).values_list("pk", flat=True)
    tenant = Tenant.objects.exclude(pk__in=list(not_mine)).first()
    generic = {
        "post": "yes",
        "confirm": "yes",
        "name": "pwned",
        "slug": "pwned",
        "tenant": str(tenant.pk if tenant else ""),
        "scopes_supported": "openid pwned",
        "_save": "Save",
    }
    if kind == "delete_selected":
        return [
            {"action": "delete_selected", "_selected_action": foreign, "post": "yes", "index": "0"}
        ]
    if kind == "generic":
        return [generic]
    extra = {
        "metadata": json.dumps({"grant_types": ["client_credentials"]}),
        "protection": "software_statement",
    }
    return [{**settings_form(action=kind, protect_by_access_token="on"), **generic, **extra}]


def in_scope(user: Any, workspace_pk: int | None) -> bool:
    return workspace_pk is None or access.workspaces_for(user).filter(pk=workspace_pk).exists()


def may_change(user: Any, workspace_pk: int | None, model: type[Model] | None) -> bool:
    admin = console._registry.get(model) if model is not None else None
    if access.is_superuser(user):
        return True
    if admin is not None and not isinstance(admin, ScopedAdmin):
        return False
    if workspace_pk is None:
        return False  # add pages and lists: nothing of another scope may be written either
    return access.workspaces_for(user, change=True).filter(pk=workspace_pk).exists()


ROLES = ("a_admin", "a_one_viewer", "no_grant", "b_admin")


def hidden_markers(world: World, user: Any) -> list[str]:
    visible = set(access.workspaces_for(user).values_list("pk", flat=True))
    return [m for ws_pk, found in world.markers.items() if ws_pk not in visible for m in found]


def test_the_console_has_pages_to_check(world: World) -> None:
    targets = admin_targets(world)
    names = {t.url for t in targets}
    # The enumeration reaches the custom pages, not only the stock ones.
    assert any("client-registration/" in url for url in names)
    assert any(url.endswith("/reissue-token/") for url in names)
    assert any(url.endswith("/overview/") for url in names)
    assert len(targets) > 60


def test_superuser_reaches_every_page(world: World) -> None:
    http = world.cast.http(world.cast.superuser)
    for target in admin_targets(world):
        response = http.get(target.url)
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, target.url
        if target.workspace_pk is not None:
            # 403 only where nobody may (deleting an audit event): never "not found".
            assert response.status_code != HTTPStatus.NOT_FOUND, target.url


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_scope(world: World, role: str) -> None:
    user = getattr(world.cast, role)
    http = world.cast.http(user)
    hidden = hidden_markers(world, user)
    assert hidden  # every role of the cast has something it must not see
    seen_ok = 0
    for target in admin_targets(world):
        response = http.get(target.url)
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, target.url
        if not in_scope(user, target.workspace_pk):
            assert response.status_code in OUT_OF_SCOPE, target.url
        elif response.status_code == HTTPStatus.OK:
            seen_ok += 1
        body = response.content.decode(errors="replace")
        for marker in hidden:
            assert marker not in body, (target.url, marker)
    if role != "no_grant":
        assert seen_ok > 10  # the role does reach its own pages
    else:
        assert "You have no workspace to administer" in http.get("/admin/").content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_lists_filters_and_searches_never_reach_another_scope(world: World, role: str) -> None:
    user = getattr(world.cast, role)
    http = world.cast.http(user)
    hidden = hidden_markers(world, user)
    lists = [t for t in admin_targets(world) if "delete_selected" in t.post_kinds]
    for target in lists:
        for marker in hidden:
            for query in ({"q": marker}, {"workspace__id__exact": _pk_of_marker(world, marker)}):
                response = http.get(target.url, query)
                body = response.content.decode(errors="replace")
                if "q" in query:  # the search box echoes the query: look past it
                    body = body.replace(f'value="{marker}"', "").replace(f"q={marker}", "")
                    body = body.replace(f"q%3D{marker}", "")
                for other in hidden:
                    assert other not in body, (target.url, query, other)


def _pk_of_marker(world: World, marker: str) -> str:
    return next(str(pk) for pk, found in world.markers.items() if marker in found)


@pytest.mark.parametrize("role", ROLES)
def test_no_write_outside_the_scope_changes_anything(world: World, role: str) -> None:
    user = getattr(world.cast, role)
    http = world.cast.http(user)
    checked = 0
    for target in admin_targets(world):
        if may_change(user, target.workspace_pk, target.model):
            continue
        payloads = [
            payload
            for kind in target.post_kinds
            for payload in post_payloads(kind, world, user, target.model)
        ]
        for payload in payloads:
            before = snapshot()
            response = http.post(target.url, payload)
            assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, target.url
            assert snapshot() == before, (target.url, payload.get("action"))
            checked += 1
    assert checked > 20


def test_a_viewer_changes_nothing_in_its_own_workspace(world: World) -> None:
    viewer = world.cast.a_one_viewer
    http = world.cast.http(viewer)
    own = [t for t in admin_targets(world) if t.workspace_pk == world.cast.a_one.pk]
    assert own
    for target in own:
        for kind in target.post_kinds:
            for payload in post_payloads(kind, world, viewer, target.model):
                before = snapshot()
                response = http.post(target.url, payload)
                assert response.status_code in (*OUT_OF_SCOPE, HTTPStatus.FOUND, HTTPStatus.OK)
                assert snapshot() == before, (target.url, kind)


def test_a_tenant_admin_changes_its_own_workspace(world: World) -> None:
    """The suite above can fail: the same POST by the right role does change the database."""
    http = world.cast.http(world.cast.a_admin)
    url = f"/admin/registration/dcrsettings/client-registration/{world.cast.a_two.pk}/"
    response = http.post(url, settings_form(protect_by_access_token="on"))
    assert response.status_code == HTTPStatus.FOUND
    assert DCRSettings.objects.get(workspace=world.cast.a_two).protect_by_access_token


def test_view_on_site_is_not_served(world: World) -> None:
    # The stock /admin/r/<content type>/<pk>/ redirect checks no scope: it would tell a tenant
    # admin which objects of another tenant exist.
    assert not any(
        p.name == "view_on_site" for p in console.get_urls() if isinstance(p, URLPattern)
    )


def test_unscoped_pages_are_superuser_only(world: World) -> None:
    unscoped = [ma for ma in console._registry.values() if not isinstance(ma, ScopedAdmin)]
    assert unscoped  # DOT's token tables, users, groups
    http = world.cast.http(world.cast.a_admin)
    for model_admin in unscoped:
        opts = model_admin.model._meta
        response = http.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert response.status_code == HTTPStatus.FORBIDDEN, opts.label
    assert Session.objects.exists()
