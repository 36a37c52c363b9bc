"""The admin console with Django's test client: permissions, settings, actions, no secrets."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.test import Client as HttpClient
from django.urls import reverse
from oauth2_provider.models import AccessToken

from registration.configuration import dcr_settings_data
from registration.models import AuditEvent, Client, DCRSettings
from tenants.models import SigningKey, Workspace
from tenants.services import access_grant
from tests.admin.conftest import make_user, settings_form
from tests.helpers import basic, bearer, ws_url

SUCCESS = "You&#x27;ve successfully enabled DCR in your workspace."


def snapshot(workspace: Workspace) -> dict[str, Any]:
    dcr = DCRSettings.objects.get(workspace=workspace)
    return {**dcr_settings_data(dcr), "jwks": dcr.software_statement_jwks}


def client_token(api: HttpClient, workspace: Workspace, client_id: str, secret: str) -> Any:
    return api.post(
        ws_url(workspace, "/oauth2/token"),
        {"grant_type": "client_credentials"},
        **basic(client_id, secret),
    )


# -- navigation and permissions -----------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(client: HttpClient, page_url: str) -> None:
    response = client.get(page_url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")


def test_non_staff_user_is_sent_to_the_login_page(login_as: Any, page_url: str) -> None:
    response = login_as(make_user("bob", staff=False)).get(page_url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_a_grant_is_refused(
    login_as: Any, page_url: str, workspace: Workspace
) -> None:
    # CONTRACT: a staff user with no grant sees no tenant's data, even with model permissions.
    http = login_as(make_user("carol", staff=True, perms=("change_dcrsettings",)))
    before = snapshot(workspace)
    assert http.get(page_url).status_code == HTTPStatus.NOT_FOUND
    assert http.post(page_url, settings_form()).status_code == HTTPStatus.NOT_FOUND
    assert snapshot(workspace) == before
    index = http.get(reverse("admin:index")).content.decode()
    assert "Client Registration" not in index and "default/default" not in index


def viewer_of(workspace: Workspace, username: str) -> Any:
    user = make_user(username, staff=True)
    access_grant(user=user, tenant=workspace.tenant, workspace=workspace, role="viewer")
    return user


def test_viewer_sees_but_cannot_change(login_as: Any, page_url: str, workspace: Workspace) -> None:
    http = login_as(viewer_of(workspace, "dave"))
    page = http.get(page_url)
    assert page.status_code == HTTPStatus.OK
    assert b'<fieldset class="module aligned" disabled>' in page.content
    before = snapshot(workspace)
    response = http.post(page_url, settings_form(enabled=None))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert snapshot(workspace) == before


def test_sidebar_groups_client_registration_under_oauth(
    admin_http: HttpClient, workspace: Workspace, page_url: str
) -> None:
    html = admin_http.get(reverse("admin:index")).content.decode()
    start = html.index('id="workspace-sections"')
    sections = html[start : html.index('id="administration-sections"')]
    oauth, server, registration = (
        sections.index(name) for name in ("OAuth", "Authorization Server", "Client Registration")
    )
    assert oauth < server < registration
    assert f'href="{page_url}"' in sections
    chooser = reverse("admin:registration_client_registration_index")
    # One workspace: the chooser goes straight to its page.
    assert admin_http.get(chooser)["Location"] == page_url


def test_chooser_and_switcher_list_every_workspace(
    admin_http: HttpClient, workspace: Workspace, other_workspace: Workspace, page_url: str
) -> None:
    chooser = admin_http.get(reverse("admin:registration_client_registration_index"))
    assert chooser.status_code == HTTPStatus.OK
    other_url = reverse("admin:registration_client_registration", args=[other_workspace.pk])
    assert other_url in chooser.content.decode()
    page = admin_http.get(page_url).content.decode()
    switcher = page[page.index('id="workspace-switcher"') :]
    switcher = switcher[: switcher.index("</details>")]
    overview = reverse("admin:tenants_workspace_overview", args=[other_workspace.pk])
    assert overview in switcher and "acme/prod" in switcher


def test_page_shows_tabs_with_dcr_first(admin_http: HttpClient, page_url: str) -> None:
    html = admin_http.get(page_url).content.decode()
    tabs = [html.index(f'id="tab-{key}"') for key in ("dcr", "registrar", "test", "events")]
    assert tabs == sorted(tabs)
    assert "Enable dynamic client registration" in html
    for label in (
        "Protect by access token",
        "Protected by software statement",
        "Signed request body",
    ):
        assert label in html


def test_csrf_is_enforced(superuser: Any, page_url: str, workspace: Workspace) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(superuser)
    assert "csrfmiddlewaretoken" in http.get(page_url).content.decode()
    before = snapshot(workspace)
    assert http.post(page_url, settings_form(enabled=None)).status_code == HTTPStatus.FORBIDDEN
    assert snapshot(workspace) == before


# -- saving settings --------------------------------------------------------------------------


def test_save_enables_dcr_with_every_protection(
    admin_http: HttpClient,
    page_url: str,
    workspace: Workspace,
    rsa_jwks: dict[str, Any],
    superuser: Any,
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)
    policy = {"grant_types": {"allow": ["authorization_code", "client_credentials"]}}
    response = admin_http.post(
        page_url,
        settings_form(
            protect_by_access_token="on",
            software_statement="on",
            software_statement_jwks=json.dumps(rsa_jwks),
            signed_request="on",
            signed_request_source="uri",
            signed_request_jwks_uri="https://keys.example.com/jwks.json",
            signed_request_fetch_later="on",  # keys.example.com does not answer
            policy=json.dumps(policy),
            registration_access_token_ttl="3600",
            token_rotation="update",
            default_scopes="openid email",
        ),
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert SUCCESS in html
    dcr = DCRSettings.objects.get(workspace=workspace)
    assert dcr.enabled and dcr.protect_by_access_token
    assert dcr.software_statement_jwks["keys"][0]["kid"] == "statement-rsa-1"
    assert dcr.signed_request_jwks_uri == "https://keys.example.com/jwks.json"
    assert dcr.policy == policy
    assert dcr.registration_access_token_ttl == 3600
    assert dcr.token_rotation == "update"
    assert dcr.default_scopes == ["openid", "email"]
    # The saved keys are listed by kid, kty and alg.
    assert "statement-rsa-1" in html and "RS256" in html
    entry = LogEntry.objects.get(user=superuser, action_flag=CHANGE)
    assert entry.object_id == str(dcr.pk)
    assert "enabled" in entry.get_change_message()


def test_saving_with_dcr_off_says_saved(
    admin_http: HttpClient, page_url: str, workspace: Workspace
) -> None:
    response = admin_http.post(page_url, settings_form(enabled=None), follow=True)
    assert "Dynamic client registration is now disabled." in response.content.decode()
    assert SUCCESS not in response.content.decode()
    assert not DCRSettings.objects.get(workspace=workspace).enabled


def test_turning_a_protection_off_removes_its_keys(
    admin_http: HttpClient, page_url: str, workspace: Workspace, ec_jwks: dict[str, Any]
) -> None:
    admin_http.post(
        page_url, settings_form(signed_request="on", signed_request_jwks=json.dumps(ec_jwks))
    )
    assert DCRSettings.objects.get(workspace=workspace).requires_signed_request
    admin_http.post(page_url, settings_form())
    assert not DCRSettings.objects.get(workspace=workspace).requires_signed_request


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"software_statement": "on", "software_statement_jwks": "PRIVATE"},
            "software_statement_jwks",
            "software statement JWKS",
        ),
        (
            {"software_statement": "on", "software_statement_jwks": "{not json"},
            "software_statement_jwks",
            "not valid JSON",
        ),
        (
            {"software_statement": "on", "software_statement_jwks": ""},
            "software_statement_jwks",
            "Paste the JSON Web Key Set",
        ),
        (
            {
                "signed_request": "on",
                "signed_request_source": "uri",
                "signed_request_jwks_uri": "ftp://x",
            },
            "signed_request_jwks_uri",
            "signed request JWKS URI",
        ),
        (
            {
                "signed_request": "on",
                "signed_request_source": "uri",
                "signed_request_jwks_uri": "not a uri",
            },
            "signed_request_jwks_uri",
            "is not an absolute http(s) URL",
        ),
        ({"policy": '{"grant_type": {"allow": []}}'}, "policy", "grant_type"),
        ({"policy": '{"max_clients": "many"}'}, "policy", "max_clients"),
        ({"policy": "[1, 2]"}, "policy", "policy"),
        ({"registration_access_token_ttl": "5"}, "registration_access_token_ttl", "60"),
        ({"default_scopes": "openid dcr_register"}, "default_scopes", "dcr_register"),
    ],
)
def test_invalid_input_is_shown_inline_and_saves_nothing(
    admin_http: HttpClient,
    page_url: str,
    workspace: Workspace,
    private_jwks: dict[str, Any],
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    if overrides.get("software_statement_jwks") == "PRIVATE":
        overrides = {**overrides, "software_statement_jwks": json.dumps(private_jwks)}
    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)
    before = snapshot(workspace)
    # Every other value changes too: none of them may be saved.
    response = admin_http.post(page_url, settings_form(protect_by_access_token="on", **overrides))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Nothing was saved." in html
    row = html[html.index(f'class="form-row field-{field} errors"') :]
    assert message in row[: row.index("</ul>")]
    assert snapshot(workspace) == before
    assert not LogEntry.objects.exists()


def test_fetch_now_reports_an_unreachable_uri(
    admin_http: HttpClient, page_url: str, workspace: Workspace
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(
        software_statement_jwks_uri="http://127.0.0.1:9/jwks.json"
    )
    html = admin_http.get(page_url).content.decode()
    assert "Fetch now" in html
    response = admin_http.post(page_url, {"action": "fetch", "protection": "software_statement"})
    assert response.status_code == HTTPStatus.FOUND  # POST, redirect, GET
    result = admin_http.get(response["Location"]).content.decode()
    assert 'id="software_statement-fetch-result"' in result
    assert "Fetch failed" in result
    assert 'id="software_statement-fetch-result"' not in admin_http.get(page_url).content.decode()


# -- test policy, registrar ---------------------------------------------------------------------


def test_dry_run_shows_normalized_metadata_or_the_failing_rule(
    admin_http: HttpClient, page_url: str, workspace: Workspace
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(
        policy={"client_name": {"forbidden_words": ["official"]}}
    )
    ok = admin_http.post(
        page_url,
        {
            "action": "dry_run",
            "metadata": json.dumps({"client_name": "Nice", "grant_types": ["client_credentials"]}),
        },
        follow=True,
    ).content.decode()
    assert "Accepted" in ok and "token_endpoint_auth_method" in ok
    refused = admin_http.post(
        page_url,
        {
            "action": "dry_run",
            "metadata": json.dumps(
                {"client_name": "Official app", "grant_types": ["client_credentials"]}
            ),
        },
        follow=True,
    ).content.decode()
    assert (
        "Refused" in refused and "invalid_client_metadata" in refused and "client_name" in refused
    )
    assert not Client.objects.exists()


def test_registrar_secret_is_shown_once_and_works(
    admin_http: HttpClient, page_url: str, workspace: Workspace, api: HttpClient, superuser: Any
) -> None:
    response = admin_http.post(page_url, {"action": "registrar", "name": "Partner registrar"})
    assert response.status_code == HTTPStatus.FOUND
    client = Client.objects.get(name="Partner registrar")
    secret = client.client_secret
    assert secret not in response.content.decode()  # never in the POST's response
    html = admin_http.get(response["Location"]).content.decode()
    assert secret and secret in html and "shown only once" in html
    # A reload shows it no more and creates nothing.
    reload = admin_http.get(response["Location"]).content.decode()
    assert secret not in reload and Client.objects.filter(name="Partner registrar").count() == 1
    assert client.scope == "dcr_register" and client.grant_types == ["client_credentials"]
    again = admin_http.get(page_url + "?tab=registrar").content.decode()
    assert client.client_id in again and secret not in again
    token = client_token(api, workspace, client.client_id, secret)
    assert token.status_code == HTTPStatus.OK and token.json()["scope"] == "dcr_register"
    assert LogEntry.objects.filter(
        user=superuser, action_flag=ADDITION, object_id=str(client.pk)
    ).exists()


def test_recent_events_tab_lists_registrations(
    admin_http: HttpClient, page_url: str, registered: dict[str, Any]
) -> None:
    html = admin_http.get(page_url + "?tab=events").content.decode()
    assert registered["client_id"] in html and "register" in html


# -- applications -------------------------------------------------------------------------------


def client_pk(client_id: str) -> int:
    return Client.objects.get(client_id=client_id).pk


def test_changelist_labels_dcr_clients(
    admin_http: HttpClient, registered: dict[str, Any], workspace: Workspace
) -> None:
    Client.objects.create(
        workspace=workspace,
        name="Hand made",
        registration_source="manual",
        grant_types=["client_credentials"],
    )
    url = reverse("admin:registration_client_changelist")
    html = admin_http.get(url).content.decode()
    assert (
        '<span class="dcr-badge" title="Registered through dynamic client registration">DCR</span>'
        in html
    )
    assert html.count('class="dcr-badge"') == 1
    only_dcr = admin_http.get(url, {"source": "dcr"}).content.decode()
    assert "Sample web client" in only_dcr and "Hand made" not in only_dcr
    by_grant = admin_http.get(url, {"grant_type": "client_credentials"}).content.decode()
    assert "Hand made" in by_grant and "Sample web client" not in by_grant
    search = admin_http.get(url, {"q": registered["client_id"]}).content.decode()
    assert "Sample web client" in search and "Hand made" not in search
    unused = admin_http.get(url, {"last_used_at__isnull": "True"})
    assert unused.status_code == HTTPStatus.OK


def test_detail_shows_metadata_read_only(
    admin_http: HttpClient, registered: dict[str, Any]
) -> None:
    url = reverse("admin:registration_client_change", args=[client_pk(registered["client_id"])])
    html = admin_http.get(url).content.decode()
    assert 'class="dcr-json-view"' in html and "https://app.example.com/callback" in html
    form = html.split('id="client_form"')[1].split("</form>")[0]
    assert "<textarea" not in form and 'type="text"' not in form
    assert 'name="_save"' not in html
    assert "Reissue registration access token" in html and "Revoke all tokens" in html


def test_reissue_shows_the_token_once_and_the_old_one_is_refused(
    admin_http: HttpClient,
    api: HttpClient,
    registered: dict[str, Any],
    workspace: Workspace,
    superuser: Any,
) -> None:
    pk = client_pk(registered["client_id"])
    url = reverse("admin:registration_client_reissue_token", args=[pk])
    question = admin_http.get(url)  # asks first, changes nothing
    assert question.status_code == HTTPStatus.OK and "Reissue the registration access token?" in (
        question.content.decode()
    )
    assert not AuditEvent.objects.filter(event="reissue").exists()
    response = admin_http.post(url, {"confirm": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    html = admin_http.get(response["Location"]).content.decode()
    assert "shown only once" in html
    new_token = html.split('id="reissued-token-value">')[1].split("<")[0]
    manage = ws_url(workspace, f"/oauth2/register/{registered['client_id']}")
    old = api.get(manage, **bearer(registered["registration_access_token"]))
    assert old.status_code == HTTPStatus.UNAUTHORIZED
    assert api.get(manage, **bearer(new_token)).status_code == HTTPStatus.OK
    change = admin_http.get(reverse("admin:registration_client_change", args=[pk])).content.decode()
    assert new_token not in change
    assert LogEntry.objects.filter(user=superuser, object_id=str(pk), action_flag=CHANGE).exists()
    event = AuditEvent.objects.get(event="reissue")
    assert event.actor == "root"


def test_actions_need_post_and_the_change_permission(
    login_as: Any, registered: dict[str, Any]
) -> None:
    pk = client_pk(registered["client_id"])
    workspace = Client.objects.get(pk=pk).workspace
    viewer = login_as(viewer_of(workspace, "erin"))
    url = reverse("admin:registration_client_reissue_token", args=[pk])
    assert viewer.post(url, {"confirm": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert viewer.get(url).status_code == HTTPStatus.FORBIDDEN
    assert not AuditEvent.objects.filter(event="reissue").exists()


def test_revoke_all_tokens(
    admin_http: HttpClient, api: HttpClient, service_client: dict[str, Any], workspace: Workspace
) -> None:
    token = client_token(
        api, workspace, service_client["client_id"], service_client["client_secret"]
    )
    assert token.status_code == HTTPStatus.OK
    pk = client_pk(service_client["client_id"])
    assert AccessToken.objects.filter(application_id=pk).count() == 1
    url = reverse("admin:registration_client_revoke_tokens", args=[pk])
    assert "Revoke all tokens?" in admin_http.get(url).content.decode()  # asks first
    assert AccessToken.objects.filter(application_id=pk).count() == 1
    response = admin_http.post(url, {"confirm": "yes"}, follow=True)
    html = response.content.decode()
    # One message, not two that contradict each other.
    assert html.count('<li class="success">') == 1 and "Revoked all tokens" in html
    assert '<li class="info">' not in html
    assert not AccessToken.objects.filter(application_id=pk).exists()


def test_delete_from_the_admin_is_audited(
    admin_http: HttpClient, registered: dict[str, Any]
) -> None:
    pk = client_pk(registered["client_id"])
    url = reverse("admin:registration_client_delete", args=[pk])
    assert admin_http.get(url).status_code == HTTPStatus.OK
    admin_http.post(url, {"post": "yes"})
    assert not Client.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(event="delete")
    assert event.client_id == registered["client_id"] and event.actor == "root"


def test_no_secret_or_token_on_any_admin_page(
    admin_http: HttpClient,
    registered: dict[str, Any],
    page_url: str,
    workspace: Workspace,
) -> None:
    pk = client_pk(registered["client_id"])
    key = SigningKey.objects.filter(workspace=workspace).first()
    client = Client.objects.get(pk=pk)
    urls = [
        reverse("admin:index"),
        page_url,
        *(f"{page_url}?tab={tab}" for tab in ("registrar", "test", "events")),
        reverse("admin:registration_client_changelist"),
        reverse("admin:registration_client_change", args=[pk]),
        reverse("admin:registration_client_history", args=[pk]),
        reverse("admin:registration_auditevent_changelist"),
        reverse("admin:tenants_workspace_changelist"),
        reverse("admin:tenants_workspace_change", args=[workspace.pk]),
    ]
    if key is not None:
        urls.append(reverse("admin:tenants_signingkey_change", args=[key.pk]))
    secrets_ = [
        registered["client_secret"],
        registered["registration_access_token"],
        client.client_secret_encrypted,
    ]
    if key is not None:
        secrets_.append(key.private_key_encrypted)
    for url in urls:
        response = admin_http.get(url)
        assert response.status_code == HTTPStatus.OK, url
        html = response.content.decode()
        for secret in secrets_:
            assert secret not in html, url
        assert "client_secret_encrypted" not in html, url


def test_workspace_list_links_to_client_registration(
    admin_http: HttpClient, workspace: Workspace, page_url: str
) -> None:
    html = admin_http.get(reverse("admin:tenants_workspace_changelist")).content.decode()
    assert page_url in html and "default/default" in html


def test_settings_change_url_leads_to_the_page(
    admin_http: HttpClient, workspace: Workspace, page_url: str
) -> None:
    dcr = DCRSettings.objects.get(workspace=workspace)
    url = reverse("admin:registration_dcrsettings_change", args=[dcr.pk])
    assert admin_http.get(url)["Location"] == page_url
