"""Registration and update (RFC 7591 §3.2.2, RFC 7592 §2.3) refuse spoofing characters in
human-readable metadata with invalid_client_metadata naming the field, and write nothing."""

from __future__ import annotations

from http import HTTPStatus

from registration.models import Client
from tests.helpers import WEB_CLIENT, bearer, put_json, ws_url


def test_register_refuses_zero_width_name_rfc7591_3_2_2(register):
    response = register({**WEB_CLIENT, "client_name": "Google\u200b Accounts"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["error"] == "invalid_client_metadata"
    assert body["error_description"].startswith("client_name: ")
    assert "U+200B" in body["error_description"]
    assert not Client.objects.exists()


def test_update_refuses_bidi_override_rfc7592_2_3(api, workspace, registered):
    uri = ws_url(workspace, f"/oauth2/register/{registered['client_id']}")
    response = put_json(
        api,
        uri,
        {**WEB_CLIENT, "client_id": registered["client_id"], "client_name#fr": "Banque\u202e"},
        **bearer(registered["registration_access_token"]),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_client_metadata"
    assert response.json()["error_description"].startswith("client_name#fr: ")
    client = Client.objects.get(client_id=registered["client_id"])
    assert client.name == WEB_CLIENT["client_name"]
    assert "client_name#fr" not in client.metadata
