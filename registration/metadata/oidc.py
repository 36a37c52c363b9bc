"""OpenID Connect Dynamic Client Registration 1.0 §2 fields."""

from __future__ import annotations

from .capabilities import ServerCapabilities
from .common import (
    dedupe,
    fail,
    has_control_chars,
    quote,
    require_bool,
    require_int,
    require_string,
    require_string_list,
)
from .fields import validate_jws_alg

APPLICATION_TYPES: tuple[str, ...] = ("web", "native")
DEFAULT_APPLICATION_TYPE = "web"
MAX_AGE_LIMIT = 2**31 - 1
MAX_ACR_VALUES = 50
UNSUPPORTED_ENCRYPTION_FIELDS: tuple[str, ...] = (
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "request_object_encryption_alg",
    "request_object_encryption_enc",
)
"""Encryption parameters this server does not implement: refused rather than ignored,
so a client never believes its tokens are encrypted when they are not."""


def validate_application_type(value: object) -> str:
    """OIDC Registration §2 application_type: "Kind of the application. The default, if
    omitted, is web. The defined values are native or web." """
    application_type = require_string("application_type", value, max_length=64)
    if application_type not in APPLICATION_TYPES:
        # OIDC Registration §2: the defined values are native or web.
        msg = f"{quote(application_type)} is not supported (use web or native)"
        fail("application_type", msg, "OIDC Registration §2")
    return application_type


def validate_subject_type(value: object) -> str:
    """OIDC Registration §2 subject_type: "subject_type requested for responses to this
    Client ... Valid types include pairwise and public."  Only public is offered here."""
    subject_type = require_string("subject_type", value, max_length=64)
    if subject_type == "pairwise":
        fail("subject_type", "pairwise subject identifiers are not supported by this server")
    if subject_type != "public":
        fail("subject_type", f"{quote(subject_type)} is not supported (use public)", "OIDC Core §8")
    return subject_type


def validate_id_token_signed_response_alg(value: object, capabilities: ServerCapabilities) -> str:
    """OIDC Registration §2 id_token_signed_response_alg: "JWS alg algorithm REQUIRED for
    signing the ID Token issued to this Client."  none is refused here."""
    field = "id_token_signed_response_alg"
    alg = validate_jws_alg(field, value)
    if alg not in capabilities.id_token_signing_algs_supported:
        supported = ", ".join(sorted(capabilities.id_token_signing_algs_supported))
        fail(field, f"{quote(alg)} is not supported (supported: {supported})")
    return alg


def validate_userinfo_signed_response_alg(value: object) -> str:
    """OIDC Registration §2 userinfo_signed_response_alg: "JWS alg algorithm REQUIRED for
    signing UserInfo Responses."  Any JWS algorithm name except none."""
    return validate_jws_alg("userinfo_signed_response_alg", value)


def validate_request_object_signing_alg(value: object) -> str:
    """OIDC Registration §2 request_object_signing_alg: "JWS alg algorithm that MUST be used
    for signing Request Objects sent to the OP."  Unsigned (none) request objects refused."""
    return validate_jws_alg("request_object_signing_alg", value)


def refuse_encryption_field(field: str) -> None:
    """OIDC Registration §2 *_encrypted_response_* / request_object_encryption_*: this server
    implements no JWE, so asking for encryption is refused instead of silently ignored."""
    fail(field, "encryption is not supported by this server; omit this field")


def validate_default_max_age(value: object) -> int:
    """OIDC Registration §2 default_max_age: "Default Maximum Authentication Age. Specifies
    that the End-User MUST be actively authenticated if ... longer ago than the specified
    number of seconds."  A non-negative integer (booleans are not integers)."""
    value = require_int("default_max_age", value)
    if not 0 <= value <= MAX_AGE_LIMIT:
        fail("default_max_age", f"must be between 0 and {MAX_AGE_LIMIT} seconds")
    return value


def validate_require_auth_time(value: object) -> bool:
    """OIDC Registration §2 require_auth_time: "Boolean value specifying whether the
    auth_time Claim in the ID Token is REQUIRED." """
    return require_bool("require_auth_time", value)


def validate_default_acr_values(value: object) -> list[str]:
    """OIDC Registration §2 default_acr_values: "Default requested Authentication Context
    Class Reference values. Array of strings"."""
    items = require_string_list("default_acr_values", value, max_items=MAX_ACR_VALUES)
    for index, item in enumerate(items):
        field = f"default_acr_values[{index}]"
        require_string(field, item)
        if has_control_chars(item) or any(ch.isspace() for ch in item):
            # OIDC Core §3.1.2.1: acr_values is space-separated, so a value holds no spaces.
            fail(field, "must not contain whitespace or control characters", "OIDC Core §3.1.2.1")
    return dedupe(items)
