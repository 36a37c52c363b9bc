"""Request body parsing that never fails with a 500, whatever the bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from registration.errors import InvalidClientMetadata, RequestTooLarge


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(BaseParser):
    """RFC 8259 JSON only (no NaN/Infinity), UTF-8, bounded size; the top level must be an object."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit: int = settings.DCR_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ParseError("The request body is not valid JSON.") from exc
        return data


def require_json_object(data: Any) -> dict[str, Any]:
    """RFC 7591 §3.1: the client metadata is a JSON object."""
    if not isinstance(data, dict):
        raise InvalidClientMetadata("The request body must be a JSON object of client metadata.")
    return data
