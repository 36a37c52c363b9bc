"""dcr_server.sqlite_backend: write transactions queue on a file lock, released however they end."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator

import pytest
from django.db import connection, connections, transaction

from dcr_server.sqlite_backend.base import writers_lock_path
from tenants.models import Tenant

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "sqlite" not in os.environ.get("DATABASE_URL", "sqlite"), reason="SQLite backend only"
    ),
]


@pytest.fixture
def lock_path() -> Iterator[str]:
    assert connection.vendor == "sqlite"
    yield writers_lock_path(connection.settings_dict["NAME"])


def held_by_someone(path: str) -> bool:
    """True when another descriptor holds the lock (flock locks belong to open files)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_held_for_the_transaction_and_released_on_commit(lock_path: str) -> None:
    with transaction.atomic():
        Tenant.objects.create(slug="inside", name="Inside")
        assert held_by_someone(lock_path)

    assert not held_by_someone(lock_path)
    assert Tenant.objects.filter(slug="inside").exists()


def test_released_on_rollback(lock_path: str) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        Tenant.objects.create(slug="rolled-back", name="Rolled back")
        raise RuntimeError("abort")

    assert not held_by_someone(lock_path)
    assert not Tenant.objects.filter(slug="rolled-back").exists()


def test_released_when_the_connection_closes_inside_a_transaction(lock_path: str) -> None:
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        assert held_by_someone(lock_path)
        connection.close()
        assert not held_by_someone(lock_path)
    finally:
        atomic.__exit__(None, None, None)


def test_a_second_writer_waits_then_runs_without_database_is_locked(lock_path: str) -> None:
    first_inside, let_first_commit = threading.Event(), threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                Tenant.objects.create(slug="first", name="First")
                first_inside.set()
                let_first_commit.wait(10)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_inside.wait(10)
            with transaction.atomic():
                Tenant.objects.create(slug="second", name="Second")
            second_done.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_inside.wait(10)
    # The second writer queues behind the first instead of failing or committing early.
    assert not second_done.wait(0.3)
    let_first_commit.set()
    for thread in threads:
        thread.join(10)

    assert errors == []
    assert second_done.is_set()
    assert set(
        Tenant.objects.filter(slug__in=["first", "second"]).values_list("slug", flat=True)
    ) == {
        "first",
        "second",
    }
    assert not held_by_someone(lock_path)
