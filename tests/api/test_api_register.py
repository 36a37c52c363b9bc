"""POST {ws}/oauth2/register (RFC 7591 §3)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest

from registration.models import Client, RegistrationAccessToken
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT


def test_register_returns_201_with_client_information_rfc7591_3_2_1(register: Any) -> None:
    response = register(WEB_CLIENT)

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["client_name"] == "Sample web client"
    assert body["redirect_uris"] == ["https://app.example.com/callback"]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scope"] == "openid profile email"
    assert isinstance(body["client_id_issued_at"], int)
    assert len(body["client_secret"]) >= 32
    assert body["client_secret_expires_at"] == 0
    assert isinstance(body["registration_access_token_expires_in"], int)
    assert 2592000 - 5 <= body["registration_access_token_expires_in"] <= 2592000
    assert body["registration_client_uri"] == (
        f"http://testserver/default/default/oauth2/register/{body['client_id']}"
    )


def test_response_is_json_and_not_cached_rfc7591_3_2_1(register: Any) -> None:
    response = register(WEB_CLIENT)

    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def test_client_credentials_client_needs_no_redirect_or_response_types_rfc7591_2_1(
    register: Any,
) -> None:
    body = register(SERVICE_CLIENT).json()

    assert body["grant_types"] == ["client_credentials"]
    assert body["response_types"] == []
    assert "redirect_uris" not in body


def test_defaults_are_filled_in_rfc7591_2(register: Any) -> None:
    body = register({"redirect_uris": ["https://app.example.com/cb"]}).json()

    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scope"] == "openid profile email"


def test_absent_values_are_omitted_not_null_rfc7591_3_2_1(register: Any) -> None:
    body = register(SERVICE_CLIENT).json()

    assert None not in body.values()
    assert "logo_uri" not in body
    assert "contacts" not in body


def test_public_client_gets_no_secret_rfc7591_2(register: Any) -> None:
    body = register(
        {
            "token_endpoint_auth_method": "none",
            "redirect_uris": ["https://app.example.com/cb"],
        }
    ).json()

    assert body["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in body
    assert "client_secret_expires_at" not in body
    assert Client.objects.get(client_id=body["client_id"]).client_type == "public"


def test_unsupported_scopes_are_dropped_from_the_grant_rfc7591_2(register: Any) -> None:
    body = register({**SERVICE_CLIENT, "scope": "openid admin:all email"}).json()

    assert body["scope"] == "openid email"


def test_dcr_register_scope_is_never_granted_contract(register: Any) -> None:
    body = register({**SERVICE_CLIENT, "scope": "openid dcr_register"}).json()

    assert body["scope"] == "openid"


def test_unknown_fields_are_ignored_rfc7591_2(register: Any) -> None:
    response = register({**SERVICE_CLIENT, "x_vendor_extension": {"a": 1}})

    assert response.status_code == HTTPStatus.CREATED
    assert "x_vendor_extension" not in response.json()


def test_redirect_url_typo_names_redirect_uris_seed(register: Any) -> None:
    # The seed's own sample sends "redirect_url"; the error must point at the right name.
    response = register(
        {
            "client_name": "Sample web client",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_url": ["https://example.com/callback"],
        }
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_client_metadata"
    assert "redirect_uris" in response.json()["error_description"]
    assert not Client.objects.exists()


def test_language_tagged_fields_are_kept_rfc7591_2_2(register: Any) -> None:
    body = register({**SERVICE_CLIENT, "client_name#ja-Jpan-JP": "クライアント名"}).json()

    assert body["client_name#ja-Jpan-JP"] == "クライアント名"


@pytest.mark.parametrize(
    "metadata,error",
    [
        ({"redirect_uris": ["https://app.example.com/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["JaVaScRiPt:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://app.example.com/cb"]}, "invalid_redirect_uri"),
        ({"grant_types": ["authorization_code"]}, "invalid_redirect_uri"),
        ({"grant_types": ["password"]}, "invalid_client_metadata"),
        ({"grant_types": "client_credentials"}, "invalid_client_metadata"),
        ({**SERVICE_CLIENT, "token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
        (
            {**SERVICE_CLIENT, "jwks": {"keys": []}, "jwks_uri": "https://a.example/j"},
            "invalid_client_metadata",
        ),
        ({**SERVICE_CLIENT, "client_name": 7}, "invalid_client_metadata"),
    ],
)
def test_invalid_metadata_is_refused_and_nothing_is_written_rfc7591_3_2_2(
    register: Any, metadata: dict[str, Any], error: str
) -> None:
    response = register(metadata)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    assert not Client.objects.exists()
    assert not RegistrationAccessToken.objects.exists()


def test_native_client_may_use_loopback_and_private_use_schemes_rfc8252_7(register: Any) -> None:
    response = register(
        {
            "application_type": "native",
            "token_endpoint_auth_method": "none",
            "redirect_uris": ["http://127.0.0.1:51234/cb", "com.example.app:/oauth2redirect"],
        }
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert response.json()["redirect_uris"] == [
        "http://127.0.0.1:51234/cb",
        "com.example.app:/oauth2redirect",
    ]


def test_registered_client_is_labelled_dcr_seed(registered: dict[str, Any]) -> None:
    client = Client.objects.get(client_id=registered["client_id"])

    assert client.registration_source == "dcr"
    assert client.workspace.label == "default/default"
