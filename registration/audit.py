"""The audit trail: who did what to which client, from where, and which rule refused.

Nothing secret is ever passed in: events carry ids, codes and rule names, never tokens,
secrets or metadata values.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet

from dcr_server.prepared import PreparedInsert
from operations import metrics
from operations.request_id import current_request_id
from registration.errors import RegistrationError
from registration.models import AuditEvent
from registration.sources import source_key
from tenants.models import Workspace

MAX_DESCRIPTION = 500
REFUSAL_WINDOW = 60
"""Seconds: refusals of one kind from one source within a window share one audit row."""

# An audit row goes with every API call: its INSERT is compiled once (dcr_server/prepared.py).
_AUDIT_INSERT: PreparedInsert[AuditEvent] = PreparedInsert(AuditEvent)


@dataclass(frozen=True)
class RequestInfo:
    """Where a request came from, for the audit trail and the policy."""

    source_ip: str | None = None
    user_agent: str = ""
    actor: str = "api"
    protection: str = ""
    software_statement_issuer: str = ""

    def with_protection(
        self, *, protection: str, software_statement_issuer: str | None
    ) -> RequestInfo:
        return RequestInfo(
            source_ip=self.source_ip,
            user_agent=self.user_agent,
            actor=self.actor,
            protection=protection,
            software_statement_issuer=software_statement_issuer or "",
        )


CLI = RequestInfo(actor="cli")


def _text(value: str, limit: int) -> str:
    """Printable text for a column: no NUL (PostgreSQL refuses it), bounded length."""
    return value.replace("\x00", "")[:limit]


def record(
    *,
    workspace: Workspace,
    event: str,
    info: RequestInfo,
    client_id: str = "",
    outcome: str = "ok",
    rule: str = "",
    description: str = "",
    operation: str = "",
) -> AuditEvent:
    """Write one event (inside the caller's transaction when it has one)."""
    return _AUDIT_INSERT.insert(
        build(
            workspace=workspace,
            event=event,
            info=info,
            client_id=client_id,
            outcome=outcome,
            rule=rule,
            description=description,
            operation=operation,
        )
    )


def build(
    *,
    workspace: Workspace,
    event: str,
    info: RequestInfo,
    client_id: str = "",
    outcome: str = "ok",
    rule: str = "",
    description: str = "",
    operation: str = "",
    count: bool = True,
) -> AuditEvent:
    """The event, not yet written (a combined statement writes it with its change).

    Every event passes here, whichever statement writes it, so the metrics count it here: once
    the caller's transaction commits (operations.metrics.audit_event). ``count`` False: the
    caller writes it outside a transaction with a statement that may write nothing (a
    compare-and-swap), and calls ``count_written`` once it did."""
    if count:
        metrics.audit_event(
            workspace=workspace,
            event=event,
            operation=operation,
            outcome=outcome,
            rule=rule,
            actor=info.actor,
        )
    return AuditEvent(
        workspace=workspace,
        event=event,
        operation=operation,
        client_id=_text(client_id, 255),
        outcome=_text(outcome, 64),
        rule=_text(rule, 100),
        description=_text(description, MAX_DESCRIPTION),
        source_ip=info.source_ip or None,
        user_agent=_text(info.user_agent, 255),
        protection=_text(info.protection, 100),
        software_statement_issuer=_text(info.software_statement_issuer, 255),
        actor=_text(info.actor, 150),
        request_id=current_request_id(),
    )


def count_written(event: AuditEvent) -> None:
    """Count an event built with ``count=False`` in the metrics, now that it was written."""
    metrics.audit_event(
        workspace=event.workspace,
        event=event.event,
        operation=event.operation,
        outcome=event.outcome,
        rule=event.rule,
        actor=event.actor,
    )


def record_refusal(
    *,
    workspace: Workspace,
    operation: str,
    error: RegistrationError,
    info: RequestInfo,
    client_id: str = "",
    now: float | None = None,
) -> None:
    """Audit a refused request of the registration API (aggregated: ``record_refused``)."""
    record_refused(
        workspace=workspace,
        operation=operation,
        outcome=error.error,
        rule=error.rule or "",
        description=error.description,
        info=info,
        client_id=client_id,
        now=now,
    )


def record_refused(
    *,
    workspace: Workspace,
    operation: str,
    outcome: str,
    rule: str,
    description: str,
    info: RequestInfo,
    client_id: str = "",
    now: float | None = None,
) -> None:
    """Audit a refused request, aggregated so that abuse cannot fill the database.

    Refusals with the same workspace, operation, error code, rule and source (an IPv6 /64 is one
    source) within one ``REFUSAL_WINDOW`` share one ``refused`` row whose ``count`` grows; the
    row keeps the first refusal's time, client id and description. The row carries the
    aggregation key in ``aggregate_key``, unique in the database: of any number of app servers
    refusing the same source at once, exactly one inserts the window's row and every other
    refusal adds one to its count (an UPDATE, or after losing the race to insert, the
    IntegrityError and then the UPDATE). Runs outside the request's transaction (DRF's
    ``handle_exception`` comes after the view's atomic block has rolled back), so the row lock
    of the UPDATE is held for one statement only.
    """
    at = time.time() if now is None else now
    window = int(at // REFUSAL_WINDOW)
    identity = "|".join([str(workspace.pk), operation, outcome, rule, source_key(info.source_ip)])
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"{digest}:{window}"
    # Every refusal counts in the metrics, whichever row it lands in; counted here, outside the
    # savepoint below, so that losing the race to insert does not discard the count with it.
    metrics.audit_event(
        workspace=workspace,
        event=AuditEvent.Event.REFUSED,
        operation=operation,
        outcome=outcome,
        rule=rule,
        actor=info.actor,
    )
    if _count_into(key):
        return
    row = build(
        workspace=workspace,
        event=AuditEvent.Event.REFUSED,
        operation=operation,
        client_id=client_id,
        outcome=outcome,
        rule=rule,
        description=description,
        info=info,
        count=False,
    )
    row.aggregate_key = key
    try:
        with transaction.atomic():
            _AUDIT_INSERT.insert(row)
    except IntegrityError:
        # Another app server inserted the window's row between our UPDATE and our INSERT.
        _count_into(key)


def _count_into(aggregate_key: str) -> bool:
    """Add one refusal to the window's row, if it exists."""
    return bool(AuditEvent.objects.filter(aggregate_key=aggregate_key).update(count=F("count") + 1))


def record_configure(*, workspace: Workspace, actor: str, changed: list[str]) -> AuditEvent:
    """CONTRACT: a settings change is an event ``configure`` with the actor and the changed
    field names; never a value (keys, policies and secrets stay out of the trail)."""
    row = AuditEvent(
        workspace=workspace,
        event=AuditEvent.Event.CONFIGURE,
        actor=_text(actor, 150),
        changed_fields=sorted(changed),
        description=_text("changed: " + ", ".join(sorted(changed)), MAX_DESCRIPTION),
    )
    return _AUDIT_INSERT.insert(row)


def events(*, workspace: Workspace, since: datetime | None = None) -> QuerySet[AuditEvent]:
    """The workspace's events, oldest first."""
    found = AuditEvent.objects.filter(workspace=workspace)
    if since is not None:
        found = found.filter(time__gte=since)
    return found.order_by("time", "pk")


def event_data(event: AuditEvent) -> dict[str, Any]:
    """The ``dcr audit --json`` shape (contract: time, event, client_id, outcome, rule, source_ip)."""
    data: dict[str, Any] = {
        "time": event.time.isoformat(),
        "event": event.event,
        "outcome": event.outcome,
        "source_ip": event.source_ip,
        "request_id": event.request_id,
    }
    if event.client_id:
        data["client_id"] = event.client_id
    if event.rule:
        data["rule"] = event.rule
    if event.operation:
        data["operation"] = event.operation
    if event.event == AuditEvent.Event.REFUSED:
        data["count"] = event.count  # refusals this row stands for (aggregated per minute)
    data.update(
        {
            "actor": event.actor,
            "user_agent": event.user_agent,
            "protection": event.protection,
            "software_statement_issuer": event.software_statement_issuer or None,
            "description": event.description,
        }
    )
    if event.event == AuditEvent.Event.CONFIGURE:
        data["changed_fields"] = list(event.changed_fields)
    return data
