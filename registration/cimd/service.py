"""``resolve_cimd_client``: a client_id URL to the workspace's stored client, created on first use
and refreshed when stale, so tokens, grants, the admin, audit and cleanup see a client like any
other (``registration_source`` ``cimd``).

Where this differs from django-oauth-toolkit 3.4.1's ``oauth2_provider/cimd.py`` and why:

- Per workspace: the switch, trusted hosts and policy are the workspace's (DOT has one global
  ``CIMD_ENABLED`` and one ``CIMD_ALLOWED_HOSTS``), and a URL is one row per workspace.
- The same validator and DCR policy as a registration (registration/validation.py), where DOT
  checks a handful of fields itself and admits only ``none`` clients; ``private_key_jwt`` with
  the document's ``jwks``/``jwks_uri`` works here (draft -01 §6.2).
- The cache: the row's ``cimd_expires_at`` (DOT's column, reused) is the positive cache, as in
  DOT; its clamp of Cache-Control is reused in spirit (registration/cimd/fetching.py). Unlike
  DOT, a failed refresh does not serve the old document forever: only for a transient failure,
  and only ``DCR_CIMD_STALE_IF_ERROR_SECONDS`` past expiry; a document that is now refused is
  refused at once (draft -01 §4.4: invalid documents are never cached).
- The failure back-off (a negative cache with a short TTL) is DOT's idea, kept, per workspace.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

from registration import audit
from registration.audit import RequestInfo
from registration.capabilities import (
    GRANT_TYPES_SUPPORTED,
    RESPONSE_TYPES_SUPPORTED,
    scopes_supported,
)
from registration.client_columns import SECRET_METHODS, apply_metadata
from registration.errors import RegistrationError
from registration.models import AuditEvent, Client, DCRSettings
from registration.selectors import dcr_settings_for
from registration.validation import validate_submission
from tenants.models import Workspace

from . import app_settings
from .document import parse_document, tolerate
from .errors import CIMDRefused
from .fetching import Coalescer, Fetched, fetch_document
from .url import check_client_id_url, check_trusted_host

log = logging.getLogger(__name__)

CIMD = AbstractApplication.RegistrationSource.CIMD
OPERATION = "cimd"  # the audit trail's ``operation`` of every CIMD event
_BACKOFF_PREFIX = "dcr:cimd:v1:backoff"

# One resolution (fetch, validation, write) per workspace and URL in flight per process.
_resolutions: Coalescer[int] = Coalescer()


@dataclass(frozen=True)
class _Backoff:
    description: str
    rule: str
    transient: bool


def _backoff_key(workspace: Workspace, url: str) -> str:
    # Hashed: the URL is client input, and cache backends limit key length (memcached: 250).
    return f"{_BACKOFF_PREFIX}:{workspace.pk}:{hashlib.sha256(url.encode()).hexdigest()}"


def _backoff_get(workspace: Workspace, url: str) -> _Backoff | None:
    value = cache.get(_backoff_key(workspace, url))
    if not isinstance(value, dict):
        return None
    return _Backoff(
        description=str(value.get("description", "")),
        rule=str(value.get("rule", "")),
        transient=bool(value.get("transient")),
    )


def _backoff_set(workspace: Workspace, url: str, refusal: CIMDRefused) -> None:
    # draft -01 §4.4: an error is never cached as the document; only as "do not ask again yet".
    value = {
        "description": refusal.description,
        "rule": refusal.rule,
        "transient": refusal.transient,
    }
    cache.set(_backoff_key(workspace, url), value, app_settings.failure_backoff_seconds())


def _is_fresh(client: Client | None) -> bool:
    return (
        client is not None
        and client.cimd_expires_at is not None
        and timezone.now() < client.cimd_expires_at
    )


def _may_serve_stale(client: Client | None, refusal: CIMDRefused | _Backoff) -> bool:
    """A good document past its expiry keeps serving, for a bounded time, while its host is
    unreachable (stale-if-error, RFC 5861 §4 in spirit); never when the document was refused."""
    if client is None or client.cimd_expires_at is None or not refusal.transient:
        return False
    grace = timedelta(seconds=app_settings.stale_if_error_seconds())
    return timezone.now() < client.cimd_expires_at + grace


def _record_refusal(
    *, workspace: Workspace, client_id: str, refusal: CIMDRefused, info: RequestInfo
) -> None:
    log.info("CIMD client refused (%s): %s", refusal.rule, refusal.description)
    # Aggregated like the registration API's refusals (one row per source, rule and minute):
    # a flood of distinct client_id URLs from one source cannot fill the audit trail.
    audit.record_refused(
        workspace=workspace,
        operation=OPERATION,
        client_id=client_id,
        outcome=refusal.error,
        rule=refusal.rule,
        description=refusal.description,
        info=info,
    )


def resolve_cimd_client(
    *, workspace: Workspace, client_id: str, stored: Client | None, info: RequestInfo
) -> Client | None:
    """The client ``client_id`` (an ``https`` URL) names in ``workspace``, or None (the caller
    answers ``invalid_client``). ``stored`` is the workspace's row with that client_id, if any."""
    if stored is not None and stored.registration_source != CIMD:
        # draft -01 §6.10: a client an administrator registered under this URL is that client;
        # a document never takes over its row.
        return stored
    dcr = dcr_settings_for(workspace=workspace)
    if not dcr.cimd_enabled:
        return None
    try:
        # Pure checks first, on every use: a trusted-hosts change applies to stored rows at once.
        host = check_client_id_url(client_id)
        check_trusted_host(host, list(dcr.cimd_trusted_hosts or []))
    except CIMDRefused as refusal:
        _record_refusal(workspace=workspace, client_id=client_id, refusal=refusal, info=info)
        return None
    if _is_fresh(stored):
        return stored
    backoff = _backoff_get(workspace, client_id)
    if backoff is not None:
        # Within the back-off nothing is fetched (and nothing audited again).
        return stored if _may_serve_stale(stored, backoff) else None
    try:
        pk = _resolutions.run(
            f"{workspace.pk}:{client_id}",
            lambda: _refresh(workspace=workspace, dcr=dcr, client_id=client_id, info=info),
            wait_seconds=app_settings.fetch_timeout() + 10,
        )
    except CIMDRefused as refusal:
        return stored if _may_serve_stale(stored, refusal) else None
    return Client.objects.select_related("workspace__tenant").filter(pk=pk).first()


def _refresh(*, workspace: Workspace, dcr: DCRSettings, client_id: str, info: RequestInfo) -> int:
    """Fetch, validate and store the document; the row's pk. Refusals are backed off and audited."""
    try:
        fetched = fetch_document(client_id)
        document = parse_document(body=fetched.body, media_type=fetched.media_type, url=client_id)
        raw = tolerate(
            document,
            grant_types_supported=GRANT_TYPES_SUPPORTED,
            response_types_supported=RESPONSE_TYPES_SUPPORTED,
            scopes_offered=scopes_supported(workspace),
        )
        current = Client.objects.filter(workspace=workspace, client_id=client_id).first()
        metadata = _validated(workspace=workspace, dcr=dcr, raw=raw, current=current, info=info)
        return _store(
            workspace=workspace,
            dcr=dcr,
            client_id=client_id,
            metadata=metadata,
            fetched=fetched,
            info=info,
        )
    except CIMDRefused as refusal:
        if refusal.back_off:
            _backoff_set(workspace, client_id, refusal)
        _record_refusal(workspace=workspace, client_id=client_id, refusal=refusal, info=info)
        raise


def _validated(
    *,
    workspace: Workspace,
    dcr: DCRSettings,
    raw: dict[str, Any],
    current: Client | None,
    info: RequestInfo,
) -> dict[str, Any]:
    """The same metadata validator and workspace policy as a registration (RFC 7591 §2, the DCR
    policy), over the final document; a refusal names the field or policy key."""
    try:
        metadata = validate_submission(
            workspace=workspace,
            settings=dcr,
            raw_metadata=raw,
            software_statement=None,
            info=info,
            updating=current,
        )
    except RegistrationError as exc:
        raise CIMDRefused(
            f"client metadata document: {exc.description}", rule=exc.rule or "cimd.metadata"
        ) from None
    if metadata["token_endpoint_auth_method"] in SECRET_METHODS:
        # draft -01 §4.1 (checked on the document already; a policy hook must not bring it back).
        raise CIMDRefused(
            "client metadata document: a shared-secret token_endpoint_auth_method",
            rule="cimd.document",
        )
    return metadata


def _store(
    *,
    workspace: Workspace,
    dcr: DCRSettings,
    client_id: str,
    metadata: dict[str, Any],
    fetched: Fetched,
    info: RequestInfo,
) -> int:
    expires_at = timezone.now() + timedelta(seconds=fetched.cache_seconds)
    try:
        with transaction.atomic():
            client = (
                Client.objects.select_for_update()
                .filter(workspace=workspace, client_id=client_id)
                .first()
            )
            created = client is None
            if client is None:
                client = Client(workspace=workspace, client_id=client_id, registration_source=CIMD)
            elif client.registration_source != CIMD:
                raise CIMDRefused(
                    "another client of this workspace already has this client_id",
                    rule="cimd.client_id",
                )
            changed = created or client.metadata != metadata
            apply_metadata(client, metadata, dcr)
            client.cimd_expires_at = expires_at
            client.save()
            audit.record(
                workspace=workspace,
                event=AuditEvent.Event.REGISTER if created else AuditEvent.Event.UPDATE,
                operation=OPERATION,
                client_id=client_id,
                description="from its Client ID Metadata Document"
                + ("" if created else (" (changed)" if changed else " (unchanged)")),
                info=info,
            )
    except IntegrityError:
        # Another process stored the same document first: use its row.
        winner = Client.objects.filter(
            workspace=workspace, client_id=client_id, registration_source=CIMD
        ).first()
        if winner is None:
            raise CIMDRefused(
                "the client could not be stored; retry",
                rule="cimd.client_id",
                transient=True,
                back_off=False,
            ) from None
        return winner.pk
    return client.pk
