"""The draft's rules on the client identifier URL (§3) and on the document (§4.1, §4.5), and the
tolerances for real clients; pure functions, no network. Sections: draft -01."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registration.capabilities import GRANT_TYPES_SUPPORTED, RESPONSE_TYPES_SUPPORTED
from registration.cimd import CIMDRefused, is_cimd_client_id
from registration.cimd.document import parse_document, tolerate
from registration.cimd.url import check_client_id_url, check_trusted_host

URL = "https://app.example.com/oauth/client.json"


def _document(**overrides: Any) -> dict[str, Any]:
    document = {"client_id": URL, "redirect_uris": ["https://app.example.com/cb"], **overrides}
    return {name: value for name, value in document.items() if value is not None}


def _parse(document: Any, media_type: str = "application/json") -> dict[str, Any]:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return parse_document(body=body, media_type=media_type, url=URL)


def _tolerate(document: dict[str, Any]) -> dict[str, Any]:
    return tolerate(
        document,
        grant_types_supported=GRANT_TYPES_SUPPORTED,
        response_types_supported=RESPONSE_TYPES_SUPPORTED,
        scopes_offered=("openid", "profile", "offline_access"),
    )


# -- §3 Client Identifier ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_id",
    ["https://a.example/c", "HTTPS://a.example/c", "https://a.example", "https://"],
)
def test_an_https_client_id_is_a_metadata_document_url(client_id: str) -> None:
    assert is_cimd_client_id(client_id)


@pytest.mark.parametrize("client_id", ["abc123", "http://a.example/c", "", None, 5])
def test_other_client_ids_are_not_metadata_document_urls_s6_9(client_id: Any) -> None:
    assert not is_cimd_client_id(client_id)


def test_s3_the_scheme_must_be_https_in_lower_case() -> None:
    with pytest.raises(CIMDRefused, match='scheme must be "https"') as refused:
        check_client_id_url("HTTPS://app.example.com/client.json")
    assert refused.value.rule == "cimd.client_id_url"
    assert "§3" in refused.value.description


def test_s3_a_path_component_is_required() -> None:
    with pytest.raises(CIMDRefused, match="path component"):
        check_client_id_url("https://app.example.com")


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/a/./client.json",
        "https://app.example.com/a/../client.json",
        "https://app.example.com/.",
        "https://app.example.com/%2e%2E/client.json",
        "https://app.example.com/a/%2e/client.json",
    ],
)
def test_s3_dot_segments_are_refused(url: str) -> None:
    with pytest.raises(CIMDRefused, match="dot path segments"):
        check_client_id_url(url)


@pytest.mark.parametrize(
    "url", ["https://app.example.com/client.json#x", "https://app.example.com/client.json#"]
)
def test_s3_a_fragment_is_refused(url: str) -> None:
    with pytest.raises(CIMDRefused, match="fragment"):
        check_client_id_url(url)


@pytest.mark.parametrize(
    "url",
    ["https://user@app.example.com/client.json", "https://user:pw@app.example.com/client.json"],
)
def test_s3_a_username_or_password_is_refused(url: str) -> None:
    with pytest.raises(CIMDRefused, match="username or password"):
        check_client_id_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/client json",
        "https://app.example.com/client\x00.json",
        "https://app.example.com/clïent.json",
        "https://app.example.com/" + "a" * 255,
        "https://app.example.com:99999/client.json",
        "https:///client.json",
    ],
)
def test_s3_urls_that_are_not_valid_are_refused(url: str) -> None:
    with pytest.raises(CIMDRefused):
        check_client_id_url(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://App.Example.com/client.json", "app.example.com"),
        ("https://app.example.com:8443/client.json", "app.example.com"),  # §3: a port MAY
        ("https://app.example.com/client.json?v=2", "app.example.com"),  # §3: SHOULD NOT, tolerated
        ("https://[2001:db8::1]/client.json", "[2001:db8::1]"),
    ],
)
def test_s3_ports_and_queries_are_accepted(url: str, host: str) -> None:
    assert check_client_id_url(url) == host


def test_s6_8_trusted_hosts_limit_the_hosts() -> None:
    check_trusted_host("app.example.com", [])  # empty: any host
    check_trusted_host("a.example.org", ["app.example.com", "*.example.org"])
    with pytest.raises(CIMDRefused, match="trusted hosts") as refused:
        check_trusted_host("example.org", ["*.example.org"])
    assert refused.value.rule == "cimd.trusted_hosts"


# -- §4.1 Client Metadata Document ---------------------------------------------------------------


def test_a_valid_document_is_parsed() -> None:
    assert _parse(_document(client_name="App"))["client_name"] == "App"


@pytest.mark.parametrize("media_type", ["application/json", "application/client-metadata+json"])
def test_s4_1_json_media_types_are_accepted(media_type: str) -> None:
    assert _parse(_document(), media_type)["client_id"] == URL


@pytest.mark.parametrize("media_type", ["text/html", "text/plain", ""])
def test_s4_1_other_media_types_are_refused(media_type: str) -> None:
    with pytest.raises(CIMDRefused, match="not application/json"):
        _parse(_document(), media_type)


@pytest.mark.parametrize(
    "body", [b"[]", b'"text"', b"{", b'{"client_id": 1, "client_id": 2}', b"\xff"]
)
def test_s4_1_the_document_is_a_json_object(body: bytes) -> None:
    with pytest.raises(CIMDRefused, match=r"§4\.1"):
        _parse(body)


def test_s4_1_client_id_is_required() -> None:
    with pytest.raises(CIMDRefused, match="must contain client_id"):
        _parse(_document(client_id=None))


@pytest.mark.parametrize(
    "other",
    [
        URL + "/",
        URL.upper(),
        "https://APP.example.com/oauth/client.json",
        "https://app.example.com:443/oauth/client.json",
        "https://app.example.com/oauth/%63lient.json",
    ],
)
def test_s4_1_client_id_must_equal_the_url_by_simple_string_comparison(other: str) -> None:
    with pytest.raises(CIMDRefused, match="not the URL it was fetched from") as refused:
        _parse(_document(client_id=other))
    assert refused.value.rule == "cimd.document"


@pytest.mark.parametrize(
    ("name", "value"), [("client_secret", "s3cret"), ("client_secret_expires_at", 0)]
)
def test_s4_1_client_secret_properties_must_not_be_used(name: str, value: Any) -> None:
    with pytest.raises(CIMDRefused, match=f"{name} must not be used"):
        _parse(_document(**{name: value}))


@pytest.mark.parametrize(
    "method",
    ["client_secret_basic", "client_secret_post", "client_secret_jwt", "client_secret_other"],
)
def test_s4_1_shared_secret_auth_methods_are_refused(method: str) -> None:
    with pytest.raises(CIMDRefused, match="shared secret"):
        _parse(_document(token_endpoint_auth_method=method))


@pytest.mark.parametrize("redirect_uris", [None, [], "https://app.example.com/cb"])
def test_s4_5_redirect_uris_are_required(redirect_uris: Any) -> None:
    document = _document()
    if redirect_uris is None:
        del document["redirect_uris"]
    else:
        document["redirect_uris"] = redirect_uris
    with pytest.raises(CIMDRefused, match="redirect_uris is required"):
        _parse(document)


# -- tolerances (docs/cimd.md) -------------------------------------------------------------------


def test_tolerance_no_auth_method_means_a_public_client() -> None:
    assert _tolerate(_parse(_document()))["token_endpoint_auth_method"] == "none"


def test_tolerance_grant_types_this_server_lacks_are_dropped() -> None:
    grants = [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
        "implicit",
    ]
    metadata = _tolerate(_parse(_document(grant_types=grants)))
    assert metadata["grant_types"] == ["authorization_code", "refresh_token"]


def test_tolerance_client_credentials_is_dropped_for_a_public_client() -> None:
    metadata = _tolerate(
        _parse(_document(grant_types=["authorization_code", "client_credentials"]))
    )
    assert metadata["grant_types"] == ["authorization_code"]


def test_tolerance_a_list_of_only_unsupported_grants_is_kept_for_the_validator() -> None:
    grants = ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert _tolerate(_parse(_document(grant_types=grants)))["grant_types"] == grants


def test_tolerance_unsupported_response_types_are_dropped() -> None:
    metadata = _tolerate(_parse(_document(response_types=["code", "code id_token"])))
    assert metadata["response_types"] == ["code"]


def test_tolerance_client_id_and_unknown_members_do_not_reach_the_metadata() -> None:
    metadata = _tolerate(_parse(_document(x_vendor={"a": 1})))
    assert "client_id" not in metadata
    assert metadata["x_vendor"] == {"a": 1}  # the validator keeps only what it knows


def test_tolerance_no_scope_means_every_scope_the_workspace_offers() -> None:
    assert _tolerate(_parse(_document()))["scope"] == "openid profile offline_access"
    assert _tolerate(_parse(_document(scope="openid")))["scope"] == "openid"
