"""The DCR policy document (CONTRACT.md "The DCR policy document"): parse, validate, serialize.

Pure Python.  ``parse_policy`` is the enforcing validator (``schema.json`` documents the same
shape for users); ``policy_to_document`` turns a ``Policy`` back into the JSON object, so
``parse_policy(policy_to_document(p)) == p``.
"""

from __future__ import annotations

import ipaddress
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal, NoReturn, TypeVar

from registration.metadata.common import type_name

from .hosts import host_pattern_problem, normalize_host

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
OnViolation = Literal["narrow", "reject"]
ON_VIOLATION_VALUES: tuple[OnViolation, ...] = ("narrow", "reject")

METADATA_FIELDS: frozenset[str] = frozenset(
    {
        # RFC 7591 §2
        "redirect_uris",
        "token_endpoint_auth_method",
        "grant_types",
        "response_types",
        "client_name",
        "client_uri",
        "logo_uri",
        "scope",
        "contacts",
        "tos_uri",
        "policy_uri",
        "jwks_uri",
        "jwks",
        "software_id",
        "software_version",
        # OpenID Connect Dynamic Client Registration 1.0 §2, RP-Initiated Logout §3.1
        "application_type",
        "sector_identifier_uri",
        "subject_type",
        "id_token_signed_response_alg",
        "userinfo_signed_response_alg",
        "request_object_signing_alg",
        "token_endpoint_auth_signing_alg",
        "default_max_age",
        "require_auth_time",
        "default_acr_values",
        "initiate_login_uri",
        "request_uris",
        "post_logout_redirect_uris",
    }
)
"""Names ``required_fields`` may list: the metadata the validator keeps."""

TAGGABLE_FIELDS: frozenset[str] = frozenset(
    {"client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri"}
)
"""RFC 7591 §2.2: fields that may also be required in one language (``client_name#en``)."""

_SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")  # RFC 6749 §3.3 scope-token
_LANGUAGE_TAG_RE = re.compile(r"^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*$")  # RFC 5646 §2.1


class PolicyError(ValueError):
    """The policy document is malformed; ``str()`` starts with the offending key path."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


# ---------------------------------------------------------------------------------------------
# The typed policy


@dataclass(frozen=True)
class AllowRule:
    """``{"allow": [...]}``: any value outside ``allow`` is refused (None: no rule)."""

    allow: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ScopesRule:
    allow: tuple[str, ...] | None = None
    on_violation: OnViolation | None = None
    """None when absent from the document; the evaluator then narrows (the contract default)."""

    @property
    def effective_on_violation(self) -> OnViolation:
        return self.on_violation or "narrow"


@dataclass(frozen=True)
class RedirectUrisRule:
    allowed_hosts: tuple[str, ...] | None = None
    """Lower-cased host names and ``*.<host>`` wildcards."""
    require_https: bool | None = None
    allow_loopback: bool | None = None


@dataclass(frozen=True)
class ClientNameRule:
    max_length: int | None = None
    forbidden_words: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SoftwareStatementRule:
    allowed_issuers: tuple[str, ...] | None = None
    allowed_software_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RateLimit:
    """Parsed and exposed only: the caller enforces it (429 with ``Retry-After``)."""

    registrations_per_minute_per_ip: int | None = None
    registrations_per_minute: int | None = None


@dataclass(frozen=True)
class Policy:
    """One field per contract key, in the contract's order; None means the key is absent."""

    grant_types: AllowRule | None = None
    response_types: AllowRule | None = None
    token_endpoint_auth_methods: AllowRule | None = None
    scopes: ScopesRule | None = None
    redirect_uris: RedirectUrisRule | None = None
    uris_share_host_with_redirect_uris: bool | None = None
    required_fields: tuple[str, ...] | None = None
    client_name: ClientNameRule | None = None
    software_statement: SoftwareStatementRule | None = None
    source_ip_ranges: tuple[IPNetwork, ...] | None = None
    max_clients: int | None = None
    max_clients_per_software_id: int | None = None
    rate_limit: RateLimit | None = None
    hook: str | None = None


# ---------------------------------------------------------------------------------------------
# Value checks: each returns the parsed value or raises PolicyError naming ``path``


def _fail(path: str, message: str) -> NoReturn:
    raise PolicyError(path, message)


def _object(path: str, value: object, known: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(value, dict):
        _fail(path, f"must be an object, not {type_name(value)}")
    for key in value:
        if key not in known:
            name = key if isinstance(key, str) else repr(key)
            _fail(f"{path}.{name}", f"unknown key (known: {', '.join(known)})")
    return value


def _bool(path: str, value: object) -> bool:
    if not isinstance(value, bool):
        _fail(path, f"must be a boolean, not {type_name(value)}")
    return value


def _positive_int(path: str, value: object) -> int:
    # JSON true is not 1 here: ``isinstance(True, int)`` holds in Python, so test bool first.
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"must be a positive integer, not {type_name(value)}")
    if value < 1:
        _fail(path, "must be a positive integer (at least 1)")
    return value


def _string(path: str, value: object) -> str:
    if not isinstance(value, str):
        _fail(path, f"must be a string, not {type_name(value)}")
    if not value.strip():
        _fail(path, "must not be empty")
    if value != value.strip():
        _fail(path, "must not start or end with whitespace")
    return value


def _string_list(
    path: str, value: object, item: Callable[[str, str], str] | None = None
) -> tuple[str, ...]:
    """A JSON array of non-empty strings, each optionally checked further by ``item``."""
    if not isinstance(value, list):
        _fail(path, f"must be an array of strings, not {type_name(value)}")
    result = []
    for index, entry in enumerate(value):
        text = _string(f"{path}[{index}]", entry)
        result.append(item(f"{path}[{index}]", text) if item else text)
    return tuple(result)


def _allowed_host(path: str, text: str) -> str:
    problem = host_pattern_problem(text)
    if problem:
        _fail(path, problem)
    return normalize_host(text)


def _scope_token(path: str, text: str) -> str:
    if not _SCOPE_TOKEN_RE.match(text):
        _fail(path, "must be a single scope token (RFC 6749 §3.3), without spaces")
    return text


def _metadata_name(path: str, text: str) -> str:
    base, sep, tag = text.partition("#")
    if base not in METADATA_FIELDS:
        _fail(path, f"{text!r} is not a client metadata field")
    if sep and (base not in TAGGABLE_FIELDS or not _LANGUAGE_TAG_RE.match(tag)):
        _fail(path, f"{text!r}: only {', '.join(sorted(TAGGABLE_FIELDS))} take a #language tag")
    return text


def _network(path: str, text: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        _fail(path, f"{text!r} is not an IP network in CIDR notation (e.g. 203.0.113.0/24)")


def _dotted_path(path: str, value: object) -> str:
    text = _string(path, value)
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        _fail(path, 'must be a dotted Python path "package.module.callable"')
    return text


def _on_violation(path: str, value: object) -> OnViolation:
    for option in ON_VIOLATION_VALUES:
        if value == option:
            return option
    _fail(path, f"must be one of {', '.join(ON_VIOLATION_VALUES)}")


# ---------------------------------------------------------------------------------------------
# The document

_R = TypeVar("_R")
Parser = Callable[[str, object], object]


def _nested(path: str, value: object, cls: type[_R], parsers: dict[str, Parser]) -> _R:
    """An object whose keys are the fields of the frozen dataclass ``cls``."""
    body = _object(path, value, tuple(parsers))
    kwargs = {key: parsers[key](f"{path}.{key}", body[key]) for key in parsers if key in body}
    return cls(**kwargs)


def _allow_rule(path: str, value: object) -> AllowRule:
    return _nested(path, value, AllowRule, {"allow": _string_list})


def _scopes(path: str, value: object) -> ScopesRule:
    parsers: dict[str, Parser] = {
        "allow": lambda p, v: _string_list(p, v, _scope_token),
        "on_violation": _on_violation,
    }
    return _nested(path, value, ScopesRule, parsers)


def _redirect_uris(path: str, value: object) -> RedirectUrisRule:
    parsers: dict[str, Parser] = {
        "allowed_hosts": lambda p, v: _string_list(p, v, _allowed_host),
        "require_https": _bool,
        "allow_loopback": _bool,
    }
    return _nested(path, value, RedirectUrisRule, parsers)


def _required_fields(path: str, value: object) -> tuple[str, ...]:
    return _string_list(path, value, _metadata_name)


def _client_name(path: str, value: object) -> ClientNameRule:
    parsers: dict[str, Parser] = {"max_length": _positive_int, "forbidden_words": _string_list}
    return _nested(path, value, ClientNameRule, parsers)


def _software_statement(path: str, value: object) -> SoftwareStatementRule:
    parsers: dict[str, Parser] = {
        "allowed_issuers": _string_list,
        "allowed_software_ids": _string_list,
    }
    return _nested(path, value, SoftwareStatementRule, parsers)


def _source_ip_ranges(path: str, value: object) -> tuple[IPNetwork, ...]:
    texts = _string_list(path, value)
    return tuple(_network(f"{path}[{index}]", text) for index, text in enumerate(texts))


def _rate_limit(path: str, value: object) -> RateLimit:
    parsers: dict[str, Parser] = {
        "registrations_per_minute_per_ip": _positive_int,
        "registrations_per_minute": _positive_int,
    }
    return _nested(path, value, RateLimit, parsers)


_TOP_LEVEL: dict[str, Parser] = {
    "grant_types": _allow_rule,
    "response_types": _allow_rule,
    "token_endpoint_auth_methods": _allow_rule,
    "scopes": _scopes,
    "redirect_uris": _redirect_uris,
    "uris_share_host_with_redirect_uris": _bool,
    "required_fields": _required_fields,
    "client_name": _client_name,
    "software_statement": _software_statement,
    "source_ip_ranges": _source_ip_ranges,
    "max_clients": _positive_int,
    "max_clients_per_software_id": _positive_int,
    "rate_limit": _rate_limit,
    "hook": _dotted_path,
}
"""Every contract key and its parser, in the contract's order."""

POLICY_KEYS: tuple[str, ...] = tuple(_TOP_LEVEL)


def parse_policy(document: object) -> Policy:
    """Parse one policy document (a decoded JSON object) into a ``Policy``.

    Every key is optional and an absent key sets no rule.  An unknown key (at any depth) or a
    value of the wrong type raises ``PolicyError`` whose message starts with the key path,
    e.g. ``redirect_uris.allowed_hosts[2]: ...``.  Booleans are never accepted as integers.
    """
    if not isinstance(document, dict):
        _fail("policy", f"must be a JSON object, not {type_name(document)}")
    for key in document:
        if key not in _TOP_LEVEL:
            name = key if isinstance(key, str) else repr(key)
            _fail(name, f"unknown policy key (known: {', '.join(POLICY_KEYS)})")
    values = {key: _TOP_LEVEL[key](key, document[key]) for key in POLICY_KEYS if key in document}
    return Policy(**values)  # type: ignore[arg-type]


def _to_json(value: object) -> Any:
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return {
            f.name: _to_json(getattr(value, f.name))
            for f in fields(value)  # type: ignore[arg-type]
            if getattr(value, f.name) is not None
        }
    return value


def policy_to_document(policy: Policy) -> dict[str, Any]:
    """The JSON object for ``policy`` (absent keys left out), for storage and display."""
    document: dict[str, Any] = _to_json(policy)
    return document
