"""Language-tagged human-readable fields (RFC 7591 §2.2) and BCP 47 well-formedness."""

from __future__ import annotations

import re

from .common import clip, fail, quote

TAGGABLE_FIELDS: frozenset[str] = frozenset(
    {"client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri"}
)
"""Human-readable fields that may carry a ``#language-tag`` suffix."""

MAX_TAG_LENGTH = 64

# RFC 5646 §2.1 ABNF, as one case-insensitive regular expression.
_LANGUAGE = r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"
_SCRIPT = r"(?:-[a-z]{4})"
_REGION = r"(?:-(?:[a-z]{2}|[0-9]{3}))"
_VARIANT = r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))"
_EXTENSION = r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)"
_PRIVATE_USE = r"(?:x(?:-[a-z0-9]{1,8})+)"
_GRANDFATHERED = (
    r"(?:en-gb-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:be-fr|be-nl|ch-de)|art-lojban|cel-gaulish|no-(?:bok|nyn)"
    r"|zh-(?:guoyu|hakka|min|min-nan|xiang))"
)
BCP47_RE = re.compile(
    rf"^(?:{_LANGUAGE}{_SCRIPT}?{_REGION}?{_VARIANT}*{_EXTENSION}*(?:-{_PRIVATE_USE})?"
    rf"|{_PRIVATE_USE}|{_GRANDFATHERED})$",
    re.IGNORECASE,
)


def is_well_formed_language_tag(tag: str) -> bool:
    """RFC 5646 §2.2.9: a tag is well-formed if it conforms to the ABNF of §2.1."""
    return len(tag) <= MAX_TAG_LENGTH and tag.isascii() and BCP47_RE.match(tag) is not None


def split_tagged_key(key: str) -> tuple[str, str] | None:
    """``"client_name#ja-Jpan-JP"`` -> ``("client_name", "ja-Jpan-JP")``; None if untagged."""
    base, sep, tag = key.partition("#")
    if not sep:
        return None
    return base, tag


def validate_language_tag(base: str, tag: str) -> str:
    """RFC 7591 §2.2: "the language tag ... MUST be a BCP 47 [RFC5646] language tag"."""
    if not is_well_formed_language_tag(tag):
        # RFC 7591 §2.2: the tag after '#' is a BCP 47 language tag.
        msg = f"{quote(tag)} is not a well-formed BCP 47 language tag"
        fail(f"{base}#{clip(tag, 40)}", msg, "RFC 7591 §2.2")
    return tag
