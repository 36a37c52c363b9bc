"""Shared helpers: error construction, safe echoing of client input, JSON type checks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NoReturn

from registration.errors import InvalidClientMetadata, RegistrationError

MAX_STRING_LENGTH = 2000
"""Size sanity: no metadata string may be longer than this."""

ECHO_LIMIT = 60
"""At most this many characters of client input are ever quoted back in an error."""

# Characters that may never appear in a displayed string: C0/C1 controls, line/paragraph
# separators, and the bidirectional overrides/isolates used for display spoofing.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """Client input made safe to echo: at most ``limit`` characters, printable only."""
    safe = "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
    return safe + ("…" if len(text) > limit else "")


def quote(value: object) -> str:
    """Quote client input for an error description (see ``clip``)."""
    return f'"{clip(value if isinstance(value, str) else type_name(value))}"'


def type_name(value: object) -> str:
    """The JSON type name of a decoded JSON value (for type-error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def fail(
    field: str,
    message: str,
    ref: str | None = None,
    *,
    error: type[RegistrationError] = InvalidClientMetadata,
) -> NoReturn:
    """Raise ``error`` with a description of the form ``field: message (ref)``."""
    description = f"{field}: {message}"
    if ref:
        description = f"{description} ({ref})"
    raise error(description, rule=re.split(r"[\[#]", field, maxsplit=1)[0])


def has_control_chars(value: str) -> bool:
    """True if ``value`` holds a control, line-separator or bidi-override character."""
    return any(
        unicodedata.category(ch) in {"Cc", "Zl", "Zp"} or ch in _BIDI_CONTROLS for ch in value
    )


def require_string(
    field: str,
    value: object,
    *,
    max_length: int = MAX_STRING_LENGTH,
    allow_empty: bool = False,
) -> str:
    """Return ``value`` if it is a string of acceptable size, else refuse it."""
    if not isinstance(value, str):
        fail(field, f"must be a string, not {type_name(value)}")
    if not value and not allow_empty:
        fail(field, "must not be empty")
    if len(value) > max_length:
        fail(field, f"must be at most {max_length} characters")
    return value


def require_string_list(field: str, value: object, *, max_items: int | None = None) -> list[str]:
    """Return ``value`` if it is a JSON array of strings, else refuse it."""
    if not isinstance(value, list):
        fail(field, f"must be an array of strings, not {type_name(value)}")
    if max_items is not None and len(value) > max_items:
        fail(field, f"must have at most {max_items} entries")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            fail(f"{field}[{index}]", f"must be a string, not {type_name(item)}")
    return list(value)


def require_bool(field: str, value: object) -> bool:
    """Return ``value`` if it is a JSON boolean."""
    if not isinstance(value, bool):
        fail(field, f"must be a boolean, not {type_name(value)}")
    return value


def require_int(field: str, value: object) -> int:
    """Return ``value`` if it is a JSON integer (booleans are not integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        fail(field, f"must be an integer, not {type_name(value)}")
    return value


def require_object(field: str, value: object) -> dict[str, object]:
    """Return ``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        fail(field, f"must be an object, not {type_name(value)}")
    return value


def dedupe(values: Iterable[str]) -> list[str]:
    """Drop repeated values, keeping the first occurrence's position."""
    return list(dict.fromkeys(values))
