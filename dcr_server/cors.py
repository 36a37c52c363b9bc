"""CORS for browser-based clients (django-cors-headers): which paths, which origins.

CONTRACT: discovery in every form, JWKS, register, management, token and revoke answer CORS
(preflight included) so single-page apps and MCP browser clients can register and get tokens;
never with credentials (no cookies cross-origin: none of these endpoints uses them). The admin,
login, authorization (a page the browser navigates to), introspection (server to server) and
userinfo are not listed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_SLUG = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_WS = rf"(?!(?:admin|accounts|static)/){_SLUG}/{_SLUG}"
_METADATA = r"(?:oauth-authorization-server|openid-configuration)"

URLS_REGEX = (
    r"^/(?:"
    # RFC 8414 §3.1 path-insertion forms.
    rf"\.well-known/{_METADATA}/{_WS}"
    # Discovery and JWKS below the issuer; registration (RFC 7591), management (RFC 7592),
    # token (RFC 6749 §3.2) and revocation (RFC 7009).
    rf"|{_WS}/(?:\.well-known/(?:{_METADATA}|jwks\.json)|oauth2/(?:register(?:/[^/]+)?|token|revoke))"
    r")$"
)

# RFC 6454 §6.1: an origin is scheme "://" host [ ":" port ], nothing else.
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")


def parse_allowed_origins(raw: str) -> list[str] | None:
    """``DCR_CORS_ALLOWED_ORIGINS``: ``*`` (or unset) -> None (any origin), else the list of
    origins. A malformed value stops start-up with a one-line error naming it."""
    value = raw.strip()
    if value == "*":
        return None
    origins = [item.strip() for item in value.split(",") if item.strip()]
    if not origins:
        raise ImproperlyConfigured(
            "DCR_CORS_ALLOWED_ORIGINS is empty: use * or comma-separated origins"
        )
    for origin in origins:
        problem = _origin_problem(origin)
        if problem:
            raise ImproperlyConfigured(
                f"DCR_CORS_ALLOWED_ORIGINS: {origin[:100]!r} is not an origin ({problem})"
            )
    return origins


def _origin_problem(origin: str) -> str | None:
    if origin == "*":
        return "* stands alone"
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 -- raises ValueError for a malformed port
    except ValueError:
        return "malformed port or host"
    if not _SCHEME.match(parts.scheme) or not parts.hostname:
        return "expected scheme://host[:port]"
    if parts.username is not None or parts.password is not None:
        return "no user information"
    if parts.path or parts.query or parts.fragment or origin.endswith(("?", "#")):
        return "no path, not even a trailing slash"
    if origin != f"{parts.scheme}://{parts.netloc}" or parts.netloc.lower() != parts.netloc:
        return "scheme and host in lower case"
    return None
