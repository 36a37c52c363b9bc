"""The metadata pipeline of a registration or update, in RFC order:

1. RFC 7591 §2 / OIDC Registration §2 validation and defaults (pure, ``registration.metadata``);
2. the workspace's DCR policy over the FINAL metadata, so an omitted field never skips a rule;
3. network checks last (``sector_identifier_uri``, OIDC Registration §5), outside any transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from oauth2_provider.models import AbstractApplication

from registration.audit import RequestInfo
from registration.capabilities import capabilities_for
from registration.metadata import validate_client_metadata
from registration.models import Client, DCRSettings
from registration.policy import (
    Policy,
    PolicyContext,
    check_quotas,
    evaluate_policy,
    parse_policy,
)
from registration.sector_identifier import check_sector_identifier
from tenants.models import Workspace


@lru_cache(maxsize=128)
def _parsed(document_text: str) -> Policy:
    return parse_policy(json.loads(document_text))


def workspace_policy(settings: DCRSettings) -> Policy | None:
    """The stored policy document, parsed (it was validated when saved).

    A registration asks twice (rate limits, then the rules); Policy is immutable, so one parse
    per distinct document serves every request of the process.
    """
    if not settings.policy:
        return None
    return _parsed(json.dumps(settings.policy, sort_keys=True))


def _policy_context(
    workspace: Workspace,
    info: RequestInfo,
    updating: Client | None,
    validate_metadata: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
) -> PolicyContext:
    # max_clients bounds the self-registered clients: by DCR and by Client ID Metadata Document.
    dcr_clients = Client.objects.filter(
        workspace=workspace,
        registration_source__in=(
            AbstractApplication.RegistrationSource.DCR,
            AbstractApplication.RegistrationSource.CIMD,
        ),
    )

    def count_clients() -> int:
        return dcr_clients.count()

    def count_clients_with_software_id(software_id: str) -> int:
        same = Client.objects.filter(workspace=workspace, software_id=software_id)
        if updating is not None:
            same = same.exclude(pk=updating.pk)
        return same.count()

    return PolicyContext(
        source_ip=info.source_ip,
        software_statement_issuer=info.software_statement_issuer or None,
        count_clients=count_clients,
        count_clients_with_software_id=count_clients_with_software_id,
        is_update=updating is not None,
        workspace_label=workspace.label,
        user_agent=info.user_agent,
        validate_metadata=validate_metadata,
    )


def validate_submission(
    *,
    workspace: Workspace,
    settings: DCRSettings,
    raw_metadata: Mapping[str, Any],
    software_statement: str | None,
    info: RequestInfo,
    updating: Client | None = None,
) -> dict[str, Any]:
    """The metadata to register, or a RegistrationError naming the field or rule at fault."""
    policy = workspace_policy(settings)
    rejects_scopes = bool(
        policy and policy.scopes and policy.scopes.effective_on_violation == "reject"
    )
    capabilities = capabilities_for(workspace, settings, reject_unsupported_scopes=rejects_scopes)
    metadata = validate_client_metadata(raw_metadata, capabilities=capabilities)
    if policy is not None:

        def revalidate(adjusted: Mapping[str, Any]) -> dict[str, Any]:
            return validate_client_metadata(adjusted, capabilities=capabilities)

        context = _policy_context(workspace, info, updating, revalidate)
        metadata = evaluate_policy(policy, metadata=metadata, context=context)
    if "sector_identifier_uri" in metadata:
        check_sector_identifier(
            uri=metadata["sector_identifier_uri"], redirect_uris=metadata.get("redirect_uris", [])
        )
    if software_statement is not None:
        # RFC 7591 §3.2.1: a software statement used for registration is returned as received.
        metadata["software_statement"] = software_statement
    return metadata


def has_quotas(settings: DCRSettings) -> bool:
    """The workspace's policy limits its client count (registration then locks, see below)."""
    policy = workspace_policy(settings)
    return policy is not None and (
        policy.max_clients is not None or policy.max_clients_per_software_id is not None
    )


def lock_and_check_quotas(
    *,
    workspace: Workspace,
    settings: DCRSettings,
    metadata: Mapping[str, Any],
    info: RequestInfo,
    updating: Client | None = None,
) -> None:
    """Inside the write transaction: ``max_clients`` / ``max_clients_per_software_id`` exactly.

    Counting before the insert lets parallel registrations all see room for one more. Here the
    workspace's DCR settings row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; on
    SQLite the write transaction already holds the database's one write lock since BEGIN
    IMMEDIATE), so registrations of one workspace with a quota count and insert one at a time,
    and each count sees every client committed before it. Workspaces without a quota never lock.
    """
    policy = workspace_policy(settings)
    if policy is None or (
        policy.max_clients is None and policy.max_clients_per_software_id is None
    ):
        return
    list(DCRSettings.objects.select_for_update().filter(pk=settings.pk).values_list("pk"))
    check_quotas(policy, metadata=metadata, context=_policy_context(workspace, info, updating))
