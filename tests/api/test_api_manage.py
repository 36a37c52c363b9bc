"""GET, PUT, DELETE {ws}/oauth2/register/{client_id} (RFC 7592 §2)."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from oauth2_provider.models import AccessToken

from registration.models import Client, DCRSettings, RegistrationAccessToken, TokenRotation
from tenants.models import Workspace
from tests.helpers import basic, bearer, put_json


def _uri(body: dict[str, Any]) -> str:
    return f"/default/default/oauth2/register/{body['client_id']}"


def _update_body(registered: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "client_id": registered["client_id"],
        "client_name": registered["client_name"],
        "grant_types": registered["grant_types"],
        "redirect_uris": registered["redirect_uris"],
    }
    body.update(changes)
    return body


# --- read -----------------------------------------------------------------------------------


def test_read_returns_the_registration_rfc7592_2_1(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    response = api.get(_uri(registered), **bearer(registered["registration_access_token"]))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["client_id"] == registered["client_id"]
    assert body["client_secret"] == registered["client_secret"]  # the seed returns it on read
    assert body["redirect_uris"] == registered["redirect_uris"]
    assert body["registration_client_uri"] == registered["registration_client_uri"]
    assert response["Cache-Control"] == "no-store"


def test_read_rotates_the_token_and_the_old_one_stops_at_once_seed(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    first = api.get(_uri(registered), **bearer(registered["registration_access_token"])).json()

    assert first["registration_access_token"] != registered["registration_access_token"]
    stale = api.get(_uri(registered), **bearer(registered["registration_access_token"]))
    assert stale.status_code == HTTPStatus.UNAUTHORIZED
    fresh = api.get(_uri(registered), **bearer(first["registration_access_token"]))
    assert fresh.status_code == HTTPStatus.OK


def test_update_only_rotation_keeps_the_token_on_read(
    api: HttpClient, workspace: Workspace, registered: dict[str, Any]
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(token_rotation=TokenRotation.UPDATE)
    token = registered["registration_access_token"]

    read = api.get(_uri(registered), **bearer(token))
    assert read.status_code == HTTPStatus.OK
    assert "registration_access_token" not in read.json()
    assert api.get(_uri(registered), **bearer(token)).status_code == HTTPStatus.OK

    updated = put_json(api, _uri(registered), _update_body(registered), **bearer(token))
    assert updated.json()["registration_access_token"] != token
    assert api.get(_uri(registered), **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


def test_never_rotation_keeps_the_token(
    api: HttpClient, workspace: Workspace, registered: dict[str, Any]
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(token_rotation=TokenRotation.NEVER)
    token = registered["registration_access_token"]

    put_json(
        api, _uri(registered), _update_body(registered, client_name="Renamed"), **bearer(token)
    )

    assert api.get(_uri(registered), **bearer(token)).json()["client_name"] == "Renamed"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer wrong-token", "Basic abc", "Bearer a b", "bearer  "],
)
def test_missing_or_wrong_token_is_401_with_challenge_rfc6750_3_1(
    api: HttpClient, registered: dict[str, Any], authorization: str | None
) -> None:
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = api.get(_uri(registered), **extra)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    # RFC 6750 §3.1: no Bearer credentials at all -> no error code in the challenge.
    tried_bearer = (authorization or "").strip().lower().startswith("bearer")
    expected = 'Bearer error="invalid_token"' if tried_bearer else 'Bearer realm="default/default"'
    assert response["WWW-Authenticate"] == expected


def test_bearer_scheme_is_case_insensitive_rfc7235_2_1(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    response = api.get(
        _uri(registered), HTTP_AUTHORIZATION=f"bearer {registered['registration_access_token']}"
    )

    assert response.status_code == HTTPStatus.OK


def test_expired_token_is_401_rfc7592_2(api: HttpClient, registered: dict[str, Any]) -> None:
    RegistrationAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api.get(_uri(registered), **bearer(registered["registration_access_token"]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_unknown_client_is_401_not_404_rfc7592_2_1(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    response = api.get(
        "/default/default/oauth2/register/no-such-client",
        **bearer(registered["registration_access_token"]),
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"


def test_token_of_one_client_cannot_manage_another_rfc7592_1(
    api: HttpClient, registered: dict[str, Any], service_client: dict[str, Any]
) -> None:
    response = api.get(_uri(service_client), **bearer(registered["registration_access_token"]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


# --- update ---------------------------------------------------------------------------------


def test_update_replaces_metadata_rfc7592_2_2(api: HttpClient, registered: dict[str, Any]) -> None:
    body = _update_body(
        registered,
        client_name="Renamed",
        redirect_uris=["https://app.example.com/new"],
        logo_uri="https://app.example.com/logo.png",
    )

    response = put_json(
        api, _uri(registered), body, **bearer(registered["registration_access_token"])
    )

    assert response.status_code == HTTPStatus.OK, response.content
    updated = response.json()
    assert updated["client_name"] == "Renamed"
    assert updated["redirect_uris"] == ["https://app.example.com/new"]
    assert updated["client_secret"] == registered["client_secret"]
    assert updated["registration_access_token"] != registered["registration_access_token"]
    client = Client.objects.get(client_id=registered["client_id"])
    assert client.redirect_uris == "https://app.example.com/new"
    assert client.name == "Renamed"


def test_omitted_fields_are_removed_on_update_rfc7592_2_2(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    token = registered["registration_access_token"]
    with_logo = _update_body(registered, logo_uri="https://app.example.com/logo.png")
    token = put_json(api, _uri(registered), with_logo, **bearer(token)).json()[
        "registration_access_token"
    ]

    response = put_json(api, _uri(registered), _update_body(registered), **bearer(token))

    assert "logo_uri" not in response.json()


def test_matching_client_secret_may_be_sent_rfc7592_2_2(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    body = _update_body(registered, client_secret=registered["client_secret"])

    response = put_json(
        api, _uri(registered), body, **bearer(registered["registration_access_token"])
    )

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": None},
        {"client_id": "someone-else"},
        {"client_secret": "not-the-secret"},
        {"registration_access_token": "x"},
        {"registration_client_uri": "https://evil.example/"},
        {"client_secret_expires_at": 0},
        {"client_id_issued_at": 1},
        {"redirect_uris": ["javascript:alert(1)"]},
    ],
)
def test_bad_update_is_refused_changes_nothing_and_keeps_the_token_rfc7592_2_2(
    api: HttpClient, registered: dict[str, Any], changes: dict[str, Any]
) -> None:
    body = _update_body(registered, client_name="Should not stick", **changes)
    if changes.get("client_id", "") is None:
        del body["client_id"]
    token = registered["registration_access_token"]

    response = put_json(api, _uri(registered), body, **bearer(token))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] in {"invalid_client_metadata", "invalid_redirect_uri"}
    assert Client.objects.get(client_id=registered["client_id"]).name == "Sample web client"
    assert api.get(_uri(registered), **bearer(token)).status_code == HTTPStatus.OK


def test_update_with_a_wrong_token_and_a_bad_body_is_401_first_rfc7592_2(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    response = api.put(
        _uri(registered), data=b"{", content_type="application/json", **bearer("nope")
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_switching_to_public_drops_the_secret_rfc7592_2_2(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    body = _update_body(registered, token_endpoint_auth_method="none")

    response = put_json(
        api, _uri(registered), body, **bearer(registered["registration_access_token"])
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert "client_secret" not in response.json()
    client = Client.objects.get(client_id=registered["client_id"])
    assert client.client_type == "public"
    assert client.client_secret_encrypted == ""


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_client_and_its_tokens_rfc7592_2_3(
    api: HttpClient, service_client: dict[str, Any]
) -> None:
    token = api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )
    assert token.status_code == HTTPStatus.OK
    assert AccessToken.objects.count() == 1

    response = api.delete(
        _uri(service_client), **bearer(service_client["registration_access_token"])
    )

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert not Client.objects.filter(client_id=service_client["client_id"]).exists()
    assert not AccessToken.objects.exists()
    assert not RegistrationAccessToken.objects.exists()
    again = api.get(_uri(service_client), **bearer(service_client["registration_access_token"]))
    assert again.status_code == HTTPStatus.UNAUTHORIZED


def test_deleted_client_can_no_longer_get_tokens_rfc7592_2_3(
    api: HttpClient, service_client: dict[str, Any]
) -> None:
    api.delete(_uri(service_client), **bearer(service_client["registration_access_token"]))

    response = api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_delete_with_wrong_token_deletes_nothing_rfc7592_2_3(
    api: HttpClient, registered: dict[str, Any]
) -> None:
    response = api.delete(_uri(registered), **bearer("wrong"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert Client.objects.filter(client_id=registered["client_id"]).exists()
