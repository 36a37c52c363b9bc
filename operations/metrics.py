"""The Prometheus metrics, and one small function per event, called where the event is decided.

Counters and one histogram only (no gauges): under gunicorn every worker writes its own values
to ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` sums them (``operations.exposition``), so a
count agrees whichever worker answers the scrape. Every label value goes through
``operations.labels``, so no client can create series (no client id, URL or raw path).

Registration outcomes and refusals are recorded from the audit trail (``registration.audit``),
the single place every registration-endpoint event passes; tokens from the DOT validator's
``save_bearer_token``; key sets from ``registration.jose.keysets``; rate limits from
``registration.ratelimit``; database outages from ``dcr_server.resilience``.
"""

from __future__ import annotations

from django.db import transaction
from prometheus_client import Counter, Histogram

from operations import labels
from tenants.context import active_workspace
from tenants.models import Workspace

REGISTRATIONS = Counter(
    "dcr_registrations_total",
    "RFC 7591 registration requests by outcome (ok or the error code).",
    ["workspace", "outcome"],
)
REGISTRATION_REFUSALS = Counter(
    "dcr_registration_refusals_total",
    "Refused registration requests by the policy key or check that refused.",
    ["workspace", "rule"],
)
CLIENT_MANAGEMENT = Counter(
    "dcr_client_management_total",
    "RFC 7592 read, update and delete requests by outcome (ok or the error code).",
    ["workspace", "operation", "outcome"],
)
TOKENS_ISSUED = Counter(
    "dcr_tokens_issued_total",
    "Access tokens issued by the token endpoint, by grant type.",
    ["workspace", "grant_type"],
)
RATE_LIMITED = Counter(
    "dcr_rate_limited_total",
    "Requests refused with 429 by a rate limit, by the limit's rule.",
    ["workspace", "rule"],
)
DATABASE_UNAVAILABLE = Counter(
    "dcr_database_unavailable_total",
    "API requests answered 503 temporarily_unavailable because the database failed.",
)
KEYSET_FETCHES = Counter(
    "dcr_keyset_fetches_total",
    "Fetches of JWKS URIs (software statements, signed requests, clients' jwks_uri).",
    ["workspace", "kind", "outcome"],
)
KEYSET_LOOKUPS = Counter(
    "dcr_keyset_lookups_total",
    "Key-set lookups by cache state: cached, fetched, stale (URI failing, last good keys "
    "served) or unavailable (no keys at all).",
    ["workspace", "kind", "result"],
)
CIMD_FETCHES = Counter(
    "dcr_cimd_fetches_total",
    "Client ID Metadata Document lookups: ok, cached, invalid, unreachable or refused.",
    ["workspace", "outcome"],
)
READINESS_FAILURES = Counter(
    "dcr_readiness_check_failures_total",
    "Readiness checks (GET /health/ready) that failed, by check.",
    ["check"],
)
REQUEST_DURATION = Histogram(
    "dcr_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL pattern (never the raw path), method and status.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def _workspace(workspace: Workspace | None) -> str:
    return labels.workspace(workspace if workspace is not None else active_workspace())


def audit_event(
    *, workspace: Workspace, event: str, operation: str, outcome: str, rule: str, actor: str
) -> None:
    """A registration-endpoint event (the audit trail's): counted once its transaction commits.

    ``register`` and refusals of a registration count in ``dcr_registrations_total`` (refusals
    also by rule); reads, updates, deletes and their refusals in ``dcr_client_management_total``.
    Administrators' acts (the CLI, the admin: reissue, configure, deletes) are not counted.
    """
    if actor != "api":
        return
    refused = event == "refused"
    if not refused:
        if event != "register" and event not in labels.MANAGEMENT_OPERATIONS:
            return
        operation, outcome = event, "ok"
    if operation != "register" and operation not in labels.MANAGEMENT_OPERATIONS:
        return
    ws, result = _workspace(workspace), labels.outcome(outcome)

    def count() -> None:
        if operation == "register":
            REGISTRATIONS.labels(ws, result).inc()
            if refused:
                REGISTRATION_REFUSALS.labels(ws, labels.rule(rule)).inc()
        else:
            CLIENT_MANAGEMENT.labels(ws, operation, result).inc()

    # Outside a transaction (refusals) this runs at once; inside, only if it commits.
    transaction.on_commit(count)


def token_issued(*, grant_type: str | None, workspace: Workspace | None = None) -> None:
    ws, grant = _workspace(workspace), labels.grant_type(grant_type)
    transaction.on_commit(lambda: TOKENS_ISSUED.labels(ws, grant).inc())


def rate_limited(*, rule: str | None, workspace: Workspace | None = None) -> None:
    RATE_LIMITED.labels(_workspace(workspace), labels.rule(rule)).inc()


def database_unavailable() -> None:
    DATABASE_UNAVAILABLE.inc()


def keyset_fetch(*, cache_namespace: str, ok: bool) -> None:
    kind = labels.keyset_kind(cache_namespace)
    KEYSET_FETCHES.labels(_workspace(None), kind, "ok" if ok else "error").inc()


def keyset_lookup(*, cache_namespace: str, result: str) -> None:
    kind = labels.keyset_kind(cache_namespace)
    value = result if result in labels.KEYSET_LOOKUPS else labels.OTHER
    KEYSET_LOOKUPS.labels(_workspace(None), kind, value).inc()


def cimd_fetch(*, outcome: str, workspace: Workspace | None = None) -> None:
    """A Client ID Metadata Document lookup (registration/cimd): ``ok`` (fetched and accepted),
    ``cached``, ``invalid`` (fetched, refused as a document), ``unreachable`` (network, status,
    size or timeout) or ``refused`` (the workspace's policy or trusted hosts)."""
    value = outcome if outcome in labels.CIMD_OUTCOMES else labels.OTHER
    CIMD_FETCHES.labels(_workspace(workspace), value).inc()


def readiness_failure(*, check: str) -> None:
    READINESS_FAILURES.labels(check).inc()


def request_finished(*, view: str, method: str | None, status: int, seconds: float) -> None:
    REQUEST_DURATION.labels(view, labels.method(method), labels.status(status)).observe(seconds)
