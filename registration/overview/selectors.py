"""The overview's numbers: aggregated in SQL, one query per chart, scoped to one workspace."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from registration.models import AuditEvent, Client
from tenants.models import Workspace

DAYS = 30
# Short names for the chart; any other value shows its model label, or the raw value.
SOURCE_LABELS = {"dcr": "DCR", "manual": "Manual", "cimd": "CIMD"}


@dataclass(frozen=True)
class DayCount:
    """One calendar day (in the site's time zone): registrations accepted and refused."""

    day: datetime.date
    registered: int
    refused: int


@dataclass(frozen=True)
class SourceCount:
    """How many of the workspace's clients came from one ``registration_source``."""

    source: str
    label: str
    count: int


def _window(*, days: int, now: datetime.datetime | None) -> tuple[datetime.date, datetime.datetime]:
    """The window's first calendar day and the instant it begins, in the current time zone."""
    first = timezone.localdate(now or timezone.now()) - datetime.timedelta(days=days - 1)
    return first, timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))


def registrations_per_day(
    *, workspace: Workspace, days: int = DAYS, now: datetime.datetime | None = None
) -> list[DayCount]:
    """The last ``days`` calendar days, oldest first, today included; days without events are 0.

    Registered: ``register`` events (written only for a registration that was saved). Refused:
    ``refused`` events whose ``operation`` is ``register`` (a refusal is stored as event
    ``refused`` with the attempted operation, registration/audit.py ``record_refusal``); refused
    reads, updates and deletes of existing clients are not registrations and are left out.
    Days are bucketed in the current time zone (``TIME_ZONE``, or one activated for the request)
    by the database: one query on SQLite and PostgreSQL alike.
    """
    first, start = _window(days=days, now=now)
    tz = timezone.get_current_timezone()
    rows = (
        AuditEvent.objects.filter(workspace=workspace, time__gte=start)
        .filter(
            Q(event=AuditEvent.Event.REGISTER)
            | Q(event=AuditEvent.Event.REFUSED, operation=AuditEvent.Event.REGISTER)
        )
        .annotate(day=TruncDate("time", tzinfo=tz))
        .values("day", "event")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[datetime.date, str], int] = {
        (row["day"], row["event"]): row["n"] for row in rows
    }
    result = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        result.append(
            DayCount(
                day=day,
                registered=counts.get((day, AuditEvent.Event.REGISTER), 0),
                refused=counts.get((day, AuditEvent.Event.REFUSED), 0),
            )
        )
    return result


def clients_by_source(*, workspace: Workspace) -> list[SourceCount]:
    """The workspace's clients counted per ``registration_source``, largest first.

    Every value present is shown, so a source added later (``cimd``) appears without a change
    here; known values get their display label from the model's choices, unknown ones their raw
    value. One query.
    """
    labels = {
        str(value): str(label)
        for value, label in Client._meta.get_field("registration_source").flatchoices
    }
    labels.update(SOURCE_LABELS)
    rows = (
        Client.objects.filter(workspace=workspace)
        .values("registration_source")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = [
        SourceCount(
            source=row["registration_source"],
            label=labels.get(row["registration_source"], row["registration_source"]),
            count=row["n"],
        )
        for row in rows
    ]
    return sorted(found, key=lambda item: (-item.count, item.source))
