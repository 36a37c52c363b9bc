"""Changing a workspace's DCR settings (the command line and the admin both come here)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from registration.audit import record_configure
from registration.capabilities import scopes_supported
from registration.jose.keysets import describe_keys, validate_public_jwks
from registration.models import DCRSettings, TokenRotation
from registration.policy import PolicyError, load_hook, parse_policy, policy_to_document
from registration.policy.hosts import host_pattern_problem, normalize_host
from registration.selectors import dcr_settings_for
from tenants.models import Workspace

MIN_RAT_TTL = 60
MAX_RAT_TTL = 10 * 365 * 24 * 3600  # ten years
MAX_LIFECYCLE_DAYS = 10 * 365


class ConfigurationError(ValueError):
    """A setting cannot take the value asked for; the message names it."""


@dataclass(frozen=True)
class KeySetChange:
    """Switch a protection to an inline JWKS, to a JWKS URI, or off (both None).

    ``uri_trusted`` says who sets the URI. True (the CLI, a platform superuser): it is fetched
    as configured, private addresses included (a key server inside the platform's network).
    False (a tenant administrator in the console): it is fetched like a client's ``jwks_uri``,
    https only and public addresses only (RFC 7591 §5, the SSRF rule), or one tenant's
    administrator could make the server probe the platform's private network. The flag is
    stored with the URI and changes only when the URI does.
    """

    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    uri_trusted: bool = True


@dataclass(frozen=True)
class PolicyChange:
    """Set the DCR policy document, or remove it (``document`` None)."""

    document: object = None


@dataclass(frozen=True)
class SettingsChange:
    enabled: bool | None = None
    registration_access_token_ttl: int | None = None
    protect_by_access_token: bool | None = None
    software_statement: KeySetChange | None = None
    signed_request: KeySetChange | None = None
    policy: PolicyChange | None = None
    delete_never_used_after_days: int | None = None
    delete_idle_after_days: int | None = None
    token_rotation: str | None = None
    default_scopes: tuple[str, ...] | None = None
    client_secret_ttl: int | None = None
    cimd_enabled: bool | None = None
    cimd_trusted_hosts: tuple[str, ...] | None = None


MAX_CIMD_TRUSTED_HOSTS = 100


def check_cimd_trusted_hosts(hosts: tuple[str, ...]) -> list[str]:
    """Host patterns as the policy's ``allowed_hosts`` (exact names or ``*.`` wildcards),
    normalized and without duplicates; ConfigurationError naming the first bad entry."""
    if len(hosts) > MAX_CIMD_TRUSTED_HOSTS:
        raise ConfigurationError(f"CIMD trusted hosts: at most {MAX_CIMD_TRUSTED_HOSTS} entries")
    normalized: list[str] = []
    for host in hosts:
        problem = host_pattern_problem(host)
        if problem is not None:
            raise ConfigurationError(f"CIMD trusted host {host[:100]!r} {problem}")
        normalized.append(normalize_host(host))
    return list(dict.fromkeys(normalized))


def _check_default_scopes(workspace: Workspace, scopes: tuple[str, ...]) -> list[str]:
    offered = scopes_supported(workspace)
    unknown = [scope for scope in scopes if scope not in offered]
    if unknown:
        raise ConfigurationError(
            f"default scopes: {' '.join(unknown)[:100]} not offered by {workspace.label} "
            f"(offered: {' '.join(offered)})"
        )
    return list(dict.fromkeys(scopes))


def check_policy_document(document: object) -> dict[str, Any]:
    """The normalized document, or ConfigurationError naming the key at fault (contract)."""
    try:
        policy = parse_policy(document)
        if policy.hook is not None:
            load_hook(policy.hook)  # refuse, when saved, a hook that cannot be imported
        return policy_to_document(policy)
    except PolicyError as exc:
        raise ConfigurationError(f"policy: {exc}") from None


def check_uri(name: str, uri: str) -> str:
    try:
        URLValidator(schemes=["https", "http"])(uri)
    except ValidationError:
        raise ConfigurationError(f"{name}: {uri[:100]!r} is not an absolute http(s) URL") from None
    return uri


def _key_set_values(name: str, change: KeySetChange) -> tuple[dict[str, Any] | None, str]:
    if change.jwks is not None and change.jwks_uri is not None:
        raise ConfigurationError(f"{name}: give a JWKS or a JWKS URI, not both")
    if change.jwks is not None:
        try:
            return validate_public_jwks(change.jwks), ""
        except ValueError as exc:
            raise ConfigurationError(f"{name} JWKS: {exc}") from None
    if change.jwks_uri is not None:
        return None, check_uri(f"{name} JWKS URI", change.jwks_uri)
    return None, ""


def _apply_key_set(
    dcr: DCRSettings, name: str, values: tuple[dict[str, Any] | None, str], change: KeySetChange
) -> None:
    jwks, uri = values
    if uri != getattr(dcr, f"{name}_jwks_uri"):
        # Who set the URI decides how it is fetched (KeySetChange); an unchanged URI keeps the
        # trust of whoever set it, so a tenant administrator saving the page changes nothing.
        if (
            uri
            and not change.uri_trusted
            and not django_settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES
            and not uri.lower().startswith("https://")
        ):
            raise ConfigurationError(
                f"{name.replace('_', ' ')} JWKS URI: must be an https URL on a public address "
                "(only a platform administrator can set an http or internal key server)"
            )
        setattr(dcr, f"{name}_jwks_uri_trusted", change.uri_trusted if uri else True)
    setattr(dcr, f"{name}_jwks", jwks)
    setattr(dcr, f"{name}_jwks_uri", uri)


# The columns of DCRSettings a change can touch (the audit names them, never their values).
CONFIGURABLE_FIELDS = (
    "enabled",
    "registration_access_token_ttl",
    "protect_by_access_token",
    "software_statement_jwks",
    "software_statement_jwks_uri",
    "software_statement_jwks_uri_trusted",
    "signed_request_jwks",
    "signed_request_jwks_uri",
    "signed_request_jwks_uri_trusted",
    "policy",
    "delete_never_used_after_days",
    "delete_idle_after_days",
    "token_rotation",
    "default_scopes",
    "client_secret_ttl",
    "cimd_enabled",
    "cimd_trusted_hosts",
)


def changed_fields(before: DCRSettings, after: DCRSettings) -> list[str]:
    return [name for name in CONFIGURABLE_FIELDS if getattr(before, name) != getattr(after, name)]


def dcr_configure(
    *, workspace: Workspace, change: SettingsChange, actor: str = "cli"
) -> DCRSettings:
    """Apply ``change`` atomically; every value is validated before anything is saved.

    A change that changes something is an audit event ``configure`` by ``actor`` (a user name,
    or ``cli``), in the same transaction.
    """
    ttl = change.registration_access_token_ttl
    if ttl is not None and not MIN_RAT_TTL <= ttl <= MAX_RAT_TTL:
        raise ConfigurationError(
            f"registration access token lifetime must be between {MIN_RAT_TTL} and "
            f"{MAX_RAT_TTL} seconds, not {ttl}"
        )
    statement = (
        _key_set_values("software statement", change.software_statement)
        if change.software_statement is not None
        else None
    )
    signed = (
        _key_set_values("signed request", change.signed_request)
        if change.signed_request is not None
        else None
    )
    policy = None
    if change.policy is not None and change.policy.document is not None:
        policy = check_policy_document(change.policy.document)
    for name in ("delete_never_used_after_days", "delete_idle_after_days"):
        days = getattr(change, name)
        if days is not None and not 0 <= days <= MAX_LIFECYCLE_DAYS:
            raise ConfigurationError(f"{name} must be between 0 (off) and {MAX_LIFECYCLE_DAYS}")
    secret_ttl = change.client_secret_ttl
    if secret_ttl is not None and not 0 <= secret_ttl <= MAX_RAT_TTL:
        raise ConfigurationError(
            f"client secret lifetime must be between 0 (never expires) and {MAX_RAT_TTL} seconds"
        )
    if change.token_rotation is not None and change.token_rotation not in TokenRotation.values:
        raise ConfigurationError(
            f"token rotation must be one of {', '.join(TokenRotation.values)}, "
            f"not {change.token_rotation[:40]!r}"
        )
    default_scopes = (
        _check_default_scopes(workspace, change.default_scopes)
        if change.default_scopes is not None
        else None
    )
    trusted_hosts = (
        check_cimd_trusted_hosts(change.cimd_trusted_hosts)
        if change.cimd_trusted_hosts is not None
        else None
    )
    with transaction.atomic():
        dcr_settings_for(workspace=workspace)  # creates a missing row before locking it
        dcr = DCRSettings.objects.select_for_update().get(workspace=workspace)
        before = copy.deepcopy(dcr)
        if change.enabled is not None:
            dcr.enabled = change.enabled
        if ttl is not None:
            dcr.registration_access_token_ttl = ttl
        if change.protect_by_access_token is not None:
            dcr.protect_by_access_token = change.protect_by_access_token
        if statement is not None and change.software_statement is not None:
            _apply_key_set(dcr, "software_statement", statement, change.software_statement)
        if signed is not None and change.signed_request is not None:
            _apply_key_set(dcr, "signed_request", signed, change.signed_request)
        if change.policy is not None:
            dcr.policy = policy
        if change.delete_never_used_after_days is not None:
            dcr.delete_never_used_after_days = change.delete_never_used_after_days or None
        if change.delete_idle_after_days is not None:
            dcr.delete_idle_after_days = change.delete_idle_after_days or None
        if change.token_rotation is not None:
            dcr.token_rotation = change.token_rotation
        if default_scopes is not None:
            dcr.default_scopes = default_scopes
        if secret_ttl is not None:
            dcr.client_secret_ttl = secret_ttl
        if change.cimd_enabled is not None:
            dcr.cimd_enabled = change.cimd_enabled
        if trusted_hosts is not None:
            dcr.cimd_trusted_hosts = trusted_hosts
        changed = changed_fields(before, dcr)
        if changed:
            dcr.save()
            record_configure(workspace=workspace, actor=actor, changed=changed)
    return dcr


def _keys_summary(jwks: dict[str, Any] | None) -> list[dict[str, str]] | None:
    return describe_keys(jwks) if jwks else None


def dcr_settings_data(dcr: DCRSettings) -> dict[str, Any]:
    """The ``dcr show`` / ``dcr configure`` JSON object: keys shown by kid, kty and alg."""
    return {
        "enabled": dcr.enabled,
        "protect_by_access_token": dcr.protect_by_access_token,
        "software_statement_jwks": _keys_summary(dcr.software_statement_jwks),
        "software_statement_jwks_uri": dcr.software_statement_jwks_uri or None,
        "signed_request_jwks": _keys_summary(dcr.signed_request_jwks),
        "signed_request_jwks_uri": dcr.signed_request_jwks_uri or None,
        "registration_access_token_ttl": dcr.registration_access_token_ttl,
        "token_rotation": dcr.token_rotation,
        "default_scopes": list(dcr.default_scopes),
        "client_secret_ttl": dcr.client_secret_ttl,
        "policy": dcr.policy,
        "delete_never_used_after_days": dcr.delete_never_used_after_days,
        "delete_idle_after_days": dcr.delete_idle_after_days,
        "cimd_enabled": dcr.cimd_enabled,
        "cimd_trusted_hosts": list(dcr.cimd_trusted_hosts or []),
    }
