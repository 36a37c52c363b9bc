"""One test per finding of issue 12 on the console's forms and pages."""

from __future__ import annotations

import io
import json
from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from registration.admin.clients import source_label
from registration.intake import signed_request_keys, software_statement_keys
from registration.jose.errors import KeySetUnavailable
from registration.models import AuditEvent, Client, DCRSettings
from registration.services import registrar_create, token_reissue
from tenants.models import Tenant, Workspace
from tests.admin.conftest import Cast, KeyServer, settings_form


def page(workspace: Workspace) -> str:
    return reverse("admin:registration_client_registration", args=[workspace.pk])


def messages_of(html: str) -> list[str]:
    if 'class="messagelist"' not in html:
        return []
    block = html.split('class="messagelist"')[1].split("</ul>")[0]
    return [item.split(">", 1)[1].split("</li>")[0] for item in block.split("<li")[1:]]


# -- tenants and workspaces -----------------------------------------------------------------------


def test_superuser_creates_a_tenant_with_a_checked_slug(cast: Cast) -> None:
    http = cast.http(cast.superuser)
    add = reverse("admin:tenants_tenant_add")
    assert http.get(add).status_code == HTTPStatus.OK
    for bad in ("admin", "Upper", "a_b", "-x"):
        response = http.post(add, {"slug": bad, "name": "x", **inline_management()})
        assert response.status_code == HTTPStatus.OK and "errorlist" in response.content.decode()
        assert not Tenant.objects.filter(slug=bad).exists()
    response = http.post(add, {"slug": "charlie", "name": "Charlie", **inline_management()})
    assert response.status_code == HTTPStatus.FOUND
    assert Tenant.objects.get(slug="charlie").name == "Charlie"


def test_only_superusers_create_tenants(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    add = reverse("admin:tenants_tenant_add")
    assert http.get(add).status_code == HTTPStatus.FORBIDDEN
    assert http.post(add, {"slug": "charlie"}).status_code == HTTPStatus.FORBIDDEN
    assert not Tenant.objects.filter(slug="charlie").exists()


def test_tenant_admin_creates_a_workspace_with_dcr_settings(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    add = reverse("admin:tenants_workspace_add")
    form = http.get(add).content.decode()
    assert "alpha" in form and "bravo" not in form  # the tenant choice is the user's scope
    response = http.post(
        add,
        {
            "tenant": cast.a_one.tenant_id,
            "slug": "three",
            "name": "Three",
            "scopes_supported": "openid email",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    created = Workspace.objects.get(tenant__slug="alpha", slug="three")
    assert created.scopes_supported == ["openid", "email"]
    assert DCRSettings.objects.filter(workspace=created).exists()
    # Another tenant's: refused, nothing made.
    refused = http.post(
        add, {"tenant": cast.b_main.tenant_id, "slug": "evil", "scopes_supported": "openid"}
    )
    assert refused.status_code == HTTPStatus.OK
    assert not Workspace.objects.filter(slug="evil").exists()
    # A workspace admin (not of the tenant) cannot add workspaces at all.
    assert cast.http(cast.a_one_viewer).get(add).status_code == HTTPStatus.FORBIDDEN


def test_slugs_never_change_once_created(cast: Cast) -> None:
    http = cast.http(cast.superuser)
    tenant = cast.a_one.tenant
    http.post(
        reverse("admin:tenants_tenant_change", args=[tenant.pk]),
        {"slug": "renamed", "name": "Alpha Inc", **inline_management()},
    )
    tenant.refresh_from_db()
    assert tenant.slug == "alpha" and tenant.name == "Alpha Inc"
    http.post(
        reverse("admin:tenants_workspace_change", args=[cast.a_one.pk]),
        {
            "slug": "renamed",
            "tenant": cast.b_main.tenant_id,
            "name": "n",
            "scopes_supported": "openid profile email",
        },
    )
    cast.a_one.refresh_from_db()
    assert (cast.a_one.tenant.slug, cast.a_one.slug) == ("alpha", "one")


def inline_management() -> dict[str, str]:
    return {
        "workspaces-TOTAL_FORMS": "0",
        "workspaces-INITIAL_FORMS": "0",
        "workspaces-MIN_NUM_FORMS": "0",
        "workspaces-MAX_NUM_FORMS": "1000",
    }


def test_deleting_a_tenant_or_workspace_is_for_superusers_after_confirmation(cast: Cast) -> None:
    for url in (
        reverse("admin:tenants_tenant_delete", args=[cast.a_one.tenant_id]),
        reverse("admin:tenants_workspace_delete", args=[cast.a_one.pk]),
    ):
        assert (
            cast.http(cast.a_admin).post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        )
        question = cast.http(cast.superuser).get(url)
        assert question.status_code == HTTPStatus.OK and "Are you sure" in question.content.decode()
    assert Workspace.objects.filter(pk=cast.a_one.pk).exists()
    # No bulk "delete selected" on the lists.
    listing = cast.http(cast.superuser).get(reverse("admin:tenants_workspace_changelist"))
    assert "delete_selected" not in listing.content.decode()


@pytest.mark.parametrize(
    ("typed", "saved"),
    [("openid", ["openid"]), ("openid  profile openid", ["openid", "profile"])],
)
def test_scopes_supported_is_a_list_of_scope_tokens(
    cast: Cast, typed: str, saved: list[str]
) -> None:
    DCRSettings.objects.filter(workspace=cast.a_one).update(default_scopes=[])
    http = cast.http(cast.a_admin)
    url = reverse("admin:tenants_workspace_change", args=[cast.a_one.pk])
    response = http.post(url, {"name": "one", "scopes_supported": typed})
    assert response.status_code == HTTPStatus.FOUND
    cast.a_one.refresh_from_db()
    assert cast.a_one.scopes_supported == saved  # "openid" never becomes o, p, e, n, i, d
    assert http.get(page(cast.a_one)).status_code == HTTPStatus.OK
    event = AuditEvent.objects.filter(workspace=cast.a_one, event="configure").last()
    assert (
        event is not None and event.actor == "alice" and "scopes_supported" in event.changed_fields
    )


@pytest.mark.parametrize("typed", ["[1, 2]", '["openid"]', "", "open\\id", "a\x7fb"])
def test_scopes_supported_refuses_json_and_bad_tokens(cast: Cast, typed: str) -> None:
    http = cast.http(cast.a_admin)
    before = list(cast.a_one.scopes_supported)
    url = reverse("admin:tenants_workspace_change", args=[cast.a_one.pk])
    response = http.post(url, {"name": "one", "scopes_supported": typed})
    assert response.status_code == HTTPStatus.OK and "errorlist" in response.content.decode()
    cast.a_one.refresh_from_db()
    assert cast.a_one.scopes_supported == before


def test_a_default_scope_stays_offered(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    url = reverse("admin:tenants_workspace_change", args=[cast.a_one.pk])
    response = http.post(url, {"name": "one", "scopes_supported": "openid"})
    assert "default scope of client registration" in response.content.decode()
    cast.a_one.refresh_from_db()
    assert "profile" in cast.a_one.scopes_supported


# -- the DCR form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.json", "404"),
        ("/private.json", "private"),
        ("/garbage", "JSON"),
        (None, "ailed"),  # a dead port
    ],
)
def test_a_jwks_uri_is_fetched_and_validated_on_save(
    cast: Cast, key_server: KeyServer, path: str | None, reason: str
) -> None:
    uri = f"{key_server.base}{path}" if path else "http://127.0.0.1:9/jwks.json"
    http = cast.http(cast.superuser)  # a key server on loopback: the platform's to set
    form = settings_form(
        software_statement="on", software_statement_source="uri", software_statement_jwks_uri=uri
    )
    response = http.post(page(cast.a_one), form)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    row = html[html.index('class="form-row field-software_statement_jwks_uri errors"') :]
    assert "Fetching" in row[: row.index("</ul>")] and reason in row[: row.index("</ul>")]
    assert not DCRSettings.objects.get(workspace=cast.a_one).software_statement_jwks_uri
    # "Save anyway, fetch later" saves it.
    later = http.post(page(cast.a_one), {**form, "software_statement_fetch_later": "on"})
    assert later.status_code == HTTPStatus.FOUND
    assert DCRSettings.objects.get(workspace=cast.a_one).software_statement_jwks_uri == uri


def test_a_good_jwks_uri_saves(cast: Cast, key_server: KeyServer) -> None:
    uri = f"{key_server.base}/good.json"
    response = cast.http(cast.superuser).post(
        page(cast.a_one),
        settings_form(
            signed_request="on", signed_request_source="uri", signed_request_jwks_uri=uri
        ),
        follow=True,
    )
    assert DCRSettings.objects.get(workspace=cast.a_one).signed_request_jwks_uri == uri
    assert any("signed request JWKS URI" in m for m in messages_of(response.content.decode()))


def _uri_error(html: str, name: str) -> str:
    row = html[html.index(f'class="form-row field-{name}_jwks_uri errors"') :]
    return row[: row.index("</ul>")]


def test_a_tenant_admin_cannot_point_a_jwks_uri_into_the_platforms_network(
    cast: Cast, key_server: KeyServer
) -> None:
    """RFC 7591 §5's SSRF rule for a tenant administrator's URIs: what the server fetches for
    one tenant must not reach the platform's private addresses (the key server here answers
    on loopback, as an internal service would)."""
    http = cast.http(cast.a_admin)
    plain = settings_form(
        software_statement="on",
        software_statement_source="uri",
        software_statement_jwks_uri=f"{key_server.base}/good.json",
    )
    for form in (plain, {**plain, "software_statement_fetch_later": "on"}):
        response = http.post(page(cast.a_one), form)
        assert response.status_code == HTTPStatus.OK
        assert "https" in _uri_error(response.content.decode(), "software_statement")

    loopback = settings_form(
        signed_request="on",
        signed_request_source="uri",
        signed_request_jwks_uri="https://127.0.0.1:9/jwks.json",
    )
    response = http.post(page(cast.a_one), loopback)
    assert "private or special-use address" in _uri_error(
        response.content.decode(), "signed_request"
    )
    dcr = DCRSettings.objects.get(workspace=cast.a_one)
    assert (dcr.software_statement_jwks_uri, dcr.signed_request_jwks_uri) == ("", "")

    # Saved with "fetch later", it is still fetched as a tenant's URI when a request needs it.
    later = http.post(page(cast.a_one), {**loopback, "signed_request_fetch_later": "on"})
    assert later.status_code == HTTPStatus.FOUND
    (saved,) = messages_of(http.get(later["Location"]).content.decode())
    assert saved.endswith("changed: signed request JWKS URI.")  # the trust flag goes unnamed
    dcr = DCRSettings.objects.get(workspace=cast.a_one)
    assert dcr.signed_request_jwks_uri_trusted is False
    keys = signed_request_keys(dcr)
    assert keys.public_only
    with pytest.raises(KeySetUnavailable, match="private or special-use address"):
        keys.signing_keys(None)


def test_a_platform_uri_keeps_its_trust_when_a_tenant_admin_saves_the_page(
    cast: Cast, key_server: KeyServer
) -> None:
    uri = f"{key_server.base}/good.json"
    form = settings_form(
        software_statement="on", software_statement_source="uri", software_statement_jwks_uri=uri
    )
    assert cast.http(cast.superuser).post(page(cast.a_one), form).status_code == HTTPStatus.FOUND

    saved = cast.http(cast.a_admin).post(page(cast.a_one), {**form, "default_scopes": "openid"})

    assert saved.status_code == HTTPStatus.FOUND
    dcr = DCRSettings.objects.get(workspace=cast.a_one)
    assert (dcr.software_statement_jwks_uri, dcr.software_statement_jwks_uri_trusted) == (uri, True)
    assert dcr.default_scopes == ["openid"]
    assert software_statement_keys(dcr).signing_keys(None)  # still fetched from loopback


def test_the_command_line_sets_trusted_uris(cast: Cast, key_server: KeyServer) -> None:
    uri = f"{key_server.base}/good.json"
    call_command(
        "dcr",
        "configure",
        "alpha/one",
        "--software-statement-jwks-uri",
        uri,
        stdout=io.StringIO(),
    )
    dcr = DCRSettings.objects.get(workspace=cast.a_one)
    assert dcr.software_statement_jwks_uri_trusted is True
    event = AuditEvent.objects.filter(workspace=cast.a_one, event="configure").latest("pk")
    assert "software_statement_jwks_uri" in event.changed_fields


def test_keys_pasted_without_their_protection_are_a_field_error(
    cast: Cast, ec_jwks: dict[str, Any]
) -> None:
    before = DCRSettings.objects.get(workspace=cast.a_one).updated_at
    response = cast.http(cast.a_admin).post(
        page(cast.a_one), settings_form(signed_request_jwks=json.dumps(ec_jwks))
    )
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK and "Nothing was saved." in html
    row = html[html.index('class="form-row field-signed_request_jwks errors"') :]
    assert "the protection is off" in row[: row.index("</ul>")]
    assert DCRSettings.objects.get(workspace=cast.a_one).updated_at == before


def test_success_messages_say_what_changed(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    DCRSettings.objects.filter(workspace=cast.a_one).update(enabled=True)
    same = http.post(page(cast.a_one), settings_form(), follow=True)
    assert messages_of(same.content.decode()) == ["Nothing changed."]
    changed = http.post(
        page(cast.a_one), settings_form(registration_access_token_ttl="3600"), follow=True
    )
    assert messages_of(changed.content.decode()) == [
        "Saved. Changed: registration access token lifetime."
    ]
    DCRSettings.objects.filter(workspace=cast.a_one).update(enabled=False)
    enabled = http.post(page(cast.a_one), settings_form(), follow=True)
    assert messages_of(enabled.content.decode()) == [
        "You&#x27;ve successfully enabled DCR in your workspace. "
        "Also changed: registration access token lifetime."
    ]


def test_every_cli_setting_is_in_the_form(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    response = http.post(
        page(cast.a_one),
        settings_form(
            client_secret_ttl="86400", delete_never_used_after_days="7", delete_idle_after_days="90"
        ),
    )
    assert response.status_code == HTTPStatus.FOUND
    dcr = DCRSettings.objects.get(workspace=cast.a_one)
    assert (
        dcr.client_secret_ttl,
        dcr.delete_never_used_after_days,
        dcr.delete_idle_after_days,
    ) == (
        86400,
        7,
        90,
    )
    # Every setting of `dcr configure` has its field (its flag -> the form's name).
    flags = {
        "--enable": "enabled",
        "--rat-ttl": "registration_access_token_ttl",
        "--protect-by-access-token": "protect_by_access_token",
        "--software-statement-jwks": "software_statement_jwks",
        "--software-statement-jwks-uri": "software_statement_jwks_uri",
        "--signed-request-jwks": "signed_request_jwks",
        "--signed-request-jwks-uri": "signed_request_jwks_uri",
        "--client-secret-ttl": "client_secret_ttl",
        "--token-rotation": "token_rotation",
        "--default-scopes": "default_scopes",
        "--policy": "policy",
        "--delete-never-used-after": "delete_never_used_after_days",
        "--delete-idle-after": "delete_idle_after_days",
        "--cimd": "cimd_enabled",
        "--cimd-trusted-hosts": "cimd_trusted_hosts",
    }
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("dcr", "configure", "--help", stdout=out)
    listed = {word.rstrip(",") for word in out.getvalue().split() if word.startswith("--")}
    settings_flags = {f for f in listed if not f.startswith(("--no-", "--disable"))} - {
        "--help",
        "--version",
        "--verbosity",
        "--settings",
        "--pythonpath",
        "--traceback",
        "--no-color",
        "--force-color",
        "--skip-checks",
    }
    assert settings_flags <= set(flags), settings_flags - set(flags)
    html = http.get(page(cast.a_one)).content.decode()
    for field in flags.values():
        assert f'name="{field}"' in html, field


# -- test policy --------------------------------------------------------------------------------


def test_the_dry_run_needs_the_admin_role(cast: Cast) -> None:
    viewer = cast.http(cast.a_one_viewer)
    body = {"action": "dry_run", "metadata": json.dumps({"grant_types": ["client_credentials"]})}
    assert viewer.post(page(cast.a_one), body).status_code == HTTPStatus.FORBIDDEN
    assert 'value="dry_run"' not in viewer.get(page(cast.a_one) + "?tab=test").content.decode()


def test_a_deeply_nested_dry_run_body_is_a_form_error(cast: Cast) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    response = cast.http(cast.a_admin).post(
        page(cast.a_one), {"action": "dry_run", "metadata": '{"a": ' + nested + "}"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "nested too deeply" in response.content.decode()


def test_the_dry_run_redirects_and_shows_its_result_once(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    body = {"action": "dry_run", "metadata": json.dumps({"grant_types": ["client_credentials"]})}
    response = http.post(page(cast.a_one), body)
    assert response.status_code == HTTPStatus.FOUND
    assert 'id="dry-run-result"' in http.get(response["Location"]).content.decode()
    assert 'id="dry-run-result"' not in http.get(response["Location"]).content.decode()


# -- applications -------------------------------------------------------------------------------


def test_the_delete_page_names_the_client(cast: Cast) -> None:
    client, _ = registrar_create(workspace=cast.a_one, name="Partner registrar")
    token_reissue(client=client)
    html = (
        cast.http(cast.a_admin)
        .get(reverse("admin:registration_client_delete", args=[client.pk]))
        .content.decode()
    )
    assert "registration access token of Partner registrar" in html
    assert f"registration access token of {client.pk}<" not in html


def test_the_source_label_follows_registration_source(cast: Cast) -> None:
    assert source_label("dcr") == "DCR" and source_label("manual") == "Manual"
    assert source_label("cimd") == "CIMD"  # a future source is labelled by its own name
    client, _ = registrar_create(workspace=cast.a_one, name="Doc client")
    Client.objects.filter(pk=client.pk).update(registration_source="cimd")
    listing = cast.http(cast.a_admin).get(reverse("admin:registration_client_changelist"))
    assert (
        '<span class="dcr-badge" title="Registered by CIMD">CIMD</span>' in listing.content.decode()
    )


def test_reissue_from_a_reload_shows_nothing_and_issues_nothing(cast: Cast) -> None:
    client, _ = registrar_create(workspace=cast.a_one, name="r")
    http = cast.http(cast.a_admin)
    url = reverse("admin:registration_client_reissue_token", args=[client.pk])
    done = http.post(url, {"confirm": "yes"})
    first = http.get(done["Location"]).content.decode()
    second = http.get(done["Location"]).content.decode()
    assert 'id="reissued-token-value"' in first and 'id="reissued-token-value"' not in second
    assert AuditEvent.objects.filter(event="reissue").count() == 1
    # Without the confirmation field a POST does nothing but ask.
    asked = http.post(url)
    assert (
        asked.status_code == HTTPStatus.OK
        and AuditEvent.objects.filter(event="reissue").count() == 1
    )


# -- every page: the product's name, one name per page, no View site -----------------------------


def test_every_page_names_the_product_and_has_no_view_site(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    for url in (
        reverse("admin:index"),
        page(cast.a_one),
        reverse("admin:registration_client_changelist"),
        reverse("admin:registration_auditevent_changelist"),
        reverse("admin:tenants_workspace_overview", args=[cast.a_one.pk]),
        reverse("admin:tenants_workspace_changelist"),
        reverse("admin:password_change"),
    ):
        html = http.get(url).content.decode()
        assert "Django administration" not in html and "Django site admin" not in html, url
        assert "DCR Server" in html.split("</title>")[0], url
        assert "View site" not in html, url
    assert "DCR Server" in HttpClient().get(reverse("admin:login")).content.decode()


def test_the_sidebar_lists_each_page_once(cast: Cast) -> None:
    html = cast.http(cast.superuser).get(page(cast.a_one)).content.decode()
    nav = html[
        html.index('id="nav-sidebar"') : html.index("</nav>", html.index('id="nav-sidebar"'))
    ]
    assert nav.count(">Applications</a>") == 1
    assert nav.count(">Audit</a>") == 1 and "Registration events" not in nav
    assert nav.count(">Client Registration</a>") == 1
    # The raw token tables: superusers only, under Advanced.
    assert "Advanced" in nav and "Access tokens" in nav
    tenant_nav = cast.http(cast.a_admin).get(page(cast.a_one)).content.decode()
    assert "Advanced" not in tenant_nav and "Access tokens" not in tenant_nav


def test_the_audit_list_title_matches_the_sidebar(cast: Cast) -> None:
    html = (
        cast.http(cast.a_admin)
        .get(reverse("admin:registration_auditevent_changelist"))
        .content.decode()
    )
    assert "<h1>Audit</h1>" in html
    crumbs = html.split('class="breadcrumbs"')[1].split("</div>")[0]
    assert "Audit" in crumbs and "Registration" not in crumbs


def test_only_a_superuser_sets_a_policy_hook(cast: Cast) -> None:
    policy = json.dumps({"hook": "tests.policy_hooks.approve"})
    response = cast.http(cast.a_admin).post(page(cast.a_one), settings_form(policy=policy))
    assert response.status_code == HTTPStatus.OK
    assert "Only a platform administrator" in response.content.decode()
    assert DCRSettings.objects.get(workspace=cast.a_one).policy is None


# -- Client ID Metadata Documents (issue 13: the switch and trusted hosts, CLI and admin) ---------


def test_cimd_is_switched_on_with_its_trusted_hosts_from_the_console(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    response = http.post(
        page(cast.a_one),
        settings_form(cimd_enabled="on", cimd_trusted_hosts="app.example.com\n*.example.org"),
    )
    assert response.status_code == HTTPStatus.FOUND
    dcr = DCRSettings.objects.get(workspace=cast.a_one)
    assert dcr.cimd_enabled is True
    assert dcr.cimd_trusted_hosts == ["app.example.com", "*.example.org"]
    html = http.get(page(cast.a_one)).content.decode()
    assert "app.example.com\n*.example.org" in html


def test_a_bad_cimd_trusted_host_is_a_field_error_and_changes_nothing(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    before = DCRSettings.objects.get(workspace=cast.a_one)
    response = http.post(
        page(cast.a_one),
        settings_form(cimd_enabled="on", cimd_trusted_hosts="https://app.example.com/x"),
    )
    assert response.status_code == HTTPStatus.OK
    assert "CIMD trusted host" in response.content.decode()
    after = DCRSettings.objects.get(workspace=cast.a_one)
    assert (after.cimd_enabled, after.cimd_trusted_hosts) == (
        before.cimd_enabled,
        before.cimd_trusted_hosts,
    )


# -- workspace settings of issues 13 and 14 (resource indicators, subject type) -----------------


def test_resource_indicators_and_subject_type_are_set_from_the_console(cast: Cast) -> None:
    http = cast.http(cast.a_admin)
    url = reverse("admin:tenants_workspace_change", args=[cast.a_one.pk])
    response = http.post(
        url,
        {
            "name": "one",
            "scopes_supported": " ".join(cast.a_one.scopes_supported),
            "resource_indicators": "https://mcp.example.com/mcp\nhttps://api.example.com",
            "subject_type": "pairwise",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    cast.a_one.refresh_from_db()
    assert cast.a_one.resource_indicators == [
        "https://mcp.example.com/mcp",
        "https://api.example.com",
    ]
    assert cast.a_one.subject_type == "pairwise"
    event = AuditEvent.objects.filter(workspace=cast.a_one, event="configure").last()
    assert event is not None
    assert {"resource_indicators", "subject_type"} <= set(event.changed_fields)


@pytest.mark.parametrize("typed", ["not-a-uri", "https://api.example.com/#frag", "/relative"])
def test_a_bad_resource_indicator_is_a_field_error_and_changes_nothing(
    cast: Cast, typed: str
) -> None:
    http = cast.http(cast.a_admin)
    name = cast.a_one.name
    url = reverse("admin:tenants_workspace_change", args=[cast.a_one.pk])
    response = http.post(
        url,
        {
            "name": "renamed",
            "scopes_supported": " ".join(cast.a_one.scopes_supported),
            "resource_indicators": typed,
        },
    )
    assert response.status_code == HTTPStatus.OK and "errorlist" in response.content.decode()
    cast.a_one.refresh_from_db()
    assert (cast.a_one.name, cast.a_one.resource_indicators) == (name, [])


def test_a_viewer_cannot_change_resource_indicators(cast: Cast) -> None:
    http = cast.http(cast.a_one_viewer)
    url = reverse("admin:tenants_workspace_change", args=[cast.a_one.pk])
    response = http.post(
        url,
        {
            "name": "one",
            "scopes_supported": " ".join(cast.a_one.scopes_supported),
            "resource_indicators": "https://evil.example",
        },
    )
    assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
    cast.a_one.refresh_from_db()
    assert cast.a_one.resource_indicators == []
