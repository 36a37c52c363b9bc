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

# Characters that may never appear in a string shown to people (client_name, software ids,
# contacts): they render as nothing, or reorder or hide text, which is how a name such as
# "Google\u200b Accounts" or a right-to-left override is made to look like another one.
# By category: Cc controls, Cf format (zero-width space and joiners, bidirectional marks,
# embeddings, overrides and isolates, soft hyphen, BOM, tag characters), Co private use (no
# agreed glyph), Cs surrogates, Cn unassigned, Zl/Zp line and paragraph separators, and Zs
# spaces other than U+0020 (padding that hides the rest of a name).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Invisible characters of other categories: the combining grapheme joiner (Mn), Hangul fillers
# (Lo), Khmer inherent vowels (Mn) and the braille blank (So), all used as "empty" letters.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")


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


def unsafe_display_char(value: str) -> str | None:
    """The first character of ``value`` that must not be shown to people, or None."""
    for ch in value:
        category = unicodedata.category(ch)
        if category in _REFUSED_CATEGORIES or ch in _INVISIBLE or (category == "Zs" and ch != " "):
            return ch
    return None


def has_control_chars(value: str) -> bool:
    """True if ``value`` holds a control, format, invisible or separator character."""
    return unsafe_display_char(value) is not None


def require_displayable(field: str, value: str) -> str:
    """Refuse a human-readable value holding an invisible, format or control character,
    naming the field and the character (``U+200B``)."""
    ch = unsafe_display_char(value)
    if ch is not None:
        name = unicodedata.name(ch, "unnamed")
        fail(
            field,
            f"must not contain invisible, format or control characters "
            f"(U+{ord(ch):04X} {name.lower()})",
        )
    return value


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
