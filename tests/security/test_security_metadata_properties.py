"""Property-based tests of ``validate_client_metadata`` (hypothesis): whatever comes in, only a
``RegistrationError`` comes out, and whatever is accepted obeys RFC 7591 / RFC 6749 / RFC 8252."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from registration.errors import RegistrationError
from registration.metadata import ServerCapabilities, validate_client_metadata
from registration.metadata.fields import NEVER_GRANTED_SCOPES
from registration.metadata.uris import FORBIDDEN_SCHEMES, LOOPBACK_HOSTS

PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALL_METHODS = (
    "none",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
)
URI_FIELDS = (
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "sector_identifier_uri",
    "initiate_login_uri",
)

# -- strategies -----------------------------------------------------------------------------------
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

SCHEMES = st.sampled_from(
    [
        "https",
        "http",
        "HTTPS",
        "JavaScript",
        "javascript",
        "data",
        "file",
        "vbscript",
        "ftp",
        "ws",
        "com.example.app",
        "myapp",
        "about",
        "blob",
        " https",
        "ht\ttps",
        "",
    ]
)
HOSTS = st.sampled_from(
    [
        "app.example.com",
        "127.0.0.1",
        "[::1]",
        "localhost",
        "LOCALHOST",
        "example.org.evil.com",
        "badexample.org",
        "a@b.example",
        "user:pw@app.example.com",
        "xn--80ak6aa92e.com",
        "\u0430pple.com"  # IDN homograph: Cyrillic a,
        "app.example.com\\@evil.com",
        "app.example.com:443",
        "app.example.com:0",
        "[::1",
        "",
        "app.example.com%2F@evil",
        "exa mple.com",
        "10.0.0.1",
        "2130706433",
    ]
)
PATHS = st.sampled_from(
    [
        "/cb",
        "",
        "/cb#frag",
        "/cb?x=1",
        "/cb?x=1#",
        "#",
        "/a\\b",
        "/\t",
        "/\n",
        "/%zz",
        "/%2e%2e/",
        "/cb\x00",
        "/é",
        "/cb@evil.com",
        "//evil.com",
        "/cb;x",
    ]
)


@st.composite
def uris(draw: st.DrawFn) -> str:
    separator = draw(st.sampled_from(["://", ":", ":/", ":///", "//"]))
    return draw(SCHEMES) + separator + draw(HOSTS) + draw(PATHS)


uri_or_junk = uris() | st.text(max_size=40) | json_values

GRANTS = st.sampled_from(
    [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "implicit",
        "password",
        "urn:ietf:params:oauth:grant-type:device_code",
        "",
    ]
)
RESPONSES = st.sampled_from(
    ["code", "token", "id_token", "code id_token", "id_token code", "none", ""]
)
SCOPES = st.sampled_from(["openid", "profile", "email", "dcr_register", "admin", 'a"b', "x\\y"])


VALID_REDIRECTS = st.sampled_from(
    [
        "https://app.example.com/cb",
        "https://app.example.com/cb?x=1",
        "com.example.app:/cb",
        "http://127.0.0.1:8080/cb",
        "http://[::1]/cb",
        "http://localhost/cb",
    ]
)
VALID_HTTPS = st.sampled_from(["https://app.example.com/", "https://app.example.com/logo.png"])
redirect_uri = st.one_of(VALID_REDIRECTS, VALID_REDIRECTS, VALID_REDIRECTS, uris())
GRANT_SETS = st.sampled_from(
    [
        ["authorization_code"],
        ["authorization_code", "refresh_token"],
        ["client_credentials"],
        ["implicit"],
        ["authorization_code", "implicit"],
        ["refresh_token"],
    ]
)


def sometimes(
    strategy: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Mostly ``strategy``, sometimes ``hostile``: enough accepted inputs to test the rules."""
    return st.one_of(strategy, strategy, strategy, hostile)


def _chance(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n + 1`` draws (shrinks to False: the field left out)."""
    return bool(draw(st.sampled_from([False] * n + [True])))


@st.composite
def metadata(draw: st.DrawFn) -> dict[str, Any]:
    """Plausible-looking metadata: right field names, values mostly valid, some hostile."""
    raw: dict[str, Any] = {}
    if _chance(draw, 1):
        raw["redirect_uris"] = draw(st.lists(redirect_uri, min_size=1, max_size=3))
    if _chance(draw, 1):
        raw["grant_types"] = draw(sometimes(GRANT_SETS, st.lists(GRANTS, max_size=3)))
    if _chance(draw, 3):
        raw["response_types"] = draw(st.lists(RESPONSES, max_size=3))
    if _chance(draw, 1):
        raw["token_endpoint_auth_method"] = draw(
            st.sampled_from([*ALL_METHODS, "NONE", "tls_client_auth"])
        )
    if _chance(draw, 1):
        raw["scope"] = " ".join(draw(st.lists(SCOPES, min_size=1, max_size=4)))
    if _chance(draw, 1):
        raw["application_type"] = draw(
            sometimes(st.sampled_from(["web", "native"]), st.sampled_from(["WEB", "desktop"]))
        )
    for field in URI_FIELDS:
        if _chance(draw, 9):
            raw[field] = draw(sometimes(VALID_HTTPS, uri_or_junk))
    if _chance(draw, 5):
        raw["post_logout_redirect_uris"] = draw(st.lists(redirect_uri, max_size=2))
    if _chance(draw, 4):
        raw["client_name"] = draw(sometimes(st.just("My app"), st.text(max_size=20)))
    if _chance(draw, 4):
        raw["contacts"] = draw(
            sometimes(st.just(["ops@example.com"]), st.lists(st.text(max_size=20), max_size=3))
        )
    if _chance(draw, 8):
        raw["jwks"] = draw(json_values)
    if _chance(draw, 6):
        raw["token_endpoint_auth_signing_alg"] = draw(
            st.sampled_from(["RS256", "HS256", "none", "None", "ES256"])
        )
    if _chance(draw, 4):
        raw[draw(st.text(max_size=12))] = draw(json_values)
    return raw


@st.composite
def random_capabilities(draw: st.DrawFn) -> ServerCapabilities:
    """Varying offers. authorization_code and code are always offered, as by this server
    (registration/capabilities.py): the validator applies those defaults unchecked (see
    test_default_grant_and_response_types_are_checked_against_the_capabilities)."""
    methods = draw(st.sets(st.sampled_from(ALL_METHODS), min_size=1))
    grants = draw(st.sets(st.sampled_from(["refresh_token", "client_credentials", "implicit"])))
    responses = draw(st.sets(st.sampled_from(["token", "id_token", "code id_token"])))
    return ServerCapabilities(
        scopes_supported=frozenset({"openid", "profile", "email", "dcr_register"}),
        default_scopes=("openid", "profile", "dcr_register"),
        grant_types_supported=frozenset({"authorization_code", *grants}),
        response_types_supported=frozenset({"code", *responses}),
        token_endpoint_auth_methods_supported=frozenset(methods),
        reject_unsupported_scopes=draw(st.booleans()),
    )


DEFAULT_CAPABILITIES = ServerCapabilities(
    scopes_supported=frozenset({"openid", "profile", "email", "dcr_register"}),
    default_scopes=("openid", "profile", "email"),
    grant_types_supported=frozenset({"authorization_code", "refresh_token", "client_credentials"}),
    response_types_supported=frozenset({"code"}),
    token_endpoint_auth_methods_supported=frozenset(ALL_METHODS),
)
capability_sets = st.one_of(st.just(DEFAULT_CAPABILITIES), random_capabilities())


def _assert_idempotent(result: dict[str, Any], capabilities: ServerCapabilities) -> None:
    again = validate_client_metadata(result, capabilities=capabilities)
    if "scope" not in result:
        # Every requested scope was dropped: sent back without scope, the defaults apply
        # (RFC 7591 §2 "If omitted, an authorization server MAY register ... default").
        again.pop("scope", None)
    assert again == result


# -- the properties -------------------------------------------------------------------------------
def _validate(raw: Any, capabilities: ServerCapabilities) -> dict[str, Any] | None:
    """The result, or None after a RegistrationError; anything else escapes and fails the test."""
    try:
        return validate_client_metadata(raw, capabilities=capabilities)
    except RegistrationError as exc:
        assert exc.error in {"invalid_client_metadata", "invalid_redirect_uri"}
        assert exc.description and len(exc.description) < 400
        return None


def _no_none(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, dict):
        return all(_no_none(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_none(v) for v in value)
    return True


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def _check_uri_is_safe(uri: str) -> str:
    assert uri.isascii() and uri.isprintable()
    assert not any(ch.isspace() for ch in uri) and "\\" not in uri
    match = _SCHEME.match(uri)
    assert match is not None, uri
    scheme = match.group(1).lower()
    assert scheme not in FORBIDDEN_SCHEMES
    return scheme


def _authority_host(uri: str) -> str:
    authority = uri.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
    assert "@" not in authority, uri  # no user-info: "a@b" tricks never pass
    return authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority


def _check_accepted(result: dict[str, Any], capabilities: ServerCapabilities) -> None:
    assert _no_none(result)
    grants: list[str] = result["grant_types"]
    responses: list[str] = result["response_types"]
    method: str = result["token_endpoint_auth_method"]
    # RFC 7591 §2: values the server supports.
    assert grants and set(grants) <= capabilities.grant_types_supported
    assert set(responses) <= capabilities.response_types_supported
    assert method in capabilities.token_endpoint_auth_methods_supported
    # RFC 7591 §2.1: grant types and response types correspond.
    parts = {part for response in responses for part in response.split()}
    assert ("code" in parts) == ("authorization_code" in grants)
    assert bool(parts & {"token", "id_token"}) == ("implicit" in grants)
    # RFC 6749 §4.4: client_credentials is for confidential clients only.
    assert not (method == "none" and "client_credentials" in grants)
    # RFC 7591 §2: jwks and jwks_uri never both.
    assert not ("jwks" in result and "jwks_uri" in result)
    # Scopes: only what the workspace offers, never dcr_register.
    for scope in result.get("scope", "").split():
        assert scope in capabilities.scopes_supported and scope not in NEVER_GRANTED_SCOPES
    # RFC 6749 §3.1.2 / RFC 8252 §7: redirect URIs.
    redirect_uris = result.get("redirect_uris", [])
    if {"authorization_code", "implicit"} & set(grants):
        assert redirect_uris
    for uri in [*redirect_uris, *result.get("post_logout_redirect_uris", [])]:
        assert "#" not in uri
        scheme = _check_uri_is_safe(uri)
        if scheme == "https":
            assert _authority_host(uri)
        elif scheme == "http":
            # RFC 8252 §7.3: loopback only (web or native); never with the implicit grant.
            assert _authority_host(uri) in LOOPBACK_HOSTS
            assert not ("implicit" in grants and result["application_type"] == "web")
        else:
            assert result["application_type"] == "native" and "." in scheme  # RFC 8252 §7.1
    for field in URI_FIELDS:
        if field in result:
            assert "#" not in result[field]
            assert _check_uri_is_safe(result[field]) == "https"
            assert _authority_host(result[field])


@PROFILE
@given(raw=json_values)
def test_rfc7591_3_2_2_any_json_document_only_raises_registration_errors(raw: Any) -> None:
    result = _validate(raw, DEFAULT_CAPABILITIES)
    if result is not None:
        _check_accepted(result, DEFAULT_CAPABILITIES)


@PROFILE
@given(
    raw=st.dictionaries(
        st.sampled_from(
            [
                *URI_FIELDS,
                "redirect_uris",
                "grant_types",
                "scope",
                "jwks",
                "contacts",
                "client_name",
            ]
        ),
        json_values,
        max_size=5,
    )
)
def test_rfc7591_3_2_2_known_fields_with_any_json_value(raw: dict[str, Any]) -> None:
    result = _validate(raw, DEFAULT_CAPABILITIES)
    if result is not None:
        _check_accepted(result, DEFAULT_CAPABILITIES)


@PROFILE
@given(raw=metadata(), capabilities=capability_sets)
@example(
    raw={"redirect_uris": ["JavaScript://app.example.com/%0aalert(1)"]},
    capabilities=DEFAULT_CAPABILITIES,
)
@example(
    raw={"redirect_uris": ["https://a@b@app.example.com/cb"]}, capabilities=DEFAULT_CAPABILITIES
)
@example(
    raw={"redirect_uris": ["https://app.example.com\\@evil.com/cb"]},
    capabilities=DEFAULT_CAPABILITIES,
)
def test_rfc7591_2_accepted_metadata_obeys_the_rfc_rules(
    raw: dict[str, Any], capabilities: ServerCapabilities
) -> None:
    result = _validate(raw, capabilities)
    if result is not None:
        _check_accepted(result, capabilities)


@PROFILE
@given(raw=metadata(), capabilities=capability_sets)
def test_rfc7592_2_2_accepted_metadata_validates_again_to_itself(
    raw: dict[str, Any], capabilities: ServerCapabilities
) -> None:
    """A stored registration sent back unchanged on update (RFC 7592 §2.2) is accepted as is."""
    result = _validate(raw, capabilities)
    if result is not None:
        _assert_idempotent(result, capabilities)


BASES = [
    {"redirect_uris": ["https://app.example.com/cb"]},
    {
        "redirect_uris": ["https://app.example.com/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
    },
    {"grant_types": ["client_credentials"]},
    {
        "application_type": "native",
        "redirect_uris": ["com.example.app:/cb"],
        "token_endpoint_auth_method": "none",
    },
]
OVERRIDES = st.fixed_dictionaries(
    {},
    optional={
        "redirect_uris": st.lists(redirect_uri, min_size=1, max_size=2),
        "scope": st.lists(SCOPES, min_size=1, max_size=3).map(" ".join),
        "token_endpoint_auth_method": st.sampled_from(ALL_METHODS),
        "response_types": st.lists(RESPONSES, max_size=2),
        "logo_uri": uris(),
        "jwks_uri": uris(),
        "sector_identifier_uri": uris(),
        "post_logout_redirect_uris": st.lists(redirect_uri, max_size=2),
    },
)


@PROFILE
@given(base=st.sampled_from(BASES), override=OVERRIDES, capabilities=capability_sets)
def test_rfc7591_2_valid_client_with_hostile_overrides_obeys_the_rules(
    base: dict[str, Any], override: dict[str, Any], capabilities: ServerCapabilities
) -> None:
    raw = {**base, **override}
    result = _validate(raw, capabilities)
    if result is not None:
        _check_accepted(result, capabilities)
        _assert_idempotent(result, capabilities)


@pytest.mark.parametrize(
    ("grants", "responses"),
    [({"client_credentials"}, {"code"}), ({"authorization_code"}, {"token"})],
)
def test_default_grant_and_response_types_are_checked_against_the_capabilities(
    grants: set[str], responses: set[str]
) -> None:
    capabilities = ServerCapabilities(
        scopes_supported=frozenset({"openid"}),
        default_scopes=("openid",),
        grant_types_supported=frozenset(grants),
        response_types_supported=frozenset(responses),
        token_endpoint_auth_methods_supported=frozenset(ALL_METHODS),
    )
    raw = {"redirect_uris": ["https://app.example.com/cb"]}
    result = _validate(raw, capabilities)
    assert result is None or (
        set(result["grant_types"]) <= grants and set(result["response_types"]) <= responses
    )
