"""redirect_uris and post_logout_redirect_uris (RFC 7591 §2, RFC 6749 §3.1.2, RFC 8252)."""

from __future__ import annotations

import pytest

from registration.errors import InvalidClientMetadata, InvalidRedirectURI

FORBIDDEN = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "JAVASCRIPT://example.com/%0aalert(1)",
    "data:text/html,<script>",
    "DATA:text/html;base64,AAAA",
    "file:///etc/passwd",
    "vbscript:msgbox",
    "about:blank",
    "blob:https://example.com/uuid",
    "filesystem:https://example.com/temporary/x",
    "view-source:https://example.com/",
    "ws://example.com/cb",
    "WsS://example.com/cb",
    "ftp://example.com/cb",
]


@pytest.mark.parametrize("application_type", ["web", "native"])
@pytest.mark.parametrize("uri", FORBIDDEN)
def test_dangerous_schemes_are_refused_in_any_case_rfc6749_3_1_2(validate, uri, application_type):
    """RFC 6749 §3.1.2 / RFC 6819 §4.4.1.8: script-capable and non-HTTP schemes never pass."""
    with pytest.raises(InvalidRedirectURI) as excinfo:
        validate({"redirect_uris": [uri], "application_type": application_type})
    assert excinfo.value.description.startswith("redirect_uris[0]: ")
    assert "scheme is not allowed" in excinfo.value.description


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback",
        "https://app.example.com:8443/cb?state=fixed",
        "https://203.0.113.7/cb",
        "https://[2001:db8::1]/cb",
        "HTTPS://App.Example.COM/cb",
        "https://localhost/cb",
    ],
)
def test_web_client_accepts_https_redirect_uri_rfc6749_3_1_2(validate, uri):
    """RFC 6749 §3.1.2 / OIDC Registration §2: web clients register absolute https URIs."""
    result = validate({"redirect_uris": [uri]})
    assert result["redirect_uris"] == [uri]
    assert result["application_type"] == "web"


def test_web_client_refuses_private_use_schemes_rfc8252_7_1(validate):
    """RFC 8252 §7.1: private-use URI schemes are for native apps; web clients use https."""
    with pytest.raises(InvalidRedirectURI, match=r"^redirect_uris\[0\]: web clients must use"):
        validate({"redirect_uris": ["com.example.app:/callback"]})


def test_web_client_refuses_http_off_loopback_rfc8252_8_3(validate):
    """RFC 8252 §8.3 / OIDC Registration §2: plain http only on the loopback interface."""
    with pytest.raises(InvalidRedirectURI, match=r"^redirect_uris\[0\]: http is allowed only"):
        validate({"redirect_uris": ["http://app.example.com/cb"]})


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:8080/cb", "http://localhost/cb", "http://[::1]/cb"]
)
def test_web_client_may_use_loopback_http_rfc8252_7_3(validate, uri):
    """RFC 8252 §7.3: loopback http redirects (MCP clients register them without an
    application_type, so as web clients); OIDC Registration §2 forbids them only for implicit."""
    assert validate({"redirect_uris": [uri]})["redirect_uris"] == [uri]


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb#frag",
        "https://app.example.com/cb#",
        "com.example.app:/cb#x",
        "http://127.0.0.1/cb#x",
    ],
)
@pytest.mark.parametrize("application_type", ["web", "native"])
def test_fragment_in_redirect_uri_is_refused_rfc6749_3_1_2(validate, uri, application_type):
    """RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component." """
    raw = {
        "redirect_uris": ["https://ok.example.com/cb", uri],
        "application_type": application_type,
    }
    with pytest.raises(InvalidRedirectURI) as excinfo:
        validate(raw)
    assert excinfo.value.description == (
        "redirect_uris[1]: fragment components are not allowed (RFC 6749 §3.1.2)"
    )


@pytest.mark.parametrize(
    "uri",
    [
        "/relative/cb",
        "app.example.com/cb",
        "https:",
        "https:/cb",
        "https:///cb",
        "https://user:pw@app.example.com/cb",
        "https://user@app.example.com/cb",
        "https://app.example.com:0/cb",
        "https://app.example.com:99999/cb",
        "https://app.example.com:/cb",
        "https://app.example.com:80x/cb",
        "https://[::1/cb",
        "https://[zz::1]/cb",
        "https://[fe80::1%25eth0]/cb",
        "https://exa_mple.com/cb",
        "https://-bad.example.com/cb",
        "https://999.1.1.1/cb",
        "https://app.example.com/c b",
        " https://app.example.com/cb",
        "https://app.example.com/cb\n",
        "https://app.example.com/\x00",
        "https://app.example.com/\u202ecb",
        "https://exämple.com/cb",
        "https://app.example.com/<script>",
        "https://app.example.com/%zz",
        "",
    ],
)
def test_malformed_redirect_uri_is_refused_rfc3986(validate, uri):
    """RFC 6749 §3.1.2 / RFC 3986 §4.3: an absolute URI with a valid authority, nothing else."""
    with pytest.raises(InvalidRedirectURI, match=r"^redirect_uris\[0\]: "):
        validate({"redirect_uris": [uri]})


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1/cb",
        "http://127.0.0.1:51004/oauth2redirect",
        "http://[::1]:8080/cb",
        "http://localhost:3000/cb",
        "http://LOCALHOST/cb",
        "com.example.app:/oauth2redirect/example-provider",
        "com.example.app://callback",
        "Com.Example.App:/cb",
        "https://app.example.com/native",
    ],
)
def test_native_client_accepts_loopback_private_use_and_https_rfc8252_7(validate, uri):
    """RFC 8252 §7.1 (private-use scheme), §7.2 (claimed https), §7.3 (loopback http)."""
    result = validate({"redirect_uris": [uri], "application_type": "native"})
    assert result["redirect_uris"] == [uri]
    assert result["application_type"] == "native"


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example.com/cb",
        "http://127.0.0.2/cb",
        "http://10.0.0.1/cb",
        "http://localhost.evil.example/cb",
        "http://user@127.0.0.1/cb",
        "myapp:/cb",
        "myapp://cb",
        "com.example.app:",
        ".example.app:/cb",
        "com..app:/cb",
        "com.example.:/cb",
    ],
)
def test_native_client_refuses_other_redirect_uris_rfc8252_7_3(validate, uri):
    """RFC 8252 §7.1/§7.3/§8.3: http only on loopback; private-use schemes are reverse domains."""
    with pytest.raises(InvalidRedirectURI, match=r"^redirect_uris\[0\]: "):
        validate({"redirect_uris": [uri], "application_type": "native"})


def test_redirect_uri_longer_than_2000_chars_is_refused_rfc7591_2(validate):
    """RFC 7591 §2 size sanity: no URI over 2000 characters."""
    uri = "https://app.example.com/" + "a" * 2000
    with pytest.raises(InvalidRedirectURI, match=r"at most 2000"):
        validate({"redirect_uris": [uri]})


def test_at_most_fifty_redirect_uris_rfc7591_2(validate):
    """RFC 7591 §2 size sanity: at most 50 redirect URIs."""
    uris = [f"https://app.example.com/cb{i}" for i in range(51)]
    with pytest.raises(InvalidRedirectURI, match=r"at most 50"):
        validate({"redirect_uris": uris})
    assert len(validate({"redirect_uris": uris[:50]})["redirect_uris"]) == 50


def test_duplicate_redirect_uris_are_collapsed_keeping_order_rfc7591_2(validate):
    """RFC 7591 §2: redirect_uris is a set of URIs; repeats add nothing."""
    uris = ["https://b.example.com/cb", "https://a.example.com/cb", "https://b.example.com/cb"]
    assert validate({"redirect_uris": uris})["redirect_uris"] == uris[:2]


@pytest.mark.parametrize("redirect_uris", [None, []])
def test_redirect_uris_required_for_authorization_code_rfc7591_2(validate, redirect_uris):
    """RFC 7591 §2 / RFC 6749 §3.1.2.2: redirect-based grants need registered redirect URIs."""
    raw = {} if redirect_uris is None else {"redirect_uris": redirect_uris}
    with pytest.raises(InvalidRedirectURI, match=r"^redirect_uris: at least one redirect URI"):
        validate(raw)


@pytest.mark.parametrize("typo", ["redirect_url", "redirect_uri"])
def test_redirect_url_typo_is_refused_naming_redirect_uris_rfc7591_2(validate, typo):
    """RFC 7591 §2 ignores unknown fields, except the redirect_uris misspelling."""
    with pytest.raises(InvalidClientMetadata) as excinfo:
        validate({typo: "https://app.example.com/cb"})
    assert "redirect_uris" in excinfo.value.description
    assert typo in excinfo.value.description


def test_redirect_url_beside_redirect_uris_is_ignored_rfc7591_2(validate, web_client):
    """RFC 7591 §2: unknown fields are ignored once redirect_uris itself is present."""
    result = validate({**web_client, "redirect_url": "https://elsewhere.example.com/"})
    assert "redirect_url" not in result


@pytest.mark.parametrize("value", ["https://app.example.com/cb", [1], [None], {}, True])
def test_redirect_uris_type_errors_are_invalid_client_metadata_rfc7591_3_2_2(validate, value):
    """RFC 7591 §3.2.2: a wrongly typed field is invalid_client_metadata."""
    with pytest.raises(InvalidClientMetadata, match=r"^redirect_uris"):
        validate({"redirect_uris": value})


def test_error_echoes_at_most_a_clip_of_client_input_rfc7591_3_2_2(validate):
    """RFC 7591 §3.2.2: error_description is for humans; never echo large client input."""
    uri = "https://app.example.com/" + "<" * 1500
    with pytest.raises(InvalidRedirectURI) as excinfo:
        validate({"redirect_uris": [uri]})
    assert len(excinfo.value.description) < 200


def test_web_implicit_client_may_not_use_localhost_oidc_registration_2(capabilities, validate):
    """OIDC Registration §2: web clients using implicit MUST NOT use localhost."""
    from dataclasses import replace

    caps = replace(
        capabilities,
        grant_types_supported=capabilities.grant_types_supported | {"implicit"},
        response_types_supported=frozenset({"code", "token"}),
    )
    raw = {
        "grant_types": ["implicit"],
        "response_types": ["token"],
        "redirect_uris": ["https://localhost/cb"],
    }
    with pytest.raises(InvalidRedirectURI, match=r"localhost"):
        validate(raw, capabilities=caps)
    raw["redirect_uris"] = ["https://app.example.com/cb"]
    assert validate(raw, capabilities=caps)["response_types"] == ["token"]


@pytest.mark.parametrize(
    ("application_type", "uri"),
    [("web", "https://app.example.com/bye"), ("native", "http://127.0.0.1:9000/bye")],
)
def test_post_logout_redirect_uris_follow_redirect_rules_oidc_rp_logout_3_1(
    validate, web_client, application_type, uri
):
    """OIDC RP-Initiated Logout §3.1: post_logout_redirect_uris, same rules as redirect_uris."""
    raw = {**web_client, "application_type": application_type, "post_logout_redirect_uris": [uri]}
    assert validate(raw)["post_logout_redirect_uris"] == [uri]


@pytest.mark.parametrize(
    "uri", ["http://app.example.com/bye", "https://app.example.com/bye#x", "javascript:x"]
)
def test_post_logout_redirect_uris_refused_like_redirect_uris_oidc_rp_logout_3_1(
    validate, web_client, uri
):
    """OIDC RP-Initiated Logout §3.1: a web client's logout redirect is https without fragment."""
    with pytest.raises(InvalidClientMetadata, match=r"^post_logout_redirect_uris\[0\]: "):
        validate({**web_client, "post_logout_redirect_uris": [uri]})
