"""URI-valued metadata: redirect URIs (RFC 6749 §3.1.2, RFC 8252) and the https-only URI fields."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from registration.errors import InvalidClientMetadata, InvalidRedirectURI, RegistrationError

from .common import dedupe, fail, quote, require_string, require_string_list

MAX_URI_LENGTH = 2000
MAX_URI_ENTRIES = 50

FORBIDDEN_SCHEMES: frozenset[str] = frozenset(
    {
        "javascript",
        "data",
        "file",
        "vbscript",
        "about",
        "blob",
        "filesystem",
        "view-source",
        "ws",
        "wss",
        "ftp",
    }
)
"""Schemes never accepted in any URI field, compared case-insensitively."""

LOOPBACK_HOSTS: frozenset[str] = frozenset({"127.0.0.1", "[::1]", "localhost"})

# RFC 3986 Appendix B, restricted to absolute URIs (a scheme is mandatory).
_URI_RE = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):"
    r"(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)(?:\?[^#]*)?(?P<fragment>#.*)?$"
)
_SCHEME_PREFIX_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# RFC 3986 §2: unreserved, reserved and '%' are the only characters a URI may contain.
_URI_CHARS_RE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DNS_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
_PRIVATE_SCHEME_SEGMENT_RE = re.compile(r"^[a-z0-9][a-z0-9+\-]*$")


@dataclass(frozen=True)
class ParsedURI:
    """The parts of an absolute URI the validators need (scheme and host lower-cased)."""

    scheme: str
    has_authority: bool
    userinfo: str | None
    host: str
    port: int | None
    rest: str
    has_fragment: bool


def parse_uri(
    field: str, value: str, *, error: type[RegistrationError] = InvalidClientMetadata
) -> ParsedURI:
    """Parse ``value`` as an absolute URI (RFC 3986 §4.3) or refuse it with ``error``."""
    if not value:
        fail(field, "must not be empty", error=error)
    if len(value) > MAX_URI_LENGTH:
        fail(field, f"must be at most {MAX_URI_LENGTH} characters", error=error)
    prefix = _SCHEME_PREFIX_RE.match(value)
    if prefix and prefix.group(1).lower() in FORBIDDEN_SCHEMES:
        fail(field, f"the {quote(prefix.group(1).lower())} scheme is not allowed", error=error)
    if any(ord(ch) <= 0x20 or 0x7F <= ord(ch) <= 0x9F or ch.isspace() for ch in value):
        fail(field, "must not contain whitespace or control characters", "RFC 3986 §2", error=error)
    if not value.isascii():
        fail(field, "must be ASCII; percent-encode other characters", "RFC 3986 §2.1", error=error)
    if not _URI_CHARS_RE.match(value) or _BAD_PERCENT_RE.search(value):
        msg = f"{quote(value)} contains characters not allowed in a URI"
        fail(field, msg, "RFC 3986 §2", error=error)
    match = _URI_RE.match(value)
    if match is None:
        fail(field, f"{quote(value)} is not an absolute URI", "RFC 3986 §4.3", error=error)
    authority = match.group("authority")
    userinfo, host, port = None, "", None
    if authority is not None:
        userinfo, host, port = _split_authority(field, authority, error)
    return ParsedURI(
        scheme=match.group("scheme").lower(),
        has_authority=authority is not None,
        userinfo=userinfo,
        host=host,
        port=port,
        rest=value[match.end("scheme") + 1 :],
        has_fragment=match.group("fragment") is not None,
    )


def _split_authority(
    field: str, authority: str, error: type[RegistrationError]
) -> tuple[str | None, str, int | None]:
    """Split ``[userinfo@]host[:port]`` (RFC 3986 §3.2), validating host and port."""
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port_part = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or (port_part and not port_part.startswith(":")):
            fail(field, "has a malformed IPv6 host", "RFC 3986 §3.2.2", error=error)
    else:
        host, colon, port_text = hostport.partition(":")
        port_part = colon + port_text
    host = host.lower()
    if host and not _is_valid_host(host):
        fail(field, f"host {quote(host)} is not a valid host name", "RFC 3986 §3.2.2", error=error)
    port: int | None = None
    if port_part:
        digits = port_part[1:]
        if not digits.isdigit() or len(digits) > 5 or not 0 < int(digits) <= 65535:
            fail(field, "has an invalid port", "RFC 3986 §3.2.3", error=error)
        port = int(digits)
    return (userinfo if at else None), host, port


def _is_valid_host(host: str) -> bool:
    """A DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address."""
    if host.startswith("["):
        inner = host[1:-1]
        if "%" in inner:
            return False
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            return False
        return True
    labels = host.split(".")
    if labels[-1].isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return len(host) <= 253 and all(_DNS_LABEL_RE.match(label) for label in labels)


def _require_https(field: str, uri: ParsedURI, error: type[RegistrationError]) -> None:
    if uri.scheme != "https":
        fail(field, "must use the https scheme", error=error)
    _require_real_host(field, uri, error)


def _require_real_host(field: str, uri: ParsedURI, error: type[RegistrationError]) -> None:
    if not uri.has_authority or not uri.host:
        fail(field, "must include a host", "RFC 3986 §3.2.2", error=error)
    if uri.userinfo is not None:
        fail(field, "must not include a user-info part (user@host)", "RFC 3986 §7.5", error=error)


def _is_private_use_scheme(scheme: str) -> bool:
    """RFC 8252 §7.1: a reverse-domain-name scheme such as ``com.example.app``."""
    segments = scheme.split(".")
    return len(segments) >= 2 and all(_PRIVATE_SCHEME_SEGMENT_RE.match(s) for s in segments)


def validate_redirect_uri(
    field: str,
    value: str,
    *,
    application_type: str,
    error: type[RegistrationError] = InvalidRedirectURI,
) -> str:
    """Check one redirection URI for a ``web`` or ``native`` client.

    RFC 6749 §3.1.2: "The redirection endpoint URI MUST be an absolute URI ... The endpoint
    URI MUST NOT include a fragment component."  OIDC Registration §2 (application_type):
    web clients use https; RFC 8252 §7.1/§7.3: native clients may use a private-use
    (reverse domain name) scheme or http on a loopback host.
    """
    uri = parse_uri(field, value, error=error)
    if uri.has_fragment:
        # RFC 6749 §3.1.2: the endpoint URI MUST NOT include a fragment component.
        fail(field, "fragment components are not allowed", "RFC 6749 §3.1.2", error=error)
    if uri.scheme == "https":
        _require_https(field, uri, error)
        return value
    if uri.scheme == "http":
        _require_real_host(field, uri, error)
        if uri.host not in LOOPBACK_HOSTS:
            # RFC 8252 §7.3 / §8.3: plain http is only acceptable on the loopback interface.
            # (OIDC Registration §2 restricts web clients to https only for the implicit grant,
            # checked with the grant types; MCP clients register loopback http as web clients.)
            msg = "http is allowed only on a loopback host (127.0.0.1, [::1], localhost)"
            fail(field, msg, "RFC 8252 §7.3", error=error)
        return value
    if application_type != "native":
        # RFC 8252 §7.1: private-use schemes are for native apps; web clients use https.
        fail(field, "web clients must use the https scheme", "OIDC Registration §2", error=error)
    if not _is_private_use_scheme(uri.scheme):
        # RFC 8252 §7.1: private-use schemes MUST be based on a reverse domain name.
        msg = f"scheme {quote(uri.scheme)} is not a reverse-domain-name private-use scheme"
        fail(field, msg, "RFC 8252 §7.1", error=error)
    if not uri.rest or uri.userinfo is not None:
        fail(field, f"{quote(value)} is not a usable private-use URI", "RFC 8252 §7.1", error=error)
    return value


def _validate_redirect_list(
    field: str, value: object, *, application_type: str, error: type[RegistrationError]
) -> list[str]:
    items = require_string_list(field, value)
    if len(items) > MAX_URI_ENTRIES:
        fail(field, f"must have at most {MAX_URI_ENTRIES} entries", error=error)
    for index, item in enumerate(items):
        validate_redirect_uri(
            f"{field}[{index}]", item, application_type=application_type, error=error
        )
    return dedupe(items)


def validate_redirect_uris(value: object, *, application_type: str) -> list[str]:
    """RFC 7591 §2 redirect_uris: "Array of redirection URI strings for use in redirect-based
    flows such as the authorization code and implicit flows."  Content errors raise
    ``InvalidRedirectURI`` (RFC 7591 §3.2.2); wrong JSON types raise ``InvalidClientMetadata``.
    """
    return _validate_redirect_list(
        "redirect_uris", value, application_type=application_type, error=InvalidRedirectURI
    )


def validate_post_logout_redirect_uris(value: object, *, application_type: str) -> list[str]:
    """OIDC RP-Initiated Logout §3.1 post_logout_redirect_uris: same rules as redirect_uris."""
    return _validate_redirect_list(
        "post_logout_redirect_uris",
        value,
        application_type=application_type,
        error=InvalidClientMetadata,
    )


def validate_https_uri(field: str, value: object, *, allow_fragment: bool = False) -> str:
    """An absolute https URL with a host and no user-info (and no fragment unless allowed)."""
    text = require_string(field, value, max_length=MAX_URI_LENGTH)
    uri = parse_uri(field, text)
    if uri.has_fragment and not allow_fragment:
        fail(field, "fragment components are not allowed", "RFC 3986 §3.5")
    _require_https(field, uri, InvalidClientMetadata)
    return text


def validate_client_uri(value: object, field: str = "client_uri") -> str:
    """RFC 7591 §2 client_uri: "URL string of a web page providing information about the
    client."  Only https is accepted here (it is displayed to end users)."""
    return validate_https_uri(field, value)


def validate_logo_uri(value: object, field: str = "logo_uri") -> str:
    """RFC 7591 §2 logo_uri: "URL string that references a logo for the client."  https only."""
    return validate_https_uri(field, value)


def validate_tos_uri(value: object, field: str = "tos_uri") -> str:
    """RFC 7591 §2 tos_uri: "URL string that points to a human-readable terms of service
    document for the client."  https only."""
    return validate_https_uri(field, value)


def validate_policy_uri(value: object, field: str = "policy_uri") -> str:
    """RFC 7591 §2 policy_uri: "URL string that points to a human-readable privacy policy
    document."  https only."""
    return validate_https_uri(field, value)


def validate_jwks_uri(value: object) -> str:
    """RFC 7591 §2 jwks_uri: "URL string referencing the client's JSON Web Key (JWK) Set
    document" (fetched by the server, so https only)."""
    return validate_https_uri("jwks_uri", value)


def validate_initiate_login_uri(value: object) -> str:
    """OIDC Registration §2 initiate_login_uri: "The URI MUST use the https scheme"."""
    return validate_https_uri("initiate_login_uri", value)


def validate_sector_identifier_uri(value: object) -> str:
    """OIDC Registration §2 sector_identifier_uri: "URL using the https scheme"."""
    return validate_https_uri("sector_identifier_uri", value)


def validate_request_uris(value: object) -> list[str]:
    """OIDC Registration §2 request_uris: https URLs; "If the contents of the request file
    could ever change, these URI values SHOULD include ... a fragment" -- so fragments are
    allowed here and nowhere else."""
    items = require_string_list("request_uris", value, max_items=MAX_URI_ENTRIES)
    for index, item in enumerate(items):
        validate_https_uri(f"request_uris[{index}]", item, allow_fragment=True)
    return dedupe(items)
