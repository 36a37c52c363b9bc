"""SQLite for the embedded default: writers queue on an OS file lock, not in SQLite's busy loop.

Every write transaction starts with ``BEGIN IMMEDIATE`` (``transaction_mode`` in settings), so it
holds SQLite's write lock from its first statement. A second writer then waits in SQLite's busy
handler, which polls with sleeps of 1, 2, 5, 10, ... up to 100 ms: under concurrent writes the
cores idle while requests sleep, and the latency tail grows to hundreds of milliseconds.

Here a connection first takes an exclusive ``flock`` on ``<database file>-writers.lock`` and
only then begins; the kernel hands the lock to the next waiter the moment it is released (commit,
rollback or close, and a killed process releases it too), so writers run back to back. SQLite's
own locking still guarantees correctness: the file lock only orders who asks for it, and writes
outside ``transaction.atomic`` still use the busy timeout.

A waiter blocks for as long as the transaction ahead of it stays open; no transaction in this
project waits on anything but the database (fetches happen before ``atomic``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base, creation


def writers_lock_path(database_name: str | os.PathLike[str]) -> str:
    return f"{database_name}-writers.lock"


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name: Any, verbosity: int) -> None:
        super()._destroy_test_db(test_database_name, verbosity)  # type: ignore[misc]
        if test_database_name and not self.is_in_memory_db(test_database_name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(writers_lock_path(test_database_name))


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writers_lock_fd: int | None = None
        self._holds_writers_lock = False

    def _writers_lock(self) -> int | None:
        """This connection's own descriptor of the lock file (None for in-memory databases)."""
        if self._writers_lock_fd is None and not self.is_in_memory_db():
            path = writers_lock_path(self.settings_dict["NAME"])
            self._writers_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._writers_lock_fd

    def _acquire_writers_lock(self) -> None:
        fd = self._writers_lock()
        if fd is not None and not self._holds_writers_lock:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._holds_writers_lock = True

    def _release_writers_lock(self) -> None:
        if self._holds_writers_lock and self._writers_lock_fd is not None:
            self._holds_writers_lock = False
            fcntl.flock(self._writers_lock_fd, fcntl.LOCK_UN)

    # The hooks below are private to Django's backends; django-stubs does not declare them.
    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writers_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writers_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writers_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writers_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writers_lock()
            if self._writers_lock_fd is not None:
                os.close(self._writers_lock_fd)
                self._writers_lock_fd = None
