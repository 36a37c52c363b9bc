"""One strict JSON reader for everything a client sends: request bodies and JWS parts.

RFC 8259 only: no NaN/Infinity (§6), no duplicate member names (§4: SHOULD be unique; refused so
that no proxy or firewall that keeps the first can judge a different document), and text that is
Unicode (§8.2: a lone surrogate escape such as "\\ud800" decodes but cannot be stored).
Pure Python; every problem is a ValueError whose message is safe to show.
"""

from __future__ import annotations

import json
from typing import Any


class StrictJSONError(ValueError):
    """The text is not strict JSON; the message says why (no client input beyond 60 chars)."""


def _reject_constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not valid JSON")


def _refuse_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise StrictJSONError(f"duplicate member name {name[:60]!r}")
        result[name] = value
    return result


def loads_strict(data: bytes) -> Any:
    """Decode UTF-8 ``data`` as strict JSON; StrictJSONError on anything else."""
    try:
        value = json.loads(
            data.decode("utf-8"),
            parse_constant=_reject_constant,
            object_pairs_hook=_refuse_duplicate_members,
        )
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # lone surrogates fail here
    except StrictJSONError:
        raise
    except (UnicodeError, ValueError, RecursionError) as exc:
        raise StrictJSONError("not valid JSON") from exc
    return value
