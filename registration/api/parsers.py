"""Request body parsing that never fails with a 500, whatever the bytes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from registration.errors import RequestTooLarge
from registration.strict_json import StrictJSONError, loads_strict


class StrictJSONParser(BaseParser):
    """RFC 8259 JSON only (no NaN/Infinity), UTF-8, bounded size; the top level must be an object."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return loads_strict(_read_capped(stream))
        except StrictJSONError as exc:
            raise ParseError("The request body is not valid JSON.") from exc


def _read_capped(stream: IO[bytes] | None) -> bytes:
    limit: int = settings.DCR_MAX_BODY_BYTES
    raw = stream.read(limit + 1) if stream is not None else b""
    if len(raw) > limit:
        raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
    return raw


class JWTParser(BaseParser):
    """A signed request body: a compact JWS as text (verified later, against the workspace's keys)."""

    media_type = "application/jwt"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return _read_capped(stream).decode("ascii").strip()
        except UnicodeDecodeError:
            raise ParseError("The signed request body is not a compact JWS.") from None


class JOSEParser(JWTParser):
    """UK open-banking DCR sends signed bodies as application/jose."""

    media_type = "application/jose"
