"""``evaluate_policy``: the workspace's DCR policy over the final, normalized client metadata.

Pure Python.  Rules run in the order of the keys in CONTRACT.md "The DCR policy document";
the hook runs last.  Each refusal is the RFC error the contract names, with ``rule`` set to the
policy key and an ``error_description`` that starts ``policy <key>...:``.

Decisions where the contract is silent:

* A field the client omitted is judged by its RFC 7591 §2 default (``grant_types``
  ``["authorization_code"]``, ``response_types`` ``["code"]`` or ``[]``,
  ``token_endpoint_auth_method`` ``client_secret_basic``): omitting a field never skips a rule.
* ``redirect_uris`` rules also apply to ``post_logout_redirect_uris`` (another redirect target);
  those refusals are ``invalid_client_metadata``, as in the metadata validator.
* A URI without a host (a native app's ``com.example.app:/cb``) never matches ``allowed_hosts``.
* ``allow_loopback: true`` exempts loopback URIs (127.0.0.0/8, ``[::1]``, ``localhost``) from
  ``allowed_hosts`` and lets them use plain http under ``require_https`` (RFC 8252 §7.3);
  ``false`` refuses them; absent, they are judged like any other URI.
* ``uris_share_host_with_redirect_uris`` compares hosts exactly (case-insensitively); a client
  with no redirect URI has no host to share, so any of the four URIs is then refused.
* ``client_name.forbidden_words`` is a substring match after NFKC normalization, case folding,
  removal of invisible format characters and whitespace collapsing; it applies to every
  ``client_name#<lang>`` variant, as does ``max_length`` (in characters).
* ``required_fields``: present and not empty (``None``, ``""``, blank, ``[]``, ``{}``); only the
  exact key counts (``client_name#fr`` does not satisfy ``client_name``).
* When the hook changes the metadata, the declarative metadata rules run again over its result,
  so the final metadata always satisfies the declarative policy (a hook cannot bypass it).
"""

from __future__ import annotations

import copy
import ipaddress
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registration.errors import (
    AccessDenied,
    InvalidClientMetadata,
    InvalidRedirectURI,
    RegistrationError,
    UnapprovedSoftwareStatement,
)
from registration.metadata.common import quote

from .document import IPNetwork, Policy
from .hook import HookContext, run_hook
from .hosts import host_allowed, is_loopback_host, uri_host, uri_scheme

DEFAULT_GRANT_TYPES: tuple[str, ...] = ("authorization_code",)  # RFC 7591 §2
DEFAULT_AUTH_METHOD = "client_secret_basic"  # RFC 7591 §2
REDIRECT_FIELDS: tuple[tuple[str, type[RegistrationError]], ...] = (
    ("redirect_uris", InvalidRedirectURI),
    ("post_logout_redirect_uris", InvalidClientMetadata),
)
SHARED_HOST_FIELDS: tuple[str, ...] = ("logo_uri", "client_uri", "policy_uri", "tos_uri")
"""RFC 7591 §5: the URIs that should share a host with the redirect URIs."""


@dataclass(frozen=True)
class PolicyContext:
    """What the evaluator needs to know about the request besides the metadata."""

    source_ip: str | None
    software_statement_issuer: str | None
    """The verified software statement's ``iss``, or None when no statement was presented."""
    count_clients: Callable[[], int]
    """Existing clients in the workspace (called only when ``max_clients`` is set)."""
    count_clients_with_software_id: Callable[[str], int]
    """Existing clients with that ``software_id``, excluding the one being updated."""
    is_update: bool = False
    workspace_label: str = ""
    user_agent: str = ""
    validate_metadata: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    """RFC 7591 §2 validation with defaults, applied to a hook's result before the rules."""


Rule = Callable[..., None]


def evaluate_policy(
    policy: Policy, *, metadata: Mapping[str, Any], context: PolicyContext
) -> dict[str, Any]:
    """Apply ``policy`` to ``metadata``; return the (possibly narrowed) copy or raise.

    The caller passes the final metadata: on update, the full replacement (RFC 7592 §2.2),
    so a rule is never skipped because a field was not sent this time.
    """
    result = copy.deepcopy(dict(metadata))
    for rule in _RULES:
        rule(policy=policy, metadata=result, context=context)
    if policy.hook is None:
        return result
    hook_context = HookContext(
        workspace_label=context.workspace_label,
        source_ip=context.source_ip,
        user_agent=context.user_agent,
        is_update=context.is_update,
        software_statement_issuer=context.software_statement_issuer,
    )
    adjusted = run_hook(policy.hook, context=hook_context, metadata=result)
    if adjusted == result:
        return adjusted
    # The hook's output is the final metadata: valid client metadata (an incomplete or wrong
    # mapping is 400 naming the hook, never a 500 further on), and the declarative rules hold.
    if context.validate_metadata is not None:
        try:
            adjusted = context.validate_metadata(adjusted)
        except RegistrationError as exc:
            exc.rule = "hook"  # the hook is at fault; the description names the field
            exc.description = f"policy hook returned invalid metadata: {exc.description}"
            raise
    try:
        for rule in _METADATA_RULES:
            rule(policy=policy, metadata=adjusted, context=context)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidClientMetadata(
            "policy hook returned metadata the policy cannot check", rule="hook"
        ) from exc
    return adjusted


# ---------------------------------------------------------------------------------------------
# Helpers


def _refuse(error: type[RegistrationError], key: str, message: str) -> RegistrationError:
    """``error`` with ``rule`` = the top-level policy key and the full key path in the text."""
    return error(f"policy {key}: {message}", rule=key.split(".", 1)[0])


def _strings(value: object) -> list[str]:
    """A metadata value as a list of strings (a lone string is one value)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item if isinstance(item, str) else str(item) for item in value]
    return [str(value)]


def _tagged_keys(metadata: Mapping[str, Any], base: str) -> list[str]:
    """``base`` then its ``base#<lang>`` variants (RFC 7591 §2.2), in a stable order."""
    tagged = sorted(key for key in metadata if isinstance(key, str) and key.startswith(f"{base}#"))
    return ([base] if base in metadata else []) + tagged


# ---------------------------------------------------------------------------------------------
# The rules, one per contract key


def _check_allow(key: str, field: str, values: list[str], allow: tuple[str, ...] | None) -> None:
    if allow is None:
        return
    for value in values:
        if value not in allow:
            msg = f"{field} {quote(value)} is not allowed (allowed: {', '.join(allow) or 'none'})"
            raise _refuse(InvalidClientMetadata, f"{key}.allow", msg)


def _grant_types(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    if policy.grant_types is None:
        return
    values = _strings(metadata.get("grant_types")) or list(DEFAULT_GRANT_TYPES)
    _check_allow("grant_types", "grant type", values, policy.grant_types.allow)


def _response_types(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    rule = policy.response_types
    if rule is None or rule.allow is None:
        return
    if "response_types" in metadata:
        values = _strings(metadata["response_types"])
    else:
        # RFC 7591 §2: the default is "code" (for a client that can use it).
        grant_types = _strings(metadata.get("grant_types")) or list(DEFAULT_GRANT_TYPES)
        values = ["code"] if "authorization_code" in grant_types else []
    # Multiple Response Types §3: "code id_token" and "id_token code" are the same value.
    allowed = {frozenset(item.split()) for item in rule.allow}
    for value in values:
        if frozenset(value.split()) not in allowed:
            msg = f"response type {quote(value)} is not allowed (allowed: {', '.join(rule.allow) or 'none'})"
            raise _refuse(InvalidClientMetadata, "response_types.allow", msg)


def _auth_methods(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    if policy.token_endpoint_auth_methods is None:
        return
    method = metadata.get("token_endpoint_auth_method") or DEFAULT_AUTH_METHOD
    _check_allow(
        "token_endpoint_auth_methods",
        "token_endpoint_auth_method",
        _strings(method),
        policy.token_endpoint_auth_methods.allow,
    )


def _scopes(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    rule = policy.scopes
    if rule is None or rule.allow is None:
        return
    granted = " ".join(_strings(metadata.get("scope"))).split()
    refused = [scope for scope in granted if scope not in rule.allow]
    if not refused:
        return
    if rule.effective_on_violation == "reject":
        msg = f"scope {quote(' '.join(refused))} is not allowed"
        raise _refuse(InvalidClientMetadata, "scopes.allow", msg)
    # on_violation "narrow": drop what is not allowed (RFC 7591 §2: the server MAY grant less).
    kept = [scope for scope in granted if scope in rule.allow]
    if kept:
        metadata["scope"] = " ".join(kept)
    else:
        metadata.pop("scope", None)


def _redirect_uris(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    rule = policy.redirect_uris
    if rule is None:
        return
    for field, error in REDIRECT_FIELDS:
        for index, uri in enumerate(_strings(metadata.get(field))):
            where = f"{field}[{index}]"
            host = uri_host(uri)
            loopback = is_loopback_host(host)
            exempt = loopback and rule.allow_loopback is True
            if rule.allowed_hosts is not None and not exempt:
                if host is None:
                    msg = f"{where} has no host that can match (e.g. a private-use scheme URI)"
                    raise _refuse(error, "redirect_uris.allowed_hosts", msg)
                if not host_allowed(host, rule.allowed_hosts):
                    msg = f"host {quote(host)} of {where} is not allowed"
                    raise _refuse(error, "redirect_uris.allowed_hosts", msg)
            scheme = uri_scheme(uri)
            # RFC 8252 §7.3: plain http stays acceptable on loopback when allow_loopback is on.
            loopback_http = exempt and scheme == "http"
            if rule.require_https and scheme != "https" and not loopback_http:
                msg = f"{where} must use https"
                raise _refuse(error, "redirect_uris.require_https", msg)
            if rule.allow_loopback is False and loopback:
                msg = f"{where} uses a loopback host, which is not allowed"
                raise _refuse(error, "redirect_uris.allow_loopback", msg)


def _shared_hosts(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    if policy.uris_share_host_with_redirect_uris is not True:
        return
    redirect_hosts = {uri_host(uri) for uri in _strings(metadata.get("redirect_uris"))}
    redirect_hosts.discard(None)
    for base in SHARED_HOST_FIELDS:
        for key in _tagged_keys(metadata, base):
            for uri in _strings(metadata[key]):
                host = uri_host(uri)
                if host is None or host not in redirect_hosts:
                    # RFC 7591 §5: the server SHOULD check that these URIs share the host of
                    # the redirect URIs, so a client cannot borrow another site's reputation.
                    shown = quote(host) if host else "(none)"
                    msg = f"{key} host {shown} is not the host of any redirect URI (RFC 7591 §5)"
                    raise _refuse(InvalidClientMetadata, "uris_share_host_with_redirect_uris", msg)


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return not value
    return False


def _required_fields(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    for name in policy.required_fields or ():
        if _is_empty(metadata.get(name)):
            raise _refuse(InvalidClientMetadata, "required_fields", f"{name} is required")


def normalize_name(text: str) -> str:
    """NFKC, without invisible format characters, case-folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())


def _client_name(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    rule = policy.client_name
    if rule is None:
        return
    words = [(word, normalize_name(word)) for word in rule.forbidden_words or ()]
    for key in _tagged_keys(metadata, "client_name"):
        for name in _strings(metadata[key]):
            if rule.max_length is not None and len(name) > rule.max_length:
                msg = f"{key} must be at most {rule.max_length} characters"
                raise _refuse(InvalidClientMetadata, "client_name.max_length", msg)
            normalized = normalize_name(name)
            for word, folded in words:
                if folded and folded in normalized:
                    msg = f"{key} contains the forbidden word {quote(word)}"
                    raise _refuse(InvalidClientMetadata, "client_name.forbidden_words", msg)


def _software_statement(
    *, policy: Policy, metadata: dict[str, Any], context: PolicyContext
) -> None:
    rule = policy.software_statement
    if rule is None:
        return
    if rule.allowed_issuers is not None:
        issuer = context.software_statement_issuer
        key = "software_statement.allowed_issuers"
        if issuer is None:
            msg = "a software statement from an approved issuer is required"
            raise _refuse(UnapprovedSoftwareStatement, key, msg)
        if issuer not in rule.allowed_issuers:
            msg = f"issuer {quote(issuer)} is not approved"
            raise _refuse(UnapprovedSoftwareStatement, key, msg)
    if rule.allowed_software_ids is not None:
        software_id = metadata.get("software_id")
        key = "software_statement.allowed_software_ids"
        if not isinstance(software_id, str) or not software_id:
            raise _refuse(UnapprovedSoftwareStatement, key, "a software_id is required")
        if software_id not in rule.allowed_software_ids:
            msg = f"software_id {quote(software_id)} is not approved"
            raise _refuse(UnapprovedSoftwareStatement, key, msg)


def _parse_ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:203.0.113.5 is 203.0.113.5
    return address


def _ip_in_ranges(text: str | None, ranges: tuple[IPNetwork, ...]) -> bool:
    address = _parse_ip(text)
    return address is not None and any(address in network for network in ranges)


def _source_ip_ranges(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    if policy.source_ip_ranges is None:
        return
    if not _ip_in_ranges(context.source_ip, policy.source_ip_ranges):
        # A missing or unparsable address is refused: fail closed.
        msg = "registration is not allowed from this network address"
        raise _refuse(AccessDenied, "source_ip_ranges", msg)


def _max_clients(*, policy: Policy, metadata: dict[str, Any], context: PolicyContext) -> None:
    if policy.max_clients is None or context.is_update:
        return
    if context.count_clients() >= policy.max_clients:
        msg = f"the workspace already has the maximum of {policy.max_clients} clients"
        raise _refuse(AccessDenied, "max_clients", msg)


def _max_per_software_id(
    *, policy: Policy, metadata: dict[str, Any], context: PolicyContext
) -> None:
    limit = policy.max_clients_per_software_id
    software_id = metadata.get("software_id")
    if limit is None or not isinstance(software_id, str) or not software_id:
        return
    if context.count_clients_with_software_id(software_id) >= limit:
        msg = f"software_id {quote(software_id)} already has the maximum of {limit} clients"
        raise _refuse(InvalidClientMetadata, "max_clients_per_software_id", msg)


_RULES: tuple[Rule, ...] = (
    _grant_types,
    _response_types,
    _auth_methods,
    _scopes,
    _redirect_uris,
    _shared_hosts,
    _required_fields,
    _client_name,
    _software_statement,
    _source_ip_ranges,
    _max_clients,
    _max_per_software_id,
)
"""Contract key order; ``rate_limit`` is the caller's, ``hook`` runs after these."""

_QUOTA_RULES: tuple[Rule, ...] = (_max_clients, _max_per_software_id)


def check_quotas(policy: Policy, *, metadata: Mapping[str, Any], context: PolicyContext) -> None:
    """``max_clients`` and ``max_clients_per_software_id`` alone, over the final metadata.

    ``evaluate_policy`` checks them early (a refusal costs nothing); the caller runs this again
    inside the write transaction, holding the workspace's quota lock, so parallel registrations
    cannot all pass the count before any of them is inserted.
    """
    for rule in _QUOTA_RULES:
        rule(policy=policy, metadata=dict(metadata), context=context)


_METADATA_RULES: tuple[Rule, ...] = tuple(
    rule for rule in _RULES if rule not in (_source_ip_ranges, _max_clients)
)
"""The rules whose outcome depends on the metadata (re-run over a hook's result)."""
