"""The rate limits of the registration endpoints, built from the policy and the settings."""

from __future__ import annotations

from django.conf import settings

from registration.audit import RequestInfo
from registration.models import DCRSettings
from registration.ratelimit import Limit
from registration.validation import workspace_policy
from tenants.models import Workspace


def registration_limits(workspace: Workspace, dcr: DCRSettings, info: RequestInfo) -> list[Limit]:
    """The policy's ``rate_limit``: registrations per minute per source IP and per workspace."""
    policy = workspace_policy(dcr)
    rate = policy.rate_limit if policy is not None else None
    if rate is None:
        return []
    limits = []
    if rate.registrations_per_minute_per_ip:
        limits.append(
            Limit(
                key=f"dcr:ws{workspace.pk}:register:ip:{info.source_ip or '-'}",
                limit=rate.registrations_per_minute_per_ip,
                rule="rate_limit",
                description="policy rate_limit: too many registrations from this address; "
                "retry later.",
            )
        )
    if rate.registrations_per_minute:
        limits.append(
            Limit(
                key=f"dcr:ws{workspace.pk}:register",
                limit=rate.registrations_per_minute,
                rule="rate_limit",
                description="policy rate_limit: too many registrations; retry later.",
            )
        )
    return limits


def management_failure_limits(workspace: Workspace, info: RequestInfo) -> list[Limit]:
    """RFC 7592 §5: bound guessing of registration access tokens per source address."""
    per_minute: int = settings.DCR_MANAGEMENT_FAILURES_PER_MINUTE
    if per_minute <= 0:
        return []
    return [
        Limit(
            key=f"dcr:ws{workspace.pk}:manage-failures:ip:{info.source_ip or '-'}",
            limit=per_minute,
            rule="registration_access_token",
            description="Too many failed registration access token attempts; retry later.",
        )
    ]
