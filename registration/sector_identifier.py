"""OpenID Connect Dynamic Client Registration 1.0 §5: the sector identifier document check.

Every unusable ``sector_identifier_uri`` gets the same error text (issue 14, finding 9): which
check failed (the host does not resolve, resolves to a private address, refuses the connection,
answers 404, is not a JSON array) would otherwise tell a caller about names and addresses it
cannot see itself (a DNS and network oracle). The reason is logged for the operator. Only a
document that was fetched (from a public address, over https) and parsed may say more: which
redirect URI it does not list is what the client must fix, and anyone can read that document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from registration.errors import InvalidClientMetadata
from registration.fetch import FetchError, fetch_client_url

logger = logging.getLogger(__name__)

_MAX_SHOWN = 100  # characters of a client-supplied value echoed in an error description

UNUSABLE = (
    "sector_identifier_uri is unusable: it must be a reachable https URL whose document is a "
    "JSON array listing every redirect URI (OpenID Connect Registration §5)"
)


def _shown(value: str) -> str:
    shown = "".join(ch if ch.isprintable() else "?" for ch in value[:_MAX_SHOWN])
    return shown + ("..." if len(value) > _MAX_SHOWN else "")


def _refuse(reason: str) -> InvalidClientMetadata:
    logger.info("sector_identifier_uri refused: %s", reason)
    return InvalidClientMetadata(UNUSABLE, rule="sector_identifier_uri")


def check_sector_identifier(*, uri: str, redirect_uris: Sequence[str]) -> None:
    """OIDC Registration §5: "The values registered in redirect_uris MUST be included in the
    elements of the array" found at ``sector_identifier_uri``, a JSON array of URLs fetched by the
    server (over https, as a client-supplied URL: RFC 7591 §5 SSRF rules apply)."""
    try:
        result = fetch_client_url(uri)
    except FetchError as exc:
        raise _refuse(f"could not be fetched: {exc}") from exc
    try:
        document = json.loads(result.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _refuse("not a JSON document") from exc
    # OIDC Registration §5: "a JSON file containing an array of redirect_uri values".
    if not isinstance(document, list) or not all(isinstance(item, str) for item in document):
        raise _refuse("not a JSON array of strings")
    listed = set(document)
    for redirect_uri in redirect_uris:
        # OIDC Registration §5: every registered redirect URI MUST be in the array (exact match).
        if redirect_uri not in listed:
            raise InvalidClientMetadata(
                f"sector_identifier_uri does not list the redirect URI {_shown(redirect_uri)}",
                rule="sector_identifier_uri",
            )
