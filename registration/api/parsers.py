"""Request body parsing that never fails with a 500, whatever the bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from registration.errors import RequestTooLarge


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """RFC 8259 §4: names SHOULD be unique. A duplicate is refused rather than "last one wins",
    so a proxy or firewall that keeps the first one can never judge a different body."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name[:60]!r}")
        result[name] = value
    return result


class StrictJSONParser(BaseParser):
    """RFC 8259 JSON only (no NaN/Infinity), UTF-8, bounded size; the top level must be an object."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw = _read_capped(stream)
        try:
            data = json.loads(
                raw.decode("utf-8"),
                parse_constant=_reject_constant,
                object_pairs_hook=_refuse_duplicate_keys,
            )
            # A lone surrogate escape ("\ud800") decodes but is not Unicode text: refuse it here
            # rather than fail when it is stored.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeError, ValueError, RecursionError) as exc:
            raise ParseError("The request body is not valid JSON.") from exc
        return data


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
