"""The overview's numbers: per-day registrations and refusals, clients by source."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from registration.overview.selectors import clients_by_source, registrations_per_day
from tenants.models import Workspace
from tests.overview.conftest import NOW, AddClient, AddEvent

DAY = datetime.timedelta(days=1)


def by_day(workspace: Workspace, **kwargs: object) -> dict[datetime.date, tuple[int, int]]:
    return {
        d.day: (d.registered, d.refused)
        for d in registrations_per_day(workspace=workspace, now=NOW, **kwargs)  # type: ignore[arg-type]
    }


def test_thirty_days_oldest_first_ending_today_with_empty_days(workspace: Workspace) -> None:
    days = registrations_per_day(workspace=workspace, now=NOW)
    assert len(days) == 30
    assert days[-1].day == datetime.date(2026, 3, 10)
    assert days[0].day == datetime.date(2026, 2, 9)
    assert [d.day for d in days] == sorted(d.day for d in days)
    assert all(d.registered == 0 and d.refused == 0 for d in days)


def test_counts_registrations_and_refused_registrations_per_day(
    workspace: Workspace, add_event: AddEvent
) -> None:
    add_event(workspace, "register", at=NOW)
    add_event(workspace, "register", at=NOW - datetime.timedelta(hours=14))  # 01:00 same day
    add_event(workspace, "refused", operation="register", at=NOW)
    add_event(workspace, "register", at=NOW - 2 * DAY)
    add_event(workspace, "refused", operation="register", at=NOW - 29 * DAY)
    counts = by_day(workspace)
    assert counts[datetime.date(2026, 3, 10)] == (2, 1)
    assert counts[datetime.date(2026, 3, 9)] == (0, 0)  # an empty day in between
    assert counts[datetime.date(2026, 3, 8)] == (1, 0)
    assert counts[datetime.date(2026, 2, 9)] == (0, 1)  # the first day of the window


def test_events_before_the_window_are_left_out(workspace: Workspace, add_event: AddEvent) -> None:
    first_instant = datetime.datetime(2026, 2, 9, tzinfo=datetime.UTC)
    add_event(workspace, "register", at=first_instant - datetime.timedelta(seconds=1))
    add_event(workspace, "register", at=first_instant)
    counts = by_day(workspace)
    assert sum(r for r, _ in counts.values()) == 1
    assert counts[datetime.date(2026, 2, 9)] == (1, 0)


def test_other_events_and_refusals_of_other_operations_are_not_counted(
    workspace: Workspace, add_event: AddEvent
) -> None:
    for event in ("read", "update", "delete", "reissue", "configure"):
        add_event(workspace, event, at=NOW)
    for operation in ("read", "update", "delete"):
        add_event(workspace, "refused", operation=operation, at=NOW)
    assert by_day(workspace)[datetime.date(2026, 3, 10)] == (0, 0)


def test_another_workspaces_events_are_excluded(
    workspace: Workspace, other_workspace: Workspace, add_event: AddEvent
) -> None:
    add_event(other_workspace, "register", at=NOW)
    add_event(other_workspace, "refused", operation="register", at=NOW)
    add_event(workspace, "register", at=NOW)
    assert by_day(workspace)[datetime.date(2026, 3, 10)] == (1, 0)
    assert by_day(other_workspace)[datetime.date(2026, 3, 10)] == (1, 1)


@pytest.mark.parametrize(
    ("zone", "expected_day"),
    [
        ("UTC", datetime.date(2026, 3, 10)),
        # 03:00 UTC is 23:00 the evening before in New York (UTC-4 after 8 March 2026).
        ("America/New_York", datetime.date(2026, 3, 9)),
        # ... and 12:00 the same day in Tokyo.
        ("Asia/Tokyo", datetime.date(2026, 3, 10)),
    ],
)
def test_days_are_calendar_days_of_the_current_time_zone(
    workspace: Workspace, add_event: AddEvent, zone: str, expected_day: datetime.date
) -> None:
    add_event(workspace, "register", at=datetime.datetime(2026, 3, 10, 3, 0, tzinfo=datetime.UTC))
    with timezone.override(zone):
        counts = by_day(workspace)
    assert counts[expected_day] == (1, 0)
    assert sum(r for r, _ in counts.values()) == 1


def test_the_window_starts_at_local_midnight(workspace: Workspace, add_event: AddEvent) -> None:
    # In New York the window's first day is 9 February, beginning 05:00 UTC (UTC-5 in winter).
    add_event(workspace, "register", at=datetime.datetime(2026, 2, 9, 4, 59, tzinfo=datetime.UTC))
    add_event(workspace, "register", at=datetime.datetime(2026, 2, 9, 5, 0, tzinfo=datetime.UTC))
    with timezone.override("America/New_York"):
        days = registrations_per_day(workspace=workspace, now=NOW)
    assert days[0].day == datetime.date(2026, 2, 9)
    assert (days[0].registered, sum(d.registered for d in days)) == (1, 1)


def test_per_day_counts_take_one_query(
    workspace: Workspace, add_event: AddEvent, django_assert_num_queries: object
) -> None:
    for offset in range(10):
        add_event(workspace, "register", at=NOW - offset * DAY)
        add_event(workspace, "refused", operation="register", at=NOW - offset * DAY)
    with django_assert_num_queries(1):  # type: ignore[operator]
        days = registrations_per_day(workspace=workspace, now=NOW)
    assert sum(d.registered for d in days) == 10


def test_clients_by_source_counts_every_source_largest_first(
    workspace: Workspace, other_workspace: Workspace, add_client: AddClient
) -> None:
    for _ in range(3):
        add_client(workspace, "dcr")
    add_client(workspace, "manual")
    add_client(workspace, "cimd")
    add_client(workspace, "cimd")
    add_client(other_workspace, "manual")
    add_client(other_workspace, "manual")
    found = [(s.source, s.label, s.count) for s in clients_by_source(workspace=workspace)]
    assert found == [("dcr", "DCR", 3), ("cimd", "CIMD", 2), ("manual", "Manual", 1)]


def test_an_unknown_source_is_shown_by_its_value(
    workspace: Workspace, add_client: AddClient
) -> None:
    add_client(workspace, "federation")
    assert [(s.label, s.count) for s in clients_by_source(workspace=workspace)] == [
        ("federation", 1)
    ]


def test_clients_by_source_takes_one_query(
    workspace: Workspace, add_client: AddClient, django_assert_num_queries: object
) -> None:
    for source in ("dcr", "dcr", "manual", "cimd"):
        add_client(workspace, source)
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert len(clients_by_source(workspace=workspace)) == 3
