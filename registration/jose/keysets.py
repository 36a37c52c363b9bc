"""Key sets that verify software statements and signed request bodies (RFC 7517).

A workspace configures a key set inline (a JWKS document) or by URI. Keys from a URI are cached
in Django's cache (shared through Redis when configured): a fresh copy for the ``Cache-Control``
lifetime and a stale copy for a week, so a JWKS URI outage does not stop registrations. A token
naming an unknown ``kid`` triggers at most one refetch per cooldown period, so a key rotation at
the issuer is picked up without a restart while a bogus ``kid`` never causes a fetch per request.

Key validation reuses ``registration.metadata.jwks`` (the validator of a client's ``jwks``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import jwt
from django.core.cache import cache

from operations import metrics
from registration import fetch
from registration.errors import RegistrationError
from registration.metadata.common import quote, type_name
from registration.metadata.jwks import key_can_sign_with, validate_jwk

from .errors import KeySetError, KeySetUnavailable

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
"""JWS algorithms a token may use (RFC 8725 §3.1: an explicit allow-list; no none, no HMAC)."""

MAX_KEYS = 50
EC_CURVES = frozenset({"P-256", "P-384", "P-521"})
OKP_CURVES = frozenset({"Ed25519", "Ed448"})
MAX_FILE_BYTES = 1024 * 1024

FETCH_TIMEOUT = 3.0  # seconds; a registration request waits for this at most
FETCH_MAX_BYTES = 65536
MIN_TTL = 60  # Cache-Control max-age is clamped to [MIN_TTL, MAX_TTL]
MAX_TTL = 24 * 3600
DEFAULT_TTL = 3600  # when the response carries no max-age
STALE_TTL = 7 * 24 * 3600  # an outage of the JWKS URI is bridged this long
REFETCH_COOLDOWN = 30  # at most one refetch for an unknown kid per namespace per this many seconds
FAILURE_TTL = 5  # with nothing cached, a failed fetch is remembered this long (no fetch storm)


def validate_public_jwks(document: object) -> dict[str, Any]:
    """A JWK Set (RFC 7517 §5) of 1 to 50 public RSA/EC/OKP keys with unique ``kid`` values.

    Returns ``{"keys": [...]}``; raises ``KeySetError`` with a one-line description.
    """
    if not isinstance(document, dict):
        raise KeySetError(f"a JWKS must be a JSON object, not {type_name(document)}")
    keys = document.get("keys")
    if not isinstance(keys, list):
        # RFC 7517 §5: a JWK Set has a "keys" member whose value is an array of JWKs.
        raise KeySetError(f"keys: must be an array of keys, not {type_name(keys)} (RFC 7517 §5)")
    if not 1 <= len(keys) <= MAX_KEYS:
        raise KeySetError(f"keys: must contain between 1 and {MAX_KEYS} keys, not {len(keys)}")
    seen_kids: set[str] = set()
    normalized = []
    for index, key in enumerate(keys):
        field = f"keys[{index}]"
        jwk = _validate_key(field, key)
        kid = jwk.get("kid")
        if isinstance(kid, str):
            if kid in seen_kids:
                # RFC 7517 §4.5: kid values distinguish the keys of a set.
                raise KeySetError(f"{field}.kid: duplicate kid {quote(kid)} (RFC 7517 §4.5)")
            seen_kids.add(kid)
        normalized.append(jwk)
    return {"keys": normalized}


def _validate_key(field: str, key: object) -> dict[str, Any]:
    """One public JWK, checked by the client-metadata validator plus the curves and ``alg``
    values a verification key may have."""
    probe = dict(key) if isinstance(key, dict) else key
    if isinstance(probe, dict):
        if probe.get("kty") == "OKP" and "alg" not in probe:
            # PyJWT infers an algorithm only for Ed25519; EdDSA also covers Ed448 (RFC 8037 §3.1).
            probe["alg"] = "EdDSA"
        if probe.get("use") == "enc" and probe.get("alg") not in ALLOWED_ALGORITHMS:
            # An encryption key (e.g. alg RSA-OAEP) is never used here; its material must still
            # load, but PyJWT cannot load a key under a JWE algorithm name.
            probe.pop("alg", None)
    try:
        validate_jwk(field, probe)
    except RegistrationError as exc:
        raise KeySetError(exc.description) from None
    assert isinstance(key, dict)  # validate_jwk refused anything else
    kty, crv, alg = key.get("kty"), key.get("crv"), key.get("alg")
    if kty == "EC" and crv not in EC_CURVES:
        # RFC 7518 §3.4: ES256/384/512 use P-256/384/521.
        raise KeySetError(f"{field}.crv: {quote(crv)} is not supported (use P-256, P-384 or P-521)")
    if kty == "OKP" and crv not in OKP_CURVES:
        # RFC 8037 §3.1: EdDSA signs with Ed25519 or Ed448.
        raise KeySetError(f"{field}.crv: {quote(crv)} is not supported (use Ed25519 or Ed448)")
    if alg is not None and key.get("use", "sig") == "sig":
        if alg not in ALLOWED_ALGORITHMS:
            allowed = ", ".join(ALLOWED_ALGORITHMS)
            raise KeySetError(f"{field}.alg: {quote(alg)} is not allowed (use one of {allowed})")
        if not key_can_sign_with(key, alg):
            # RFC 8725 §3.1: a key is bound to one algorithm family.
            raise KeySetError(f"{field}.alg: {quote(alg)} does not fit a {kty} key")
    return dict(key)


def describe_keys(jwks: dict[str, Any]) -> list[dict[str, str]]:
    """``[{"kid", "kty", "alg"}]`` of a key set ("" when absent), for display."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    described = []
    for key in keys if isinstance(keys, list) else []:
        if isinstance(key, dict):
            described.append({name: _text(key.get(name)) for name in ("kid", "kty", "alg")})
    return described


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def load_jwks_file(path: str) -> dict[str, Any]:
    """Read, parse and validate a JWKS file (a single JWK object is wrapped into a set)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise KeySetError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise KeySetError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise KeySetError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise KeySetError(f"{path}: not valid JSON ({exc.msg} at {where})") from None
    except RecursionError:
        raise KeySetError(f"{path}: JSON nested too deeply") from None
    if isinstance(document, dict) and "keys" not in document and "kty" in document:
        document = {"keys": [document]}  # a single JWK (RFC 7517 §4)
    try:
        return validate_public_jwks(document)
    except KeySetError as exc:
        raise KeySetError(f"{path}: {exc}") from None


class _TolerantCache:
    """Django's cache, but a cache outage (Redis down) degrades to "nothing cached"
    instead of failing verification: the URI is then fetched directly (bounded by its timeout)."""

    _warned = False

    def _call(self, default: Any, method: str, *args: Any) -> Any:
        try:
            return getattr(cache, method)(*args)
        except Exception as exc:
            if not _TolerantCache._warned:
                _TolerantCache._warned = True
                logger.warning("JWKS cache unavailable, fetching directly: %s", type(exc).__name__)
            return default

    def get(self, key: str) -> Any:
        return self._call(None, "get", key)

    def add(self, key: str, value: Any, timeout: int) -> bool:
        return bool(self._call(True, "add", key, value, timeout))

    def set(self, key: str, value: Any, timeout: int) -> None:
        self._call(None, "set", key, value, timeout)

    def delete(self, key: str) -> None:
        self._call(None, "delete", key)


_cache = _TolerantCache()


@dataclass(frozen=True)
class KeySet:
    """The keys that verify one kind of token of one workspace: inline, else from ``uri``."""

    inline: dict[str, Any] | None
    uri: str
    cache_namespace: str  # e.g. f"ws{workspace.pk}:software_statement"
    # A client-supplied jwks_uri (private_key_jwt), or one a tenant administrator set, is
    # fetched only over https from public addresses (RFC 7591 §5 SSRF); a URI the platform set
    # (the CLI, a superuser) is trusted as configured.
    public_only: bool = False

    def signing_keys(self, kid: str | None, *, refresh_on_miss: bool = True) -> list[jwt.PyJWK]:
        """The keys that may have signed a token with header ``kid`` (any key when None).

        A key matches when its ``kid`` equals the token's or it has no ``kid``; keys whose
        ``use`` is not ``sig`` are left out (RFC 7517 §4.2). The caller still checks that each
        key fits the token's ``alg``.
        """
        if self.inline:
            try:
                document = validate_public_jwks(self.inline)
            except KeySetError as exc:
                raise KeySetUnavailable(f"the configured JWKS is unusable: {exc}") from None
        elif self.uri:
            document = self._uri_document(kid, refresh_on_miss=refresh_on_miss)
        else:
            raise KeySetUnavailable("no JWKS or JWKS URI is configured")
        return [_load(key) for key in _matching(document, kid)]

    # -- the JWKS URI ---------------------------------------------------------------------------
    def _cache_key(self, kind: str) -> str:
        # The URI is part of the key: after an administrator changes it, the old keys are unused.
        digest = hashlib.sha256(self.uri.encode()).hexdigest()[:16]
        return f"dcr:jwks:v1:{self.cache_namespace}:{digest}:{kind}"

    def _uri_document(self, kid: str | None, *, refresh_on_miss: bool) -> dict[str, Any]:
        fresh = _cache.get(self._cache_key("fresh"))
        if not isinstance(fresh, dict):
            return self._refresh()
        if (
            kid is not None
            and refresh_on_miss
            and not _has_kid(fresh, kid)
            # cache.add is atomic (also on Redis): one refetch per cooldown across all processes.
            and _cache.add(self._cache_key("cooldown"), True, REFETCH_COOLDOWN)
        ):
            try:
                document = self._fetch_and_store()
            except (fetch.FetchError, KeySetError) as exc:
                logger.warning("JWKS refetch for %s failed: %s", self.cache_namespace, exc)
            else:
                self._lookup("fetched")
                return document
        self._lookup("cached")
        return fresh

    def _lookup(self, result: str) -> None:
        metrics.keyset_lookup(cache_namespace=self.cache_namespace, result=result)

    def _refresh(self) -> dict[str, Any]:
        """No fresh copy: fetch, else fall back to the stale copy, else give up."""
        failure = _cache.get(self._cache_key("failure"))
        if isinstance(failure, str):
            self._lookup("unavailable")
            raise KeySetUnavailable(failure)
        try:
            document = self._fetch_and_store()
        except (fetch.FetchError, KeySetError) as exc:
            logger.warning("JWKS fetch for %s failed: %s", self.cache_namespace, exc)
            stale = _cache.get(self._cache_key("stale"))
            if isinstance(stale, dict):
                # Serve the last good keys and retry the URI after MIN_TTL, not on every request.
                _cache.set(self._cache_key("fresh"), stale, MIN_TTL)
                self._lookup("stale")
                return stale
            message = f"the JWKS URI {self.uri} could not be fetched: {exc}"
            _cache.set(self._cache_key("failure"), message, FAILURE_TTL)
            self._lookup("unavailable")
            raise KeySetUnavailable(message) from None
        self._lookup("fetched")
        return document

    def _fetch_and_store(self) -> dict[str, Any]:
        try:
            jwks, ttl = self._fetch()
        except (fetch.FetchError, KeySetError):
            metrics.keyset_fetch(cache_namespace=self.cache_namespace, ok=False)
            raise
        metrics.keyset_fetch(cache_namespace=self.cache_namespace, ok=True)
        _cache.set(self._cache_key("fresh"), jwks, ttl)
        _cache.set(self._cache_key("stale"), jwks, STALE_TTL)
        _cache.delete(self._cache_key("failure"))
        return jwks

    def _fetch(self) -> tuple[dict[str, Any], int]:
        """The validated key set at the URI and how long it stays fresh."""
        fetcher = fetch.fetch_client_url if self.public_only else fetch.fetch_trusted_url
        result = fetcher(self.uri, max_bytes=FETCH_MAX_BYTES, timeout=FETCH_TIMEOUT)
        try:
            document = json.loads(result.body)
        except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError
            raise KeySetError("the response is not a JSON document") from None
        jwks = validate_public_jwks(document)
        ttl = DEFAULT_TTL if result.max_age is None else min(max(result.max_age, MIN_TTL), MAX_TTL)
        return jwks, ttl


def _has_kid(document: dict[str, Any], kid: str) -> bool:
    return any(isinstance(key, dict) and key.get("kid") == kid for key in document.get("keys", []))


def _matching(document: dict[str, Any], kid: str | None) -> list[dict[str, Any]]:
    matching = []
    for key in document.get("keys", []):
        if not isinstance(key, dict) or key.get("use", "sig") != "sig":
            continue  # RFC 7517 §4.2: an encryption key never verifies a signature
        if kid is None or key.get("kid") in (None, kid):
            matching.append(key)
    return matching


def _load(key: dict[str, Any]) -> jwt.PyJWK:
    # PyJWT infers EdDSA only for Ed25519 keys; Ed448 keys without alg need it named.
    algorithm = "EdDSA" if key.get("kty") == "OKP" and "alg" not in key else None
    return jwt.PyJWK(key, algorithm=algorithm)


def jwk_members(key: jwt.PyJWK) -> dict[str, Any]:
    """The JWK members a ``PyJWK`` was built from (PyJWT keeps them without a public accessor)."""
    members: dict[str, Any] = key._jwk_data
    return members
