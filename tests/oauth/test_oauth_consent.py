"""The consent page: the facts a client cannot choose (redirect host, how it is known)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from dcr_server.oauth.consent import consent_facts, redirect_target
from registration.models import Client
from tests.helpers import sign_in, ws_url
from tests.oauth.conftest import pkce_pair


@pytest.mark.parametrize(
    ("source", "client_id", "label", "host", "verified"),
    [
        ("dcr", "abc", "Registered itself (dynamic client registration)", "", False),
        ("manual", "abc", "Added by an administrator of this service", "", True),
        (
            "cimd",
            "https://App.Example.com/client.json",
            "Described by a metadata document",
            "app.example.com",
            False,
        ),
        ("federation", "abc", "Unverified application", "", False),
    ],
)
def test_origin_follows_registration_source(source, client_id, label, host, verified):
    """Data-driven on registration_source (and, for CIMD, the client_id URL's host)."""
    client = Client(client_id=client_id, registration_source=source, name="Notes")
    facts = consent_facts(client, "https://notes.example.com/cb")
    assert facts.origin.label == label
    assert facts.origin.host == host
    assert facts.origin.verified is verified
    assert facts.client_name == "Notes"


@pytest.mark.parametrize(
    ("uri", "host", "kind"),
    [
        ("https://Notes.Example.com/cb?x=1", "notes.example.com", "web"),
        ("https://notes.example.com:8443/cb", "notes.example.com:8443", "web"),
        ("http://127.0.0.1:33418/callback", "127.0.0.1:33418", "loopback"),
        ("http://[::1]:8080/cb", "[::1]:8080", "loopback"),
        ("http://localhost/cb", "localhost", "loopback"),
        ("com.example.notes:/oauth", "com.example.notes:", "app"),  # RFC 8252 §7.1
    ],
)
def test_redirect_target(uri, host, kind):
    target = redirect_target(uri)
    assert (target.host, target.kind) == (host, kind)


def test_consent_page_names_redirect_host_and_origin(api, workspace, user, registered):
    """The page shows the redirect host and the origin beside the self-asserted name."""
    sign_in(api, user, workspace)
    _, challenge = pkce_pair()
    response = api.get(
        ws_url(workspace, "/oauth2/authorize"),
        {
            "response_type": "code",
            "client_id": registered["client_id"],
            "redirect_uri": "https://app.example.com/callback",
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "app.example.com" in html
    assert "Registered itself (dynamic client registration)" in html
    assert "has not been checked" in html
    assert "<script" not in html
    assert "style=" not in html
    # Issue 12: the product's frame; issue 12 item 7: no inline style for the CSP to block.
    assert "DCR Server" in html
    assert "<style" not in html
    assert "registration/enduser/consent.css" in html
