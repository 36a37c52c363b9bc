"""Host names for the policy: ``allowed_hosts`` patterns, URI hosts, loopback detection.

Pure Python.  URIs are split with the metadata validator's own parser
(``registration.metadata.uris.parse_uri``), so the policy judges exactly the host the validator
accepted: no second parser that could disagree on ``https://a@evil.com\\@good.example/``.
"""

from __future__ import annotations

import ipaddress
import re

from registration.errors import RegistrationError
from registration.metadata.uris import parse_uri

_DNS_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
MAX_HOST_LENGTH = 253


def normalize_host(host: str) -> str:
    """Lower-case, without one trailing dot (``A.Example.ORG.`` and ``a.example.org`` are the
    same DNS name, RFC 1034 §3.1); IPv6 literals in their compressed, bracketed form."""
    host = host.strip().lower()
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]
    if host.startswith("[") and host.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return host
    return host


def _is_dns_name(host: str) -> bool:
    """LDH labels (RFC 1123 §2.1), not all-numeric at the end (so never an IPv4 address)."""
    if not host or len(host) > MAX_HOST_LENGTH:
        return False
    labels = host.split(".")
    return all(_DNS_LABEL_RE.match(label) for label in labels) and not labels[-1].isdigit()


def _is_ip_literal(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return "%" not in host
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def host_pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid ``allowed_hosts`` entry, or None if it is.

    Valid: a DNS host name, an IPv4 address, a bracketed IPv6 address, or ``*.`` followed by a
    DNS host name.  No other wildcard form, no scheme, port, path or user-info.
    """
    text = pattern.strip().lower()
    if not text:
        return "must not be empty"
    if "://" in text or any(ch in text for ch in "/?#@"):
        return "must be a bare host name (no scheme, path or user-info)"
    if not text.isascii():
        return "must be ASCII; write internationalized names in punycode (xn--...)"
    if text.endswith("."):
        return "must not end with a dot"
    if text.startswith("*."):
        base = text[2:]
        if "*" in base or not _is_dns_name(base):
            return 'a wildcard must be "*." followed by a host name, e.g. "*.example.org"'
        return None
    if "*" in text:
        return 'the only wildcard form is a leading "*." (e.g. "*.example.org")'
    if _is_ip_literal(text) or _is_dns_name(text):
        return None
    if ":" in text:
        return "must not include a port (write IPv6 addresses in brackets)"
    return "is not a valid host name"


def host_matches(host: str, pattern: str) -> bool:
    """Does ``host`` match one ``allowed_hosts`` entry?

    Exact entries compare case-insensitively.  ``*.example.org`` matches one or more whole
    labels in front of ``example.org`` (``a.example.org``, ``a.b.example.org``) and never
    ``example.org`` itself, ``badexample.org`` or ``example.org.evil.com``.
    """
    host = normalize_host(host)
    pattern = normalize_host(pattern)
    if not host:
        return False
    if not pattern.startswith("*."):
        return host == pattern
    suffix = pattern[1:]  # ".example.org": the dot pins the match to a label boundary
    if not host.endswith(suffix) or _is_ip_literal(host):
        return False
    prefix = host[: -len(suffix)]
    return bool(prefix) and all(prefix.split("."))


def host_allowed(host: str | None, patterns: tuple[str, ...]) -> bool:
    """True if ``host`` matches any pattern; a URI without a host never does."""
    return host is not None and any(host_matches(host, pattern) for pattern in patterns)


def uri_host(uri: str) -> str | None:
    """The normalized host of ``uri``, or None (no authority, e.g. ``com.example.app:/cb``,
    or not a URI the metadata validator would accept)."""
    try:
        parsed = parse_uri("uri", uri)
    except RegistrationError:
        return None
    if not parsed.has_authority or not parsed.host:
        return None
    return normalize_host(parsed.host)


def uri_scheme(uri: str) -> str | None:
    """The lower-cased scheme of ``uri``, or None if it is not a URI."""
    try:
        return parse_uri("uri", uri).scheme
    except RegistrationError:
        return None


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ``[::1]`` (and IPv4-mapped loopback), ``localhost`` and ``*.localhost``
    (RFC 6761 §6.3: such names resolve to the loopback address)."""
    if host is None:
        return False
    host = normalize_host(host)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
