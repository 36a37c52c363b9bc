"""The one parser of ``Authorization: Bearer`` headers (RFC 6750 §2.1)."""

from __future__ import annotations

MAX_TOKEN_LENGTH = 4096


def parse_bearer(header: str) -> str | None:
    """The token of a Bearer header, or None when the header is absent or malformed.

    The scheme is matched case-insensitively (RFC 7235 §2.1); the token is one b64token.
    """
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token


def offers_bearer(header: str) -> bool:
    """Whether the header tries the Bearer scheme at all (RFC 6750 §3.1 tells a request that
    does not from one whose token is bad)."""
    return header.strip().partition(" ")[0].lower() == "bearer"
