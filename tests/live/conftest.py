"""``bin/serve`` as the tests' server: the production configuration, several workers and threads,
on the test database (SQLite file or PostgreSQL), in its own process group.

Tests here are marked ``live`` and use the transactional database (the server is another
process: it sees only committed rows). ``start_server`` starts one instance and stops it at the
end of the test; call it twice for two app servers sharing the database (and Redis).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.protections.conftest import ec_key

__all__ = ["ec_key"]  # a fixture too (signed request bodies)

BASE_DIR = Path(__file__).resolve().parents[2]
SERVE = BASE_DIR / "bin" / "serve"
LISTENING = re.compile(r"Listening at: http://([^\s]+) ")

pytestmark = pytest.mark.live


def database_url() -> str:
    """The URL of the database the tests use, for the server process."""
    db = connection.settings_dict
    name = db["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


@dataclass
class LiveServer:
    process: subprocess.Popen[str]
    url: str
    log: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """SIGTERM to gunicorn's master (bin/serve execs it); its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def server_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DCR_", "DATABASE_URL", "REDIS_URL", "PYTEST"))
    }
    env.update(
        {
            # The virtualenv running the tests is the python bin/serve finds first on PATH.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "HOST": "127.0.0.1",
            "PORT": "0",
            "WORKERS": "2",
            "THREADS": "4",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE": "0",  # plain http on loopback
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DCR_ENCRYPTION_KEYS": ",".join(settings.DCR_ENCRYPTION_KEYS),
            "DATABASE_URL": database_url(),
            "DCR_FETCH_ALLOW_PRIVATE_ADDRESSES": "0",
            "GUNICORN_LOG_LEVEL": "warning",
        }
    )
    env.update(overrides)
    return env


def launch(**overrides: str) -> LiveServer:
    """Start ``bin/serve``; returns once it listens (the port it chose is read from its log)."""
    process = subprocess.Popen(
        [str(SERVE)],
        cwd=BASE_DIR,
        env=server_env(GUNICORN_LOG_LEVEL="info", **overrides),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    log: list[str] = []
    found = threading.Event()
    address: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            match = LISTENING.search(line)
            if match and not address:
                address.append(match.group(1))
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 60
    while not found.wait(0.1):
        if time.monotonic() > deadline:
            break
    if not address:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError("bin/serve did not start:\n" + "".join(log))
    server = LiveServer(process=process, url=f"http://{address[0]}", log=log)
    _wait_until_workers_answer(server)
    return server


def _wait_until_workers_answer(server: LiveServer) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"{server.url}/default/default/.well-known/jwks.json", timeout=5
            ):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise AssertionError("bin/serve never answered:\n" + "".join(server.log))


@pytest.fixture
def start_server(transactional_db: None) -> Iterator[Callable[..., LiveServer]]:
    """``start_server(**env)``: a running ``bin/serve`` on the test database, stopped afterwards."""
    started: list[LiveServer] = []

    def start(**overrides: str) -> LiveServer:
        server = launch(**overrides)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def served(start_server: Callable[..., LiveServer], workspace: Any) -> LiveServer:
    """One ``bin/serve`` on default/default (DCR enabled)."""
    return start_server()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of its own for the servers under test (``DCR_TEST_REDIS_URL``, default
    ``redis://127.0.0.1:6379/5``), emptied before and after. Skipped when Redis does not answer,
    unless ``DCR_TEST_REQUIRE_REDIS=1`` (as in ``.ci/run``) makes that a failure."""
    import redis

    url = os.environ.get("DCR_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("DCR_TEST_REQUIRE_REDIS") == "1":
            raise AssertionError(f"Redis at {url} does not answer: {exc}") from exc
        pytest.skip(f"Redis at {url} does not answer ({exc}); set DCR_TEST_REDIS_URL")
    client.flushdb()  # this test database only, never FLUSHALL
    yield url
    client.flushdb()
    client.close()
