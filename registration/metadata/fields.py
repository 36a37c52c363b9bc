"""RFC 7591 §2 fields that are not URIs or keys: grants, response types, auth method, scope,
names, contacts and software identifiers."""

from __future__ import annotations

import re

from .capabilities import ServerCapabilities
from .common import (
    dedupe,
    fail,
    has_control_chars,
    quote,
    require_displayable,
    require_string,
    require_string_list,
)

RFC_AUTH_METHODS: tuple[str, ...] = (
    "none",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
)
JWT_AUTH_METHODS: frozenset[str] = frozenset({"client_secret_jwt", "private_key_jwt"})
DEFAULT_GRANT_TYPES: tuple[str, ...] = ("authorization_code",)
DEFAULT_AUTH_METHOD = "client_secret_basic"
REDIRECT_GRANT_TYPES: frozenset[str] = frozenset({"authorization_code", "implicit"})
NEVER_GRANTED_SCOPES: frozenset[str] = frozenset({"dcr_register"})
"""Scopes no registered client may hold, whatever the workspace offers."""

MAX_NAME_LENGTH = 255
MAX_CONTACTS = 20
MAX_CONTACT_LENGTH = 254  # RFC 5321 §4.5.3.1.3: the longest usable forward-path
SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")
JWS_ALG_RE = re.compile(r"^[A-Za-z0-9+._\-]{1,64}$")


def _supported(values: frozenset[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def validate_grant_types(value: object, capabilities: ServerCapabilities) -> list[str]:
    """RFC 7591 §2 grant_types: "Array of OAuth 2.0 grant type strings that the client can
    use at the token endpoint."  Each must be offered by this server; duplicates dropped."""
    items = require_string_list("grant_types", value)
    if not items:
        fail("grant_types", "must not be empty", "RFC 7591 §2")
    for index, grant_type in enumerate(items):
        if grant_type not in capabilities.grant_types_supported:
            supported = _supported(capabilities.grant_types_supported)
            msg = f"{quote(grant_type)} is not supported (supported: {supported})"
            fail(f"grant_types[{index}]", msg, "RFC 7591 §2")
    return dedupe(items)


def validate_response_types(value: object, capabilities: ServerCapabilities) -> list[str]:
    """RFC 7591 §2 response_types: "Array of the OAuth 2.0 response type strings that the
    client can use at the authorization endpoint."  Multi-valued types ("code id_token") are
    compared without regard to order (OAuth 2.0 Multiple Response Types §3)."""
    items = require_string_list("response_types", value)
    canonical = {frozenset(rt.split(" ")): rt for rt in capabilities.response_types_supported}
    normalized = []
    for index, response_type in enumerate(items):
        match = canonical.get(frozenset(response_type.split(" ")))
        if match is None:
            supported = _supported(capabilities.response_types_supported)
            msg = f"{quote(response_type)} is not supported (supported: {supported})"
            fail(f"response_types[{index}]", msg, "RFC 7591 §2")
        normalized.append(match)
    return dedupe(normalized)


def default_response_types(grant_types: list[str]) -> list[str]:
    """RFC 7591 §2: "If omitted, the default is that the client will use only the "code"
    response type" -- which only makes sense for a client with a redirect-based grant."""
    if "authorization_code" in grant_types:
        return ["code"]
    if "implicit" in grant_types:
        # The RFC default ("code") needs the authorization_code grant (RFC 7591 §2.1).
        msg = "must be sent by an implicit-only client (the default code needs authorization_code)"
        fail("response_types", msg, "RFC 7591 §2.1")
    return []


def check_grant_and_response_types(grant_types: list[str], response_types: list[str]) -> None:
    """RFC 7591 §2.1: grant_types and response_types must correspond (code <-> authorization_code,
    token/id_token <-> implicit)."""
    components = {part for response_type in response_types for part in response_type.split(" ")}
    if "code" in components and "authorization_code" not in grant_types:
        # RFC 7591 §2.1: "code" response type <-> "authorization_code" grant type.
        fail("response_types", "code requires the authorization_code grant type", "RFC 7591 §2.1")
    implicit_parts = sorted(components & {"token", "id_token"})
    if implicit_parts and "implicit" not in grant_types:
        # RFC 7591 §2.1: "token" response type <-> "implicit" grant type.
        msg = f"{' and '.join(implicit_parts)} requires the implicit grant type"
        fail("response_types", msg, "RFC 7591 §2.1")
    if "authorization_code" in grant_types and "code" not in components:
        msg = "the authorization_code grant type requires the code response type"
        fail("response_types", msg, "RFC 7591 §2.1")
    if "implicit" in grant_types and not implicit_parts:
        msg = "the implicit grant type requires the token or id_token response type"
        fail("response_types", msg, "RFC 7591 §2.1")


def validate_token_endpoint_auth_method(value: object, capabilities: ServerCapabilities) -> str:
    """RFC 7591 §2 token_endpoint_auth_method: "String indicator of the requested
    authentication method for the token endpoint."  Must be one this server supports."""
    method = require_string("token_endpoint_auth_method", value, max_length=64)
    if method not in capabilities.token_endpoint_auth_methods_supported:
        supported = _supported(capabilities.token_endpoint_auth_methods_supported)
        msg = f"{quote(method)} is not supported (supported: {supported})"
        fail("token_endpoint_auth_method", msg, "RFC 7591 §2")
    return method


def validate_token_endpoint_auth_signing_alg(
    value: object, capabilities: ServerCapabilities
) -> str:
    """OIDC Registration §2 token_endpoint_auth_signing_alg: "JWS alg algorithm that MUST be
    used for signing the JWT used to authenticate the Client ... The value none MUST NOT be
    used."  Must be one this server accepts."""
    field = "token_endpoint_auth_signing_alg"
    alg = validate_jws_alg(field, value)
    if alg not in capabilities.token_endpoint_auth_signing_algs_supported:
        supported = _supported(capabilities.token_endpoint_auth_signing_algs_supported)
        fail(field, f"{quote(alg)} is not supported (supported: {supported})")
    return alg


def validate_jws_alg(field: str, value: object) -> str:
    """A JWS ``alg`` name (RFC 7515 §4.1.1), never ``none`` (RFC 8725 §3.1)."""
    alg = require_string(field, value, max_length=64)
    if alg.lower() == "none":
        # RFC 8725 §3.1 / OIDC Registration §2: the value none MUST NOT be used.
        fail(field, "the none algorithm is not allowed", "RFC 8725 §3.1")
    if not JWS_ALG_RE.match(alg):
        fail(field, f"{quote(alg)} is not a JWS algorithm name", "RFC 7515 §4.1.1")
    return alg


def _scope_is_grantable(scope: str, capabilities: ServerCapabilities) -> bool:
    return scope in capabilities.scopes_supported and scope not in NEVER_GRANTED_SCOPES


def validate_scope(value: object, capabilities: ServerCapabilities) -> str | None:
    """RFC 7591 §2 scope: "String containing a space-separated list of scope values (as
    described in Section 3.3 of [RFC6749]) that the client can use when requesting access
    tokens."  Returns what is granted, or None when nothing is."""
    text = require_string("scope", value)
    tokens = [token for token in text.split(" ") if token]
    if not tokens:
        # RFC 6749 §3.3: scope = scope-token *( SP scope-token ) -- at least one token.
        fail("scope", "must contain at least one scope token", "RFC 6749 §3.3")
    for token in tokens:
        if not SCOPE_TOKEN_RE.match(token):
            # RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            fail("scope", f"{quote(token)} is not a valid scope token", "RFC 6749 §3.3")
    tokens = dedupe(tokens)
    refused = [token for token in tokens if not _scope_is_grantable(token, capabilities)]
    if refused and capabilities.reject_unsupported_scopes:
        # RFC 7591 §2: "the authorization server MAY ... reject" scopes it will not grant.
        fail("scope", f"not available to this client: {quote(' '.join(refused))}", "RFC 7591 §2")
    granted = [token for token in tokens if token not in refused]
    return " ".join(granted) or None


def default_scope(capabilities: ServerCapabilities) -> str | None:
    """RFC 7591 §2: "If omitted, an authorization server MAY register a client with a
    default set of scopes" -- the workspace defaults, minus anything never grantable."""
    granted = [
        s for s in dedupe(capabilities.default_scopes) if _scope_is_grantable(s, capabilities)
    ]
    return " ".join(granted) or None


def validate_client_name(value: object, field: str = "client_name") -> str:
    """RFC 7591 §2 client_name: "Human-readable string name of the client to be presented to
    the end-user during authorization."  1-255 characters, no control characters."""
    name = require_string(field, value).strip()
    if not name:
        fail(field, "must not be empty or blank", "RFC 7591 §2")
    if len(name) > MAX_NAME_LENGTH:
        fail(field, f"must be at most {MAX_NAME_LENGTH} characters")
    # It is shown to end users on the consent page: no invisible, format or bidi-control
    # characters (spoofing), in every language-tagged variant too (RFC 7591 §2.2).
    return require_displayable(field, name)


def validate_contacts(value: object) -> list[str]:
    """RFC 7591 §2 contacts: "Array of strings representing ways to contact people
    responsible for this client, typically email addresses."  1-20 addresses."""
    items = require_string_list("contacts", value)
    if not 1 <= len(items) <= MAX_CONTACTS:
        fail("contacts", f"must contain between 1 and {MAX_CONTACTS} entries")
    contacts = []
    for index, item in enumerate(items):
        contact = item.strip()
        field = f"contacts[{index}]"
        if not contact:
            fail(field, "must not be empty")
        if len(contact) > MAX_CONTACT_LENGTH:
            fail(field, f"must be at most {MAX_CONTACT_LENGTH} characters", "RFC 5321 §4.5.3.1.3")
        if has_control_chars(contact) or any(ch.isspace() for ch in contact):
            fail(field, "must not contain whitespace or control characters")
        contacts.append(contact)
    return dedupe(contacts)


def _validate_software_string(field: str, value: object) -> str:
    text = require_string(field, value, max_length=MAX_NAME_LENGTH)
    if not text.strip():
        fail(field, "must not be blank")
    return require_displayable(field, text)


def validate_software_id(value: object) -> str:
    """RFC 7591 §2 software_id: "A unique identifier string ... assigned by the client
    developer or software publisher used by registration endpoints to identify the client
    software to be dynamically registered."  1-255 characters."""
    return _validate_software_string("software_id", value)


def validate_software_version(value: object) -> str:
    """RFC 7591 §2 software_version: "A version identifier string for the client software
    identified by software_id."  1-255 characters."""
    return _validate_software_string("software_version", value)
