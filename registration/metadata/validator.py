"""``validate_client_metadata``: types first, then each field, then cross-field consistency."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from registration.errors import InvalidRedirectURI

from . import fields, oidc, uris
from .capabilities import ServerCapabilities
from .common import (
    clip,
    fail,
    require_bool,
    require_int,
    require_object,
    require_string,
    require_string_list,
    type_name,
)
from .jwks import key_can_sign_with, validate_jwks
from .langtags import TAGGABLE_FIELDS, split_tagged_key, validate_language_tag

_STRING_FIELDS = (
    "application_type",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "scope",
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "software_id",
    "software_version",
    "subject_type",
    "sector_identifier_uri",
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "request_object_signing_alg",
    "initiate_login_uri",
)
_LIST_FIELDS = (
    "grant_types",
    "response_types",
    "redirect_uris",
    "post_logout_redirect_uris",
    "contacts",
    "default_acr_values",
    "request_uris",
)
_TYPE_CHECKS: dict[str, Callable[[str, object], object]] = {
    **dict.fromkeys(_STRING_FIELDS, require_string),
    **dict.fromkeys(_LIST_FIELDS, require_string_list),
    "jwks": require_object,
    "require_auth_time": require_bool,
    "default_max_age": require_int,
    **dict.fromkeys(oidc.UNSUPPORTED_ENCRYPTION_FIELDS, require_string),
}
"""Every recognized field and its JSON type check (run before any per-field rule)."""

_SIMPLE_FIELDS: dict[str, Callable[[object], object]] = {
    "contacts": fields.validate_contacts,
    "software_id": fields.validate_software_id,
    "software_version": fields.validate_software_version,
    "subject_type": oidc.validate_subject_type,
    "sector_identifier_uri": uris.validate_sector_identifier_uri,
    "userinfo_signed_response_alg": oidc.validate_userinfo_signed_response_alg,
    "request_object_signing_alg": oidc.validate_request_object_signing_alg,
    "default_max_age": oidc.validate_default_max_age,
    "require_auth_time": oidc.validate_require_auth_time,
    "default_acr_values": oidc.validate_default_acr_values,
    "initiate_login_uri": uris.validate_initiate_login_uri,
    "request_uris": uris.validate_request_uris,
}
"""Fields whose rule needs nothing but their own value."""

_TAGGABLE_VALIDATORS: dict[str, Callable[[object, str], str]] = {
    "client_name": fields.validate_client_name,
    "client_uri": uris.validate_client_uri,
    "logo_uri": uris.validate_logo_uri,
    "tos_uri": uris.validate_tos_uri,
    "policy_uri": uris.validate_policy_uri,
}

_OPTIONAL_LISTS = ("redirect_uris", "post_logout_redirect_uris", "default_acr_values")
"""Optional arrays that are left out of the result when empty."""


def validate_client_metadata(
    raw: Mapping[str, object], *, capabilities: ServerCapabilities
) -> dict[str, Any]:
    """Validate and normalize client metadata (RFC 7591 §2, OIDC Dynamic Registration 1.0 §2).

    Returns only recognized fields, normalized, with defaults filled in and absent optional
    values omitted.  A JSON ``null`` is treated as an absent field.  Raises
    ``InvalidRedirectURI`` for bad redirection URIs and ``InvalidClientMetadata`` otherwise.
    """
    if not isinstance(raw, Mapping):
        fail("metadata", f"must be a JSON object, not {type_name(raw)}", "RFC 7591 §3.1")
    _refuse_redirect_typo(raw)
    present = {name: raw[name] for name in _TYPE_CHECKS if raw.get(name) is not None}
    tagged = _tagged_fields(raw)
    # 1. JSON types of every recognized field, in a fixed order.
    for name, value in present.items():
        _TYPE_CHECKS[name](name, value)
    for key, _base, value in tagged:
        require_string(clip(key, 60), value)
    # 2. Per-field rules.
    result = _validate_fields(present, tagged, capabilities)
    # 3. Cross-field consistency.
    _check_consistency(result, capabilities)
    return _in_canonical_order(result)


_RESULT_ORDER = (
    "application_type",
    "grant_types",
    "response_types",
    "redirect_uris",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "scope",
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "contacts",
    "jwks_uri",
    "jwks",
    "software_id",
    "software_version",
)


def _in_canonical_order(result: dict[str, Any]) -> dict[str, Any]:
    """Stable key order: the main RFC 7591 fields first, then the rest alphabetically."""

    def sort_key(key: str) -> tuple[int, str]:
        base = key.split("#", 1)[0]
        rank = _RESULT_ORDER.index(base) if base in _RESULT_ORDER else len(_RESULT_ORDER)
        return rank, key

    return {key: result[key] for key in sorted(result, key=sort_key)}


def _refuse_redirect_typo(raw: Mapping[str, object]) -> None:
    """RFC 7591 §2 ignores unknown fields, but a misspelt redirect_uris would silently
    register a client that cannot complete any redirect flow."""
    if raw.get("redirect_uris") is not None:
        return
    for typo in ("redirect_url", "redirect_uri", "redirect_urls"):
        if typo in raw:
            fail("redirect_uris", f"unknown field {typo}: did you mean redirect_uris?")


def _tagged_fields(raw: Mapping[str, object]) -> list[tuple[str, str, object]]:
    """``(key, base, value)`` for every ``<taggable field>#<tag>`` key (RFC 7591 §2.2)."""
    tagged = []
    seen: set[str] = set()
    for key in sorted(k for k in raw if isinstance(k, str)):
        split = split_tagged_key(key)
        if split is None or split[0] not in TAGGABLE_FIELDS or raw[key] is None:
            continue
        base, tag = split
        validate_language_tag(base, tag)
        if f"{base}#{tag.lower()}" in seen:
            # RFC 5646 §2.1.1: tags are case-insensitive, so these two keys collide.
            msg = "duplicate language tag (tags are case-insensitive)"
            fail(f"{base}#{clip(tag, 40)}", msg, "RFC 5646 §2.1.1")
        seen.add(f"{base}#{tag.lower()}")
        tagged.append((key, base, raw[key]))
    return tagged


def _validate_fields(
    present: dict[str, object],
    tagged: list[tuple[str, str, object]],
    capabilities: ServerCapabilities,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    application_type = oidc.validate_application_type(
        present.get("application_type", oidc.DEFAULT_APPLICATION_TYPE)
    )
    # RFC 7591 §2 default, checked against what this server offers like a sent value.
    grant_types = fields.validate_grant_types(
        present.get("grant_types", list(fields.DEFAULT_GRANT_TYPES)), capabilities
    )
    result["grant_types"] = grant_types
    if "response_types" in present:
        result["response_types"] = fields.validate_response_types(
            present["response_types"], capabilities
        )
    if "redirect_uris" in present:
        result["redirect_uris"] = uris.validate_redirect_uris(
            present["redirect_uris"], application_type=application_type
        )
    if "post_logout_redirect_uris" in present:
        result["post_logout_redirect_uris"] = uris.validate_post_logout_redirect_uris(
            present["post_logout_redirect_uris"], application_type=application_type
        )
    result["token_endpoint_auth_method"] = _auth_method(present, capabilities)
    if "token_endpoint_auth_signing_alg" in present:
        result["token_endpoint_auth_signing_alg"] = fields.validate_token_endpoint_auth_signing_alg(
            present["token_endpoint_auth_signing_alg"], capabilities
        )
    if "jwks" in present:
        result["jwks"] = validate_jwks(present["jwks"])
    if "jwks_uri" in present:
        result["jwks_uri"] = uris.validate_jwks_uri(present["jwks_uri"])
    if "scope" in present:
        scope = fields.validate_scope(present["scope"], capabilities)
    else:
        scope = fields.default_scope(capabilities)
    if scope:
        result["scope"] = scope
    for name, validate in _TAGGABLE_VALIDATORS.items():
        if name in present:
            result[name] = validate(present[name], name)
    for key, base, value in tagged:
        result[key] = _TAGGABLE_VALIDATORS[base](value, key)
    for name, validate_simple in _SIMPLE_FIELDS.items():
        if name in present:
            result[name] = validate_simple(present[name])
    if "id_token_signed_response_alg" in present:
        result["id_token_signed_response_alg"] = oidc.validate_id_token_signed_response_alg(
            present["id_token_signed_response_alg"], capabilities
        )
    for name in oidc.UNSUPPORTED_ENCRYPTION_FIELDS:
        if name in present:
            oidc.refuse_encryption_field(name)
    result["application_type"] = application_type
    for name in _OPTIONAL_LISTS:
        if result.get(name) == []:
            del result[name]
    return result


def _auth_method(present: dict[str, object], capabilities: ServerCapabilities) -> str:
    if "token_endpoint_auth_method" in present:
        return fields.validate_token_endpoint_auth_method(
            present["token_endpoint_auth_method"], capabilities
        )
    if fields.DEFAULT_AUTH_METHOD not in capabilities.token_endpoint_auth_methods_supported:
        msg = f"is required: this server does not support the default {fields.DEFAULT_AUTH_METHOD}"
        fail("token_endpoint_auth_method", msg, "RFC 7591 §2")
    return fields.DEFAULT_AUTH_METHOD


def _check_consistency(result: dict[str, Any], capabilities: ServerCapabilities) -> None:
    grant_types: list[str] = result["grant_types"]
    if "response_types" not in result:
        defaults = fields.default_response_types(grant_types)
        # RFC 7591 §2 default, checked against what this server offers like a sent value.
        result["response_types"] = (
            fields.validate_response_types(defaults, capabilities) if defaults else []
        )
    fields.check_grant_and_response_types(grant_types, result["response_types"])
    _check_redirect_uris(result, grant_types)
    _check_keys_and_auth_method(result, grant_types)


def _check_redirect_uris(result: dict[str, Any], grant_types: list[str]) -> None:
    redirect_uris: list[str] = result.get("redirect_uris", [])
    redirect_grants = sorted(fields.REDIRECT_GRANT_TYPES & set(grant_types))
    if redirect_grants and not redirect_uris:
        # RFC 7591 §2 / RFC 6749 §3.1.2.2: redirect-based flows need registered redirect URIs.
        msg = f"at least one redirect URI is required for the {redirect_grants[0]} grant type"
        fail("redirect_uris", msg, "RFC 7591 §2", error=InvalidRedirectURI)
    if "implicit" in grant_types and result["application_type"] == "web":
        for index, uri in enumerate(redirect_uris):
            if uris.parse_uri("redirect_uris", uri).scheme != "https":
                # OIDC Registration §2: web clients using the implicit grant MUST only register
                # https redirect URIs.
                msg = "web clients using the implicit grant must use https"
                fail(
                    f"redirect_uris[{index}]",
                    msg,
                    "OIDC Registration §2",
                    error=InvalidRedirectURI,
                )
            if uris.parse_uri("redirect_uris", uri).host == "localhost":
                # OIDC Registration §2: web clients using the implicit grant MUST NOT use
                # localhost as the hostname.
                msg = "web clients using the implicit grant must not use localhost"
                fail(
                    f"redirect_uris[{index}]",
                    msg,
                    "OIDC Registration §2",
                    error=InvalidRedirectURI,
                )


def _check_keys_and_auth_method(result: dict[str, Any], grant_types: list[str]) -> None:
    method: str = result["token_endpoint_auth_method"]
    if "jwks" in result and "jwks_uri" in result:
        # RFC 7591 §2: "The jwks_uri and jwks parameters MUST NOT both be present".
        fail("jwks", "jwks and jwks_uri must not both be present", "RFC 7591 §2")
    if method == "none" and "client_credentials" in grant_types:
        # RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential
        # clients", and auth method none registers a public client.
        msg = "a public client (token_endpoint_auth_method none) cannot use client_credentials"
        fail("grant_types", msg, "RFC 6749 §4.4")
    if method == "private_key_jwt" and "jwks" not in result and "jwks_uri" not in result:
        # RFC 7523 §2.2: the server needs the client's public key to verify its assertions.
        msg = "private_key_jwt requires jwks or jwks_uri"
        fail("token_endpoint_auth_method", msg, "RFC 7523 §2.2")
    alg: str | None = result.get("token_endpoint_auth_signing_alg")
    if alg is None:
        return
    field = "token_endpoint_auth_signing_alg"
    if method not in fields.JWT_AUTH_METHODS:
        # OIDC Registration §2 gives it a meaning only for the two JWT methods; other clients
        # (idpyoidc's defaults) send it anyway, so it is dropped rather than refused.
        del result[field]
        return
    symmetric = alg.startswith("HS")
    if method == "client_secret_jwt" and not symmetric:
        # RFC 7523 §2.2 / OIDC Core §9: client_secret_jwt is an HMAC over the client secret.
        fail(field, "client_secret_jwt requires an HMAC (HS*) algorithm", "OIDC Core §9")
    if method == "private_key_jwt" and symmetric:
        fail(field, "private_key_jwt requires an asymmetric algorithm", "OIDC Core §9")
    keys = result.get("jwks", {}).get("keys", [])
    if method == "private_key_jwt" and keys and not any(key_can_sign_with(k, alg) for k in keys):
        fail(field, f"no key in jwks can verify {alg} signatures", "RFC 7517 §4")
