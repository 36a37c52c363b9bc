"""Errors of the JOSE layer.

``KeySetError`` is a configuration problem (an administrator's key set is unusable); the
``JOSEError`` family describes why a presented token was refused. Every message is one line and
safe to show to the client: attacker-controlled values are clipped before they are quoted.
"""

from __future__ import annotations


class KeySetError(ValueError):
    """A configured key set (JWKS document, file or URI content) is unusable."""


class JOSEError(Exception):
    """A presented JWS is not acceptable; ``str()`` is a safe one-line description."""


class MalformedJWS(JOSEError):
    """Not a compact JWS with JSON-object header and payload (RFC 7515 §7.1)."""


class UnsupportedAlgorithm(JOSEError):
    """The ``alg`` header is not on the allow-list (RFC 8725 §3.1, §3.2)."""


class UnknownKey(JOSEError):
    """No key of the configured key set can verify this token (RFC 7515 §4.1.4)."""


class BadSignature(JOSEError):
    """No candidate key verifies the signature (RFC 7515 §5.2)."""


class ExpiredToken(JOSEError):
    """The ``exp`` claim is in the past (RFC 7519 §4.1.4)."""


class InvalidClaims(JOSEError):
    """A claim or header parameter is missing, of the wrong type or not acceptable."""


class KeySetUnavailable(JOSEError):
    """The key set cannot be obtained: its JWKS URI is unreachable and nothing is cached."""
