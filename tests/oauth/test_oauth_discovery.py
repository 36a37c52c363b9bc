"""Authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0) and the JWKS."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest

from registration.models import DCRSettings
from tests.helpers import ws_url

ISSUER = "http://testserver/default/default"

FORMS = [
    "/default/default/.well-known/openid-configuration",
    "/default/default/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/default/default",
    "/.well-known/openid-configuration/default/default",
]

OIDC_REQUIRED = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
]

PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture
def document(api, workspace) -> dict[str, Any]:
    response = api.get(ws_url(workspace, "/.well-known/openid-configuration"))
    assert response.status_code == HTTPStatus.OK
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("path", FORMS)
def test_every_form_serves_the_same_document_rfc8414_3_1(api, document, path):
    """RFC 8414 §3.1 path insertion and OIDC Discovery §4: one document under every well-known URL."""
    response = api.get(path)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == document


@pytest.mark.parametrize("member", OIDC_REQUIRED)
def test_required_members_present_oidc_discovery_3(document, member):
    """OIDC Discovery 1.0 §3 / RFC 8414 §2: the REQUIRED metadata members."""
    assert document[member]


def test_issuer_is_the_workspace_rfc8414_3_3(document):
    """RFC 8414 §3.3: issuer MUST be identical to the issuer identifier the metadata was fetched for."""
    assert document["issuer"] == ISSUER


def test_every_url_is_absolute_under_the_issuer_rfc8414_2(document):
    """RFC 8414 §2: endpoint URLs are absolute; here every one lives under the workspace issuer."""
    urls = {key: value for key, value in document.items() if key.endswith(("_endpoint", "_uri"))}
    assert {"authorization_endpoint", "token_endpoint", "jwks_uri"} <= set(urls)
    for key, url in urls.items():
        assert url.startswith(ISSUER + "/"), key


@pytest.mark.parametrize(
    ("member", "path"),
    [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("introspection_endpoint", "/oauth2/introspect"),
        ("registration_endpoint", "/oauth2/register"),
    ],
)
def test_endpoints_point_at_this_workspace_rfc8414_2(document, member, path):
    """RFC 8414 §2: each advertised endpoint is this authorization server's."""
    assert document[member] == ISSUER + path


def test_registration_endpoint_only_while_dcr_enabled_rfc8414_2(api, workspace):
    """RFC 8414 §2 (registration_endpoint OPTIONAL): advertised only while DCR is enabled."""
    url = ws_url(workspace, "/.well-known/openid-configuration")
    assert api.get(url).json()["registration_endpoint"] == ISSUER + "/oauth2/register"
    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)
    for path in [url, *FORMS]:
        assert "registration_endpoint" not in api.get(path).json(), path


def test_dcr_register_scope_never_advertised_rfc8414_2(api, workspace):
    """RFC 8414 §2 scopes_supported: the registrar-only scope is never listed."""
    workspace.scopes_supported = [*workspace.scopes_supported, "dcr_register"]
    workspace.save()
    document = api.get(ws_url(workspace, "/.well-known/openid-configuration")).json()
    assert "openid" in document["scopes_supported"]  # OIDC Discovery §3: SHOULD list openid
    assert "dcr_register" not in document["scopes_supported"]


def test_only_s256_pkce_rfc8414_2(document):
    """RFC 8414 §2 / RFC 9700 §2.1.1: code_challenge_methods_supported is S256 alone."""
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_advertised_capabilities_rfc8414_2(document):
    """RFC 8414 §2: what the server actually supports."""
    assert document["response_types_supported"] == ["code"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert set(document["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert "none" not in document["introspection_endpoint_auth_methods_supported"]


@pytest.mark.parametrize(
    "path",
    [
        "/nobody/default/.well-known/openid-configuration",
        "/default/nothing/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/nobody/default",
        "/.well-known/openid-configuration/default/nothing",
        "/nobody/default/.well-known/jwks.json",
    ],
)
def test_unknown_workspace_is_404_json_rfc8414_3_2(api, workspace, path):
    """RFC 8414 §3.2: no metadata for an issuer that does not exist; errors are JSON."""
    response = api.get(path)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_discovery_is_get_only_rfc8414_3(api, workspace, method):
    """RFC 8414 §3: metadata is fetched with GET; other methods are 405 JSON."""
    response = getattr(api, method)(ws_url(workspace, "/.well-known/openid-configuration"))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"].startswith("application/json")


def test_jwks_has_only_public_members_rfc7517_5(api, workspace, document):
    """RFC 7517 §5 / RFC 7518 §6.3.1: the published key set holds public RSA members only."""
    response = api.get(document["jwks_uri"].removeprefix("http://testserver"))
    assert response.status_code == HTTPStatus.OK
    keys = response.json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "RSA"
        assert {"n", "e", "kid"} <= set(key)
        assert not PRIVATE_JWK_MEMBERS & set(key)
        assert key.get("use", "sig") == "sig"


def test_jwks_is_stable_rfc7517_5(api, workspace):
    """RFC 7517 §5: the same signing key is served on every request (no key per request)."""
    url = ws_url(workspace, "/.well-known/jwks.json")
    assert api.get(url).json() == api.get(url).json()


@pytest.mark.parametrize("subject_type", ["public", "pairwise"])
def test_subject_types_supported_is_the_workspaces_own_oidc_discovery_3(
    api: Any, workspace: Any, subject_type: str
) -> None:
    """OIDC Discovery §3: subject_types_supported lists what the OP issues; a pairwise
    workspace (OIDC Core §8.1) says pairwise, not public."""
    type(workspace).objects.filter(pk=workspace.pk).update(subject_type=subject_type)
    body = api.get(ws_url(workspace, "/.well-known/openid-configuration")).json()
    assert body["subject_types_supported"] == [subject_type]
