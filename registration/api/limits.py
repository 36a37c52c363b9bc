"""The rate limits of the registration endpoints, built from the policy and the settings.

A workspace whose policy sets no ``rate_limit`` still gets the server's defaults,
``DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP`` (60) and ``DCR_DEFAULT_REGISTRATIONS_PER_MINUTE``
(600); ``0`` turns either off. Per-address limits count an IPv6 /64 as one source
(``registration.sources``).
"""

from __future__ import annotations

from django.conf import settings

from registration.audit import RequestInfo
from registration.models import DCRSettings
from registration.ratelimit import Limit
from registration.sources import source_key
from registration.validation import workspace_policy
from tenants.models import Workspace


def _rates(dcr: DCRSettings) -> tuple[int | None, int | None, str]:
    """(per source per minute, per workspace per minute, the rule that refuses)."""
    policy = workspace_policy(dcr)
    rate = policy.rate_limit if policy is not None else None
    if rate is not None:
        return rate.registrations_per_minute_per_ip, rate.registrations_per_minute, "rate_limit"
    per_ip: int = settings.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE_PER_IP
    per_workspace: int = settings.DCR_DEFAULT_REGISTRATIONS_PER_MINUTE
    return per_ip, per_workspace, "default_rate_limit"


def registration_limits(workspace: Workspace, dcr: DCRSettings, info: RequestInfo) -> list[Limit]:
    """Registrations per minute per source address, then per workspace (narrowest first)."""
    per_ip, per_workspace, rule = _rates(dcr)
    origin = "policy rate_limit" if rule == "rate_limit" else "server limit"
    limits = []
    if per_ip and per_ip > 0:
        limits.append(
            Limit(
                key=f"dcr:ws{workspace.pk}:register:ip:{source_key(info.source_ip)}",
                limit=per_ip,
                rule=rule,
                description=f"{origin}: more than {per_ip} registrations per minute from this "
                "address; retry later.",
            )
        )
    if per_workspace and per_workspace > 0:
        limits.append(
            Limit(
                key=f"dcr:ws{workspace.pk}:register",
                limit=per_workspace,
                rule=rule,
                description=f"{origin}: more than {per_workspace} registrations per minute at "
                "this workspace; retry later.",
            )
        )
    return limits


def management_failure_limits(workspace: Workspace, info: RequestInfo) -> list[Limit]:
    """RFC 7592 §5: bound guessing of registration access tokens per source (an IPv6 /64)."""
    per_minute: int = settings.DCR_MANAGEMENT_FAILURES_PER_MINUTE
    if per_minute <= 0:
        return []
    return [
        Limit(
            key=f"dcr:ws{workspace.pk}:manage-failures:ip:{source_key(info.source_ip)}",
            limit=per_minute,
            rule="registration_access_token",
            description="Too many failed registration access token attempts; retry later.",
        )
    ]
