"""Secrets: generation, digests and encryption at rest.

- Identifiers and secrets come from :mod:`secrets` (CSPRNG).
- Bearer-style tokens (registration access tokens) are stored only as a SHA-256 digest: they are
  high-entropy random strings, so a fast digest is enough and lookups stay cheap.
- Client secrets must be readable again (RFC 7592 §2.1 returns them; ``client_secret_jwt`` uses
  them as an HMAC key), so they are encrypted with Fernet (AES-128-CBC + HMAC-SHA256).
  ``DCR_ENCRYPTION_KEYS`` lists the keys: the first encrypts, all decrypt (rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CLIENT_SECRET_BYTES = 32  # 43 URL-safe characters
TOKEN_BYTES = 32


class DecryptionError(Exception):
    """Stored ciphertext cannot be decrypted with any configured key."""


def new_client_id() -> str:
    """24 URL-safe characters (144 bits of randomness), never starting with ``-``: a leading dash
    reads as an option on a command line (``manage.py dcr show -x...`` failed for 1 id in 64)."""
    while True:
        client_id = secrets.token_urlsafe(18)
        if not client_id.startswith("-"):
            return client_id


def new_client_secret() -> str:
    return secrets.token_urlsafe(CLIENT_SECRET_BYTES)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The stored form of a bearer token: its SHA-256 digest, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def digests_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def _fernet_key(material: str) -> bytes:
    """Any key string becomes a Fernet key through SHA-256 (domain-separated)."""
    digest = hashlib.sha256(b"dcr-server/encryption-key/v1\x00" + material.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _key_materials() -> tuple[str, ...]:
    """The configured keys. Never derived from SECRET_KEY (changing that key must not make
    every stored secret unreadable); the settings refuse to start without them."""
    configured = tuple(getattr(settings, "DCR_ENCRYPTION_KEYS", ()) or ())
    if not configured:
        raise ImproperlyConfigured("DCR_ENCRYPTION_KEYS is empty: no key to encrypt secrets with")
    return configured


@lru_cache(maxsize=8)
def _multi_fernet(materials: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(material)) for material in materials])


def _cipher() -> MultiFernet:
    return _multi_fernet(_key_materials())


def encrypt(plaintext: str) -> str:
    return _cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    try:
        return _cipher().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("stored secret cannot be decrypted with DCR_ENCRYPTION_KEYS") from exc


def reencrypt(ciphertext: str) -> str:
    """Re-encrypt under the first key (``dcr rotate-keys``)."""
    try:
        return _cipher().rotate(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("stored secret cannot be decrypted with DCR_ENCRYPTION_KEYS") from exc
