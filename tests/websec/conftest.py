"""Fixtures for the browser-facing security of the admin and sign-in pages: CSP, static files,
login throttling. ``app_servers`` starts real gunicorn processes on the test's database."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from bench.servers import Server, free_port

PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery 42"
StartServer = Callable[[], Server]


def csp_directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


@pytest.fixture
def staff_user(db: None) -> Any:
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def end_user(db: None) -> Any:
    return get_user_model().objects.create_user(username="alice", password=PASSWORD)


def _database_url() -> str:
    """The URL of the database this test runs on (the test database), for a child process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def app_servers(transactional_db: None, tmp_path: Path) -> Iterator[StartServer]:
    """Start gunicorn app servers (DEBUG off, WhiteNoise) sharing this test's database.

    Each call starts one more process on its own free loopback port; all are stopped (by their
    own process group) when the test ends.
    """
    started: list[Server] = []

    def _start() -> Server:
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DCR_", "DATABASE_URL"))
        }
        env.update(
            # The production settings plus the suite's password hasher (users made by the test
            # must be able to sign in) and its host names.
            DJANGO_SETTINGS_MODULE="dcr_server.settings_test",
            DJANGO_SECRET_KEY="test-only-secret-key-for-live-app-servers-0123456789",
            DJANGO_DEBUG="0",
            DJANGO_SECURE="0",  # plain http on loopback
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=_database_url(),
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "dcr_server.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ]
        server = Server(command, port=port, env=env, log=tmp_path / f"gunicorn-{port}.log")
        started.append(server)
        server.start("/admin/login/", cwd=PROJECT)
        return server

    yield _start
    for server in started:
        server.stop()
