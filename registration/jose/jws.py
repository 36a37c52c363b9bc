"""Verify a compact JWS signed by a key of a configured key set (RFC 7515, RFC 7519, RFC 8725).

The header is parsed and judged here before PyJWT sees the token: the size cap comes first, the
``alg`` allow-list is ours (RFC 8725 §3.1), keys come only from the key set (never from ``jwk``,
``jku``, ``x5u`` or ``x5c`` headers, RFC 8725 §3.10), and each candidate key must fit the
algorithm. PyJWT then checks the signature with ``algorithms=[alg]`` and an explicit key.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
from collections.abc import Collection, Sequence
from typing import Any

import jwt
from jwt.exceptions import InvalidKeyError, InvalidSignatureError, PyJWTError

from registration.metadata.common import quote
from registration.metadata.jwks import key_can_sign_with
from registration.strict_json import StrictJSONError, loads_strict

from .errors import (
    BadSignature,
    ExpiredToken,
    InvalidClaims,
    MalformedJWS,
    UnknownKey,
    UnsupportedAlgorithm,
)
from .keysets import ALLOWED_ALGORITHMS, KeySet, jwk_members

_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")
NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")
STRING_CLAIMS = ("iss", "sub", "jti")
MAX_NUMERIC_DATE = 253402300799  # 9999-12-31T23:59:59Z: later values cannot be datetimes

# Signature checks only; every claim is checked below, with this module's errors.
_PYJWS = jwt.PyJWS(options={"verify_signature": True})


def verify_jws(
    token: str | bytes,
    *,
    key_set: KeySet,
    leeway: int = 60,
    required_claims: Sequence[str] = (),
    audiences: Collection[str] | None = None,
    max_bytes: int = 32768,
    expected_typ: str | None = None,
) -> dict[str, Any]:
    """The claims of ``token`` once its signature and time claims are verified."""
    raw = _compact_bytes(token, max_bytes)
    header = _json_object(_split(raw), "header")
    alg = _check_header(header, expected_typ)
    kid = header.get("kid")
    payload_bytes = _verify_signature(raw, alg, key_set.signing_keys(kid), kid)
    claims = _decode_json_object(payload_bytes, "payload")
    _check_claims(claims, leeway=leeway, required=required_claims, audiences=audiences)
    return claims


# -- structure ------------------------------------------------------------------------------------
def _compact_bytes(token: str | bytes, max_bytes: int) -> bytes:
    if not isinstance(token, str | bytes):
        raise MalformedJWS("the JWS must be a string")
    # RFC 8725 §3.x (resource exhaustion): refuse oversized input before any parsing.
    if len(token) > max_bytes:
        raise MalformedJWS(f"the JWS is larger than {max_bytes} bytes")
    if isinstance(token, str):
        try:
            token = token.encode("ascii")
        except UnicodeEncodeError:
            raise MalformedJWS("the JWS contains non-ASCII characters") from None
    raw = token.strip()
    if raw.startswith(b"{"):
        # RFC 7515 §7.2 JSON serialization: not accepted; only the compact form (RFC 7515 §7.1).
        raise MalformedJWS("the JWS JSON serialization is not accepted; use the compact form")
    return raw


def _split(raw: bytes) -> bytes:
    """The encoded header of a well-formed compact JWS."""
    parts = raw.split(b".")
    if len(parts) == 5:
        raise MalformedJWS("the token is a JWE (5 parts); a signed compact JWS has 3")
    if len(parts) != 3:
        # RFC 7515 §7.1: header.payload.signature
        raise MalformedJWS(f"a compact JWS has 3 dot-separated parts, not {len(parts)}")
    for part in parts:
        if not _BASE64URL.fullmatch(part):
            # RFC 7515 §2: base64url without padding, no other characters.
            raise MalformedJWS("a JWS part is not base64url-encoded")
    if not parts[0]:
        raise MalformedJWS("the JWS header is empty")
    return parts[0]


def _b64decode(part: bytes) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise MalformedJWS("a JWS part is not base64url-encoded") from None


def _json_object(part: bytes, what: str) -> dict[str, Any]:
    return _decode_json_object(_b64decode(part), what)


def _decode_json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        # RFC 7515 §5.2 / RFC 7519 §7.2: duplicate member names are refused, not guessed; claims
        # end up in stored metadata, so they meet the same strict JSON as a request body.
        value = loads_strict(data)
    except StrictJSONError as exc:
        raise MalformedJWS(f"the JWS {what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        # RFC 7515 §4 (header) / RFC 7519 §7.2 (claims): a JSON object.
        raise MalformedJWS(f"the JWS {what} is not a JSON object")
    return value


def _check_header(header: dict[str, Any], expected_typ: str | None) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str):
        # RFC 7515 §4.1.1: "alg" MUST be present.
        raise MalformedJWS("the JWS header has no alg")
    if alg not in ALLOWED_ALGORITHMS:
        # RFC 8725 §3.1/§3.2: an explicit allow-list; "none" and HMAC never verify here.
        raise UnsupportedAlgorithm(
            f"alg {quote(alg)} is not accepted (use one of {', '.join(ALLOWED_ALGORITHMS)})"
        )
    if "crit" in header:
        # RFC 7515 §4.1.11: a recipient MUST reject critical extensions it does not understand.
        raise MalformedJWS("the crit header parameter is not supported (RFC 7515 §4.1.11)")
    if header.get("b64", True) is not True:
        # RFC 7797 unencoded payloads are only valid with crit, which is refused above.
        raise MalformedJWS("the b64 header parameter is not supported")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise MalformedJWS("the kid header parameter must be a string (RFC 7515 §4.1.4)")
    if expected_typ is not None:
        # RFC 8725 §3.11 explicit typing; RFC 7515 §4.1.9: "application/" may be omitted.
        typ = header.get("typ")
        if not isinstance(typ, str) or _media_type(typ) != _media_type(expected_typ):
            raise InvalidClaims(f"the typ header parameter must be {expected_typ}")
    # jwk, jku, x5u and x5c are deliberately ignored: keys come only from the key set
    # (RFC 8725 §3.10, RFC 7515 §10.3).
    return alg


def _media_type(typ: str) -> str:
    typ = typ.lower()
    return typ if "/" in typ else f"application/{typ}"


# -- signature ------------------------------------------------------------------------------------
def _verify_signature(raw: bytes, alg: str, keys: list[jwt.PyJWK], kid: str | None) -> bytes:
    # RFC 8725 §3.1: a key verifies only the algorithm family of its kty (and curve), and only
    # its own "alg" when the JWK names one (RFC 7517 §4.4).
    candidates = [key for key in keys if key_can_sign_with(jwk_members(key), alg)]
    if not candidates:
        named = f" with kid {quote(kid)}" if kid is not None else ""
        raise UnknownKey(f"no key{named} of the configured key set verifies alg {alg}")
    for key in candidates:
        try:
            # The raw key object, not the PyJWK: PyJWT would otherwise bind the key's inferred
            # alg (an RSA JWK without alg means RS256 to PyJWT, but also verifies PS256).
            decoded = _PYJWS.decode_complete(raw, key=key.key, algorithms=[alg])
        except (InvalidSignatureError, InvalidKeyError):
            continue
        except PyJWTError:
            raise MalformedJWS("the JWS cannot be decoded") from None
        payload: bytes = decoded["payload"]
        return payload
    raise BadSignature("the JWS signature does not verify with the configured keys")


# -- claims ---------------------------------------------------------------------------------------
def _check_claims(
    claims: dict[str, Any],
    *,
    leeway: int,
    required: Sequence[str],
    audiences: Collection[str] | None,
) -> None:
    for name in required:
        if name not in claims:
            raise InvalidClaims(f"the {name} claim is required")
    for name in NUMERIC_DATE_CLAIMS:
        value = claims.get(name)
        if name in claims and not _is_numeric_date(value):
            # RFC 7519 §2: a NumericDate is a JSON numeric value (a boolean is not one).
            raise InvalidClaims(f"the {name} claim must be a NumericDate (seconds since 1970)")
    for name in STRING_CLAIMS:
        if name in claims and not isinstance(claims[name], str):
            # RFC 7519 §4.1.1, §4.1.2, §4.1.7: StringOrURI / case-sensitive string values.
            raise InvalidClaims(f"the {name} claim must be a string")
    now = time.time()
    if "exp" in claims and now >= claims["exp"] + leeway:
        # RFC 7519 §4.1.4: the current time MUST be before exp (some leeway for clock skew).
        raise ExpiredToken("the token has expired (exp)")
    if "nbf" in claims and now + leeway < claims["nbf"]:
        # RFC 7519 §4.1.5: MUST NOT be accepted before nbf.
        raise InvalidClaims("the token is not valid yet (nbf)")
    if "iat" in claims and claims["iat"] > now + leeway:
        # RFC 7519 §4.1.6: a token issued in the future is not plausible.
        raise InvalidClaims("the token was issued in the future (iat)")
    if audiences is not None and "aud" in claims:
        _check_audience(claims["aud"], audiences)


def _is_numeric_date(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and 0 <= value <= MAX_NUMERIC_DATE


def _check_audience(aud: object, audiences: Collection[str]) -> None:
    # RFC 7519 §4.1.3: a string or an array of strings; the recipient MUST identify itself in it.
    values = [aud] if isinstance(aud, str) else aud
    if not isinstance(values, list) or not all(isinstance(item, str) for item in values):
        raise InvalidClaims("the aud claim must be a string or an array of strings")
    if not any(item in audiences for item in values):
        raise InvalidClaims("the aud claim does not name this server (RFC 7519 §4.1.3)")
