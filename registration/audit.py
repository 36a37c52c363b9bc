"""The audit trail: who did what to which client, from where, and which rule refused.

Nothing secret is ever passed in: events carry ids, codes and rule names, never tokens,
secrets or metadata values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from dcr_server.prepared import PreparedInsert
from registration.errors import RegistrationError
from registration.models import AuditEvent
from tenants.models import Workspace

MAX_DESCRIPTION = 500

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
    event_row = AuditEvent(
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
    )
    return _AUDIT_INSERT.insert(event_row)


def record_refusal(
    *,
    workspace: Workspace,
    operation: str,
    error: RegistrationError,
    info: RequestInfo,
    client_id: str = "",
) -> AuditEvent:
    return record(
        workspace=workspace,
        event=AuditEvent.Event.REFUSED,
        operation=operation,
        client_id=client_id,
        outcome=error.error,
        rule=error.rule or "",
        description=error.description,
        info=info,
    )


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
    }
    if event.client_id:
        data["client_id"] = event.client_id
    if event.rule:
        data["rule"] = event.rule
    if event.operation:
        data["operation"] = event.operation
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
