"""CIMD clients at the OAuth endpoints: discovery, authorization code + PKCE, token, revocation,
introspection, private_key_jwt with the document's keys, the switch, trusted hosts, the policy,
workspace isolation and the audit trail. Documents come from the HTTPS test server."""

from __future__ import annotations

import time
import uuid
from http import HTTPStatus
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client as HttpClient
from jwt.algorithms import ECAlgorithm
from oauth2_provider.models import AccessToken, Grant

from registration.configuration import PolicyChange, SettingsChange, dcr_configure
from registration.models import AuditEvent, Client
from tenants.models import Workspace
from tests.cimd.conftest import PublishFn
from tests.cimd.docserver import DocumentServer
from tests.cimd.helpers import (
    REDIRECT_URI,
    approve,
    cimd_rows,
    code_exchange,
    pkce_pair,
    public_document,
    token_post,
)
from tests.helpers import sign_in, ws_url

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _configure(workspace: Workspace, **change: Any) -> None:
    dcr_configure(workspace=workspace, change=SettingsChange(**change))
    workspace.refresh_from_db()


def _discovery(api: HttpClient, workspace: Workspace) -> dict[str, Any]:
    body: dict[str, Any] = api.get(ws_url(workspace, "/.well-known/openid-configuration")).json()
    return body


def _refusals(workspace: Workspace) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(workspace=workspace, event="refused", operation="cimd"))


# -- discovery -------------------------------------------------------------------------------


def test_s5_discovery_advertises_cimd_only_while_on(api: HttpClient, workspace: Workspace) -> None:
    assert "client_id_metadata_document_supported" not in _discovery(api, workspace)
    _configure(workspace, cimd_enabled=True)
    assert _discovery(api, workspace)["client_id_metadata_document_supported"] is True
    rfc8414 = api.get("/.well-known/oauth-authorization-server/default/default").json()
    assert rfc8414["client_id_metadata_document_supported"] is True


# -- the authorization code flow -------------------------------------------------------------


def test_full_authorization_code_pkce_flow_by_a_cimd_client(
    api: HttpClient,
    cimd_workspace: Workspace,
    publish: PublishFn,
    doc_server: DocumentServer,
    authorize_get: Any,
    user: Any,
) -> None:
    url = publish(public_document)

    consent = authorize_get(cimd_workspace, url)
    assert consent.status_code == HTTPStatus.OK, consent.content
    assert b"Example MCP client" in consent.content
    code, verifier = approve(api, cimd_workspace, user, url)
    response = code_exchange(api, cimd_workspace, url, code, verifier)

    assert response.status_code == HTTPStatus.OK, response.content
    tokens = response.json()
    refreshed = token_post(
        api,
        cimd_workspace,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": url},
    )
    assert refreshed.status_code == HTTPStatus.OK, refreshed.content
    (client,) = cimd_rows(cimd_workspace, url)
    assert client.registration_source == "cimd"
    assert client.token_endpoint_auth_method == "none"
    assert client.is_public
    assert client.redirect_uris == REDIRECT_URI
    (access_token,) = AccessToken.objects.filter(application=client)  # the refresh replaced it
    assert access_token.scope == "openid"
    assert doc_server.hits(url) == 1  # one fetch for the whole flow: the row is the cache
    (created,) = AuditEvent.objects.filter(workspace=cimd_workspace, event="register")
    assert (created.client_id, created.operation, created.actor) == (url, "cimd", "cimd")


def test_rfc6749_4_1_2_1_a_refused_document_is_an_error_page_never_a_redirect(
    api: HttpClient, cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any, user: Any
) -> None:
    url = publish(lambda url: public_document(url + "/other"))  # §4.1: client_id mismatch

    page = authorize_get(cimd_workspace, url)
    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in page
    sign_in(api, user, cimd_workspace)
    _verifier, challenge = pkce_pair()
    fields = {
        "client_id": url,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "allow": "Authorize",
    }
    posted = api.post(ws_url(cimd_workspace, "/oauth2/authorize"), fields)
    assert posted.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in posted
    assert cimd_rows(cimd_workspace, url) == []
    assert not Grant.objects.exists()
    (refusal,) = _refusals(cimd_workspace)  # the second try is within the back-off: not again
    assert (refusal.client_id, refusal.rule, refusal.outcome) == (
        url,
        "cimd.document",
        "invalid_client",
    )


def test_s4_3_an_unreachable_document_is_invalid_client_at_the_token_endpoint(
    api: HttpClient, cimd_workspace: Workspace, doc_server: DocumentServer
) -> None:
    url = doc_server.new_url()  # nothing published there: 404

    response = token_post(
        api,
        cimd_workspace,
        {"grant_type": "authorization_code", "code": "x", "client_id": url},
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    assert cimd_rows(cimd_workspace, url) == []


# -- the switch, trusted hosts, pre-registered clients --------------------------------------------


def test_cimd_off_fetches_nothing_and_refuses(
    api: HttpClient, workspace: Workspace, publish: PublishFn, doc_server: DocumentServer
) -> None:
    url = publish()
    response = token_post(
        api, workspace, {"grant_type": "authorization_code", "code": "x", "client_id": url}
    )
    assert response.json()["error"] == "invalid_client"
    assert doc_server.hits(url) == 0
    assert cimd_rows(workspace, url) == []


def test_switching_cimd_off_disables_stored_cimd_clients(
    api: HttpClient, cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    _configure(cimd_workspace, cimd_enabled=False)

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert len(cimd_rows(cimd_workspace, url)) == 1  # kept: back when switched on again


def test_s6_8_untrusted_hosts_are_refused_before_any_fetch(
    cimd_workspace: Workspace, publish: PublishFn, doc_server: DocumentServer, authorize_get: Any
) -> None:
    _configure(cimd_workspace, cimd_trusted_hosts=("app.example.com", "*.example.org"))
    url = publish()

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert doc_server.hits(url) == 0
    assert [event.rule for event in _refusals(cimd_workspace)] == ["cimd.trusted_hosts"]
    _configure(cimd_workspace, cimd_trusted_hosts=("localhost",))
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK


def test_refusals_of_many_urls_from_one_source_share_one_audit_row(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    """A flood of distinct client_id URLs cannot fill the audit trail: refusals are aggregated
    per source, rule and minute, like the registration API's (registration/audit.py)."""
    _configure(cimd_workspace, cimd_trusted_hosts=("app.example.com",))
    urls = [publish() for _ in range(5)]
    if (left := 60 - time.time() % 60) < 5:
        time.sleep(left + 0.1)  # fixed one-minute windows: a burst across a minute's end is two

    for url in urls:
        assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST

    (row,) = _refusals(cimd_workspace)
    assert (row.rule, row.count, row.client_id) == ("cimd.trusted_hosts", 5, urls[0])


def test_trusted_hosts_apply_to_stored_clients_at_once(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    _configure(cimd_workspace, cimd_trusted_hosts=("app.example.com",))
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST


def test_s6_10_a_pre_registered_client_with_the_url_is_never_fetched(
    cimd_workspace: Workspace, publish: PublishFn, doc_server: DocumentServer, authorize_get: Any
) -> None:
    url = publish(lambda url: public_document(url, client_name="From the document"))
    Client.objects.create(
        workspace=cimd_workspace,
        client_id=url,
        name="Pre-registered",
        client_type=Client.CLIENT_PUBLIC,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
        grant_types=["authorization_code"],
        response_types=["code"],
        token_endpoint_auth_method="none",
        redirect_uris=REDIRECT_URI,
        scope="openid",
        registration_source=Client.RegistrationSource.MANUAL,
    )

    page = authorize_get(cimd_workspace, url)
    assert page.status_code == HTTPStatus.OK, page.get("Location")
    assert b"Pre-registered" in page.content
    assert doc_server.hits(url) == 0


# -- policy, validator --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "document", "rule"),
    [
        ({"redirect_uris": {"allowed_hosts": ["other.example"]}}, {}, "redirect_uris"),
        ({"grant_types": {"allow": ["authorization_code"]}}, {}, "grant_types"),
        ({"required_fields": ["contacts"]}, {}, "required_fields"),
        ({"client_name": {"forbidden_words": ["mcp"]}}, {}, "client_name"),
        (
            {"token_endpoint_auth_methods": {"allow": ["private_key_jwt"]}},
            {},
            "token_endpoint_auth_methods",
        ),
        ({}, {"redirect_uris": ["https://app.example.com/cb#frag"]}, "redirect_uris"),
        ({}, {"logo_uri": "javascript:alert(1)"}, "logo_uri"),
    ],
)
def test_the_workspace_policy_and_the_metadata_validator_judge_documents(
    cimd_workspace: Workspace,
    publish: PublishFn,
    authorize_get: Any,
    policy: dict[str, Any],
    document: dict[str, Any],
    rule: str,
) -> None:
    if policy:
        _configure(cimd_workspace, policy=PolicyChange(document=policy))
    url = publish(lambda url: public_document(url, **document))

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert cimd_rows(cimd_workspace, url) == []
    (refusal,) = _refusals(cimd_workspace)
    assert refusal.rule == rule


def test_policy_narrows_scopes_of_a_document(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    _configure(cimd_workspace, policy=PolicyChange(document={"scopes": {"allow": ["openid"]}}))
    url = publish(lambda url: public_document(url, scope="openid profile unknown"))
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    (client,) = cimd_rows(cimd_workspace, url)
    assert client.scope == "openid"


def test_tolerated_extra_grant_types_are_dropped_not_refused(
    cimd_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    grants = ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
    url = publish(lambda url: public_document(url, grant_types=grants))
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    (client,) = cimd_rows(cimd_workspace, url)
    assert client.grant_types == ["authorization_code", "refresh_token"]


# -- private_key_jwt with the document's keys (draft -01 §6.2) ------------------------------------


@pytest.fixture(scope="module")
def client_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


def _assertion(client_id: str, key: Any, audience: str) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})


@pytest.fixture
def key_client_url(publish: PublishFn, client_key: Any) -> str:
    jwk = {**ECAlgorithm.to_jwk(client_key.public_key(), as_dict=True), "kid": "k1", "alg": "ES256"}
    return publish(
        lambda url: public_document(
            url,
            grant_types=["client_credentials"],
            response_types=[],
            redirect_uris=[REDIRECT_URI],
            token_endpoint_auth_method="private_key_jwt",
            jwks={"keys": [jwk]},
        )
    )


def test_s6_2_private_key_jwt_with_the_documents_keys_at_the_token_endpoint(
    api: HttpClient, cimd_workspace: Workspace, key_client_url: str, client_key: Any
) -> None:
    token_url = "http://testserver/default/default/oauth2/token"
    response = token_post(
        api,
        cimd_workspace,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": _assertion(key_client_url, client_key, token_url),
        },
    )

    assert response.status_code == HTTPStatus.OK, response.content
    (client,) = cimd_rows(cimd_workspace, key_client_url)
    assert client.token_endpoint_auth_method == "private_key_jwt"
    assert not client.is_public
    assert client.client_secret == ""  # no shared secret, ever (§4.1)
    token = response.json()["access_token"]
    introspected = api.post(
        ws_url(cimd_workspace, "/oauth2/introspect"),
        {
            "token": token,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": _assertion(key_client_url, client_key, token_url),
        },
    )
    assert introspected.status_code == HTTPStatus.OK, introspected.content
    assert introspected.json()["client_id"] == key_client_url
    revoked = api.post(
        ws_url(cimd_workspace, "/oauth2/revoke"),
        {
            "token": token,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": _assertion(key_client_url, client_key, token_url),
        },
    )
    assert revoked.status_code == HTTPStatus.OK, revoked.content
    assert not AccessToken.objects.filter(application=client).exists()


def test_s6_2_an_assertion_by_another_key_is_refused(
    api: HttpClient, cimd_workspace: Workspace, key_client_url: str
) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    response = token_post(
        api,
        cimd_workspace,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": _assertion(
                key_client_url, other, "http://testserver/default/default/oauth2/token"
            ),
        },
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not AccessToken.objects.exists()


def test_a_public_cimd_client_revokes_its_token(
    api: HttpClient, cimd_workspace: Workspace, publish: PublishFn, user: Any, authorize_get: Any
) -> None:
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK  # the consent page
    code, verifier = approve(api, cimd_workspace, user, url)
    token = code_exchange(api, cimd_workspace, url, code, verifier).json()["access_token"]

    response = api.post(
        ws_url(cimd_workspace, "/oauth2/revoke"), {"token": token, "client_id": url}
    )
    assert response.status_code == HTTPStatus.OK
    assert not AccessToken.objects.exists()


# -- workspaces --------------------------------------------------------------------------------


def test_one_url_is_one_client_in_each_workspace(
    api: HttpClient,
    cimd_workspace: Workspace,
    other_workspace: Workspace,
    publish: PublishFn,
    authorize_get: Any,
    user: Any,
) -> None:
    _configure(other_workspace, cimd_enabled=True)
    url = publish()

    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.OK
    assert authorize_get(other_workspace, url).status_code == HTTPStatus.OK
    # DOT's own lookups by client_id alone stay in the request's workspace (no ambiguity).
    code, verifier = approve(api, other_workspace, user, url)
    response = code_exchange(api, other_workspace, url, code, verifier)
    assert response.status_code == HTTPStatus.OK, response.content

    (mine,) = cimd_rows(cimd_workspace, url)
    (theirs,) = cimd_rows(other_workspace, url)
    assert mine.pk != theirs.pk
    assert not AccessToken.objects.filter(application=mine).exists()
    # A code of one workspace is worth nothing in the other.
    code, verifier = approve(api, other_workspace, user, url)
    assert code_exchange(api, cimd_workspace, url, code, verifier).status_code == 400


def test_a_refusal_in_one_workspace_does_not_reach_another(
    cimd_workspace: Workspace, other_workspace: Workspace, publish: PublishFn, authorize_get: Any
) -> None:
    _configure(other_workspace, cimd_enabled=True)
    _configure(
        cimd_workspace,
        policy=PolicyChange(document={"redirect_uris": {"allowed_hosts": ["other.example"]}}),
    )
    url = publish()
    assert authorize_get(cimd_workspace, url).status_code == HTTPStatus.BAD_REQUEST
    assert authorize_get(other_workspace, url).status_code == HTTPStatus.OK
    assert _refusals(other_workspace) == []
