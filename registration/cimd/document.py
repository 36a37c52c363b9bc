"""The fetched Client ID Metadata Document (draft -01 §4.1): its own rules, then the tolerances
that make real clients' documents acceptable, then it is plain RFC 7591 metadata for the same
validator and policy as a registration (registration/validation.py).

Pure Python: body in, the metadata to validate out, or :class:`CIMDRefused` naming the rule.
Each tolerance is listed in docs/cimd.md; none of them admits what a rule of the draft refuses.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from registration.strict_json import StrictJSONError, loads_strict

from .errors import CIMDRefused

RULE = "cimd.document"
# §4.1: "the token_endpoint_auth_method property MUST NOT include client_secret_post,
# client_secret_basic, client_secret_jwt, or any other method based around a shared symmetric
# secret". Besides these three, any other client_secret* name is refused as well.
SHARED_SECRET_METHODS = frozenset(
    {"client_secret_basic", "client_secret_post", "client_secret_jwt"}
)
# §4.1: "the client_secret and client_secret_expires_at properties MUST NOT be used".
FORBIDDEN_PROPERTIES = ("client_secret", "client_secret_expires_at")
# Tolerance: a document without token_endpoint_auth_method is a public client. RFC 7591's own
# default, client_secret_basic, is one §4.1 forbids, so it cannot be what the client meant.
DEFAULT_AUTH_METHOD = "none"
# Grants only a confidential client may use (RFC 6749 §4.4): dropped from a public client's list.
CONFIDENTIAL_GRANT_TYPES = frozenset({"client_credentials"})


def _refuse(message: str, section: str = "§4.1") -> CIMDRefused:
    return CIMDRefused(
        f"client metadata document: {message} "
        f"(draft-ietf-oauth-client-id-metadata-document {section})",
        rule=RULE,
    )


def _is_json_media_type(media_type: str) -> bool:
    # §4.1: JSON, as application/json or "application/<AS-defined>+json".
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def parse_document(*, body: bytes, media_type: str, url: str) -> dict[str, Any]:
    """The document's JSON object after the draft's rules (no tolerance applied yet)."""
    if not _is_json_media_type(media_type):
        raise _refuse(f"served as {media_type[:60] or 'no media type'!r}, not application/json")
    try:
        document = loads_strict(body)
    except StrictJSONError as exc:
        raise _refuse(f"not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise _refuse("must be a JSON object")
    # §4.1: "MUST contain a client_id property whose value MUST match the URL of the document
    # using simple string comparison" (RFC 3986 §6.2.1): no normalization on either side.
    client_id = document.get("client_id")
    if not isinstance(client_id, str):
        raise _refuse("must contain client_id, the URL of the document")
    if client_id != url:
        raise _refuse("its client_id is not the URL it was fetched from")
    for name in FORBIDDEN_PROPERTIES:
        if name in document:
            raise _refuse(f"{name} must not be used")  # §4.1, present at all (even null)
    method = document.get("token_endpoint_auth_method", DEFAULT_AUTH_METHOD)
    if isinstance(method, str) and (
        method in SHARED_SECRET_METHODS or method.startswith("client_secret")
    ):
        raise _refuse(
            f"token_endpoint_auth_method {method[:40]!r} is based on a shared secret, which a "
            "metadata document cannot establish (use none, or private_key_jwt with jwks or jwks_uri)"
        )
    # The contract and §4.5: the document is how redirect URIs get registered (RFC 9700 §2.1
    # requires registered redirect URIs), so it must name at least one.
    redirect_uris = document.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris:
        raise _refuse("redirect_uris is required (a non-empty array)", "§4.5")
    return document


def _supported_only(values: list[Any], supported: Collection[str]) -> list[Any]:
    """Drop values this server does not offer, unless that would leave none: then the list is
    kept whole, so the validator refuses it naming the unsupported value."""
    kept = [value for value in values if isinstance(value, str) and value in supported]
    return kept if kept else values


def tolerate(
    document: dict[str, Any],
    *,
    grant_types_supported: Collection[str],
    response_types_supported: Collection[str],
    scopes_offered: Collection[str],
) -> dict[str, Any]:
    """The document as RFC 7591 metadata, with what real clients send made acceptable.

    - ``token_endpoint_auth_method`` absent: ``none`` (see DEFAULT_AUTH_METHOD).
    - ``grant_types`` / ``response_types`` this server does not offer are dropped rather than
      refused (VS Code lists ``urn:ietf:params:oauth:grant-type:device_code``, others list
      jwt-bearer or ``implicit``): a document is written once for every server and cannot be
      tailored to this one. What remains still goes through the validator and the workspace's
      policy (``grant_types.allow`` still refuses).
    - ``client_credentials`` is dropped from a public client's list (RFC 6749 §4.4 allows it only
      to confidential clients; a document sometimes lists every grant its platform knows).
    - ``scope`` absent: every scope the workspace offers (then narrowed by the policy's
      ``scopes.allow``). MCP clients publish no scope and request what the resource's metadata
      names (RFC 9728 ``scopes_supported``); the user still consents to each requested scope.
      RFC 7591 §2 lets the server choose the default for an omitted ``scope``.
    - ``client_id`` and members no registry defines are ignored (§4.1: "MAY define additional
      properties"); the validator keeps only the metadata it knows.
    """
    metadata = {name: value for name, value in document.items() if name != "client_id"}
    method = metadata.get("token_endpoint_auth_method")
    if method is None:
        metadata["token_endpoint_auth_method"] = method = DEFAULT_AUTH_METHOD
    grant_types = metadata.get("grant_types")
    if isinstance(grant_types, list):
        if method == "none":
            public = [value for value in grant_types if value not in CONFIDENTIAL_GRANT_TYPES]
            grant_types = public or grant_types
        metadata["grant_types"] = _supported_only(grant_types, grant_types_supported)
    if metadata.get("scope") is None and scopes_offered:
        metadata["scope"] = " ".join(scopes_offered)
    response_types = metadata.get("response_types")
    if isinstance(response_types, list):
        metadata["response_types"] = _supported_only(response_types, response_types_supported)
    return metadata
