"""The client identifier URL (draft-ietf-oauth-client-id-metadata-document-01 §3), before any
network traffic.

Section numbers in this package are those of draft -01, the revision django-oauth-toolkit 3.4.1
implements (its ``rfcs/`` copy); -02 moved them (§4.1 -> §4, §4.4 -> §5.2, §6.5 -> §8.6, ...)
without changing the rules. docs/cimd.md has the table.

Pure Python: the string in, its host out, or :class:`CIMDRefused` naming the rule.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from registration.policy.hosts import host_allowed, normalize_host

from .errors import CIMDRefused

MAX_CLIENT_ID_URL_LENGTH = 255  # the client_id column
RULE = "cimd.client_id_url"


def is_cimd_client_id(client_id: object) -> bool:
    """Does this client_id name a metadata document? A cheap gate: only ``https://`` strings
    go further (draft -01 §6.9: generated client ids never start with ``https://``)."""
    return isinstance(client_id, str) and client_id[:8].lower() == "https://"


def _refuse(message: str) -> CIMDRefused:
    return CIMDRefused(
        f"client_id URL: {message} (draft-ietf-oauth-client-id-metadata-document §3)", rule=RULE
    )


def _is_dot_segment(segment: str) -> bool:
    # RFC 3986 §2.3 / §6.2.2.2: %2E is ".", so "%2e%2E" is a double-dot segment too.
    return unquote(segment) in (".", "..")


def check_client_id_url(url: str) -> str:
    """The URL's normalized host, or CIMDRefused for a URL §3 does not admit."""
    if len(url) > MAX_CLIENT_ID_URL_LENGTH:
        raise _refuse(f"longer than {MAX_CLIENT_ID_URL_LENGTH} characters")
    if not url.isascii() or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        # RFC 3986 §2: a URI is ASCII without spaces or controls.
        raise _refuse("contains whitespace, control or non-ASCII characters")
    # §3: 'MUST have an "https" scheme'. Lower case only: §4.1 compares the document's client_id
    # with the URL as a plain string, so "HTTPS://" would name another client than "https://".
    if not url.startswith("https://"):
        raise _refuse('the scheme must be "https" (in lower case)')
    if "#" in url:
        raise _refuse("must not contain a fragment component")  # §3 (an empty one included)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise _refuse("is not a valid URL") from None
    if "@" in parts.netloc:
        raise _refuse("must not contain a username or password")  # §3
    host = parts.hostname or ""
    if not host:
        raise _refuse("has no host")
    if not parts.path:
        raise _refuse("must contain a path component")  # §3
    if any(_is_dot_segment(segment) for segment in parts.path.split("/")):
        raise _refuse("must not contain single-dot or double-dot path segments")  # §3
    # §3: a query "SHOULD NOT" be included: tolerated (docs/cimd.md), as is a port ("MAY").
    return normalize_host(f"[{host}]" if ":" in host else host)


def check_trusted_host(host: str, trusted_hosts: list[str]) -> None:
    """draft -01 §6.8 (Client ID Domain Trust): the workspace's own list; empty: any host."""
    if trusted_hosts and not host_allowed(host, tuple(trusted_hosts)):
        raise CIMDRefused(
            f"client_id URL: host {host[:100]!r} is not one of this workspace's CIMD trusted "
            "hosts (draft-ietf-oauth-client-id-metadata-document §6.8)",
            rule="cimd.trusted_hosts",
        )
