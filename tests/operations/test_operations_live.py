"""Under the production server (gunicorn, two worker processes): readiness follows the database
and the cache, metrics are summed over the workers, request ids reach the logs and the audit."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from registration.models import AuditEvent
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, basic
from tests.operations.live import Gunicorn, TCPProxy

REDIS_HOST = ("127.0.0.1", 6379)
REDIS_DB = 8
REGISTER = "/default/default/oauth2/register"
TOKEN = "/default/default/oauth2/token"
WS = "default/default"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis(*REDIS_HOST, db=REDIS_DB, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _database_url(port: int | None = None) -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = urllib.parse.quote(settings.get("USER") or "postgres")
    password = settings.get("PASSWORD") or ""
    auth = f"{user}:{urllib.parse.quote(password)}" if password else user
    host, db_port = settings.get("HOST") or "127.0.0.1", port or settings.get("PORT") or 5432
    if port:
        host = "127.0.0.1"
    return f"postgres://{auth}@{host}:{db_port}/{settings['NAME']}"


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[Gunicorn] = []

    def start(**env: str) -> Gunicorn:
        server = Gunicorn(tmp_path, {"DATABASE_URL": _database_url(), **env}).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _ready(server: Gunicorn) -> tuple[int, dict[str, Any]]:
    status, body = server.get("/health/ready")
    return status, json.loads(body)


def _wait_for(server: Gunicorn, status: int, timeout: float = 20) -> dict[str, Any]:
    """Poll /health/ready until it answers ``status`` (each probe itself is bounded)."""
    deadline = time.monotonic() + timeout
    last: tuple[int, dict[str, Any]] = (0, {})
    while time.monotonic() < deadline:
        last = _ready(server)
        if last[0] == status:
            return last[1]
        time.sleep(0.2)
    raise AssertionError(f"/health/ready never answered {status}; last: {last}")


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis at 127.0.0.1:6379")
def test_readiness_follows_the_cache_and_the_database(
    workspace: Workspace, server_factory: Any
) -> None:
    cache_proxy = TCPProxy(REDIS_HOST).start()
    env = {"REDIS_URL": f"redis://127.0.0.1:{cache_proxy.port}/{REDIS_DB}"}
    db_proxy = None
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        db_proxy = TCPProxy(
            (settings.get("HOST") or "127.0.0.1", int(settings.get("PORT") or 5432))
        )
        db_proxy.start()
        env["DATABASE_URL"] = _database_url(db_proxy.port)
    try:
        server = server_factory(**env, DCR_HEALTH_TIMEOUT="2")
        assert _wait_for(server, HTTPStatus.OK)["checks"] == {
            "database": {"status": "ok"},
            "cache": {"status": "ok"},
        }

        cache_proxy.stop()
        body = _wait_for(server, HTTPStatus.SERVICE_UNAVAILABLE)
        assert body["failing"] == ["cache"]
        assert body["checks"]["database"] == {"status": "ok"}
        assert server.get("/health/live")[0] == HTTPStatus.OK  # alive, only not ready
        cache_proxy.start()
        assert _wait_for(server, HTTPStatus.OK)["status"] == "ok"

        if db_proxy is not None:
            db_proxy.stop()
            body = _wait_for(server, HTTPStatus.SERVICE_UNAVAILABLE)
            assert body["failing"] == ["database"]
            assert body["checks"]["cache"] == {"status": "ok"}
            assert server.get("/health/live")[0] == HTTPStatus.OK
            db_proxy.start()
            assert _wait_for(server, HTTPStatus.OK)["status"] == "ok"
    finally:
        cache_proxy.stop()
        if db_proxy is not None:
            db_proxy.stop()
    failures = [
        record
        for record in server.log_records()
        if record.get("logger") == "operations.health" and "failed" in record["message"]
    ]
    assert failures, "the outage was not logged"


Series = tuple[str, frozenset[tuple[str, str]]]


def _scrape(server: Gunicorn) -> dict[Series, float]:
    """Every sample of one scrape, parsed by prometheus-client's own parser."""
    status, body = server.get("/metrics")
    assert status == HTTPStatus.OK
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def _series(name: str, **labels: str) -> Series:
    return name, frozenset(labels.items())


def test_metrics_are_summed_over_two_workers(
    workspace: Workspace, server_factory: Any, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left by an earlier run")
    server = server_factory(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    assert not (metrics_dir / "counter_1.db").exists()  # wiped at server start
    before = _scrape(server)
    json_headers = {"Content-Type": "application/json"}
    registered: list[dict[str, Any]] = []
    lock = threading.Lock()

    def register_some(count: int, index: int) -> None:
        for number in range(count):
            status, _headers, body = server.call(
                "POST",
                REGISTER,
                json.dumps(SERVICE_CLIENT).encode(),
                {**json_headers, "X-Request-ID": f"live-{index}-{number}"},
            )
            assert status == HTTPStatus.CREATED, body
            with lock:
                registered.append(json.loads(body))

    def register_pids() -> set[int]:
        return {
            record["process"]
            for record in server.log_records()
            if record.get("logger") == "dcr.access" and record.get("route") == "register"
        }

    # Parallel batches until both workers have served registrations (the kernel picks which).
    for _batch in range(10):
        threads = [threading.Thread(target=register_some, args=(3, i)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        if len(register_pids()) >= 2:
            break
    assert len(register_pids()) >= 2, "one worker served every registration"
    registrations = len(registered)

    refusals = 0
    for _ in range(4):
        status, _h, _b = server.call(
            "POST",
            REGISTER,
            json.dumps({**WEB_CLIENT, "redirect_uris": "x"}).encode(),
            json_headers,
        )
        assert status == HTTPStatus.BAD_REQUEST
        refusals += 1
    tokens = 0
    for client in registered[:6]:
        status, _h, body = server.call(
            "POST",
            TOKEN,
            urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": basic(client["client_id"], client["client_secret"])[
                    "HTTP_AUTHORIZATION"
                ],
            },
        )
        assert status == HTTPStatus.OK, body
        tokens += 1

    ok = _series("dcr_registrations_total", workspace=WS, outcome="ok")
    refused = _series("dcr_registrations_total", workspace=WS, outcome="invalid_client_metadata")
    by_rule = _series("dcr_registration_refusals_total", workspace=WS, rule="redirect_uris")
    issued = _series("dcr_tokens_issued_total", workspace=WS, grant_type="client_credentials")
    # Every scrape agrees, whichever worker answers it.
    for _ in range(6):
        after = _scrape(server)
        assert after.get(ok, 0) - before.get(ok, 0) == registrations
        assert after.get(refused, 0) - before.get(refused, 0) == refusals
        assert after.get(by_rule, 0) - before.get(by_rule, 0) == refusals
        assert after.get(issued, 0) - before.get(issued, 0) == tokens

    # Request ids end to end: the id sent is in the response, the access log line, the audit row.
    status, headers, _body = server.call(
        "POST",
        REGISTER,
        json.dumps(SERVICE_CLIENT).encode(),
        {**json_headers, "X-Request-ID": "e2e-1"},
    )
    assert status == HTTPStatus.CREATED and headers["X-Request-ID"] == "e2e-1"
    assert AuditEvent.objects.get(request_id="e2e-1").event == "register"
    lines = [record for record in server.log_records() if record.get("request_id") == "e2e-1"]
    assert [(line["logger"], line["route"], line["status"]) for line in lines] == [
        ("dcr.access", "register", 201)
    ]
    # gunicorn's own lines are JSON objects too (log_records parses every line).
    assert any(record.get("logger") == "gunicorn.error" for record in server.log_records())
