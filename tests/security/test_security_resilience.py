"""Faults: the database down or too slow (503 ``temporarily_unavailable``, nothing half-written),
a worker killed inside a registration, and the shared cache down (the server keeps serving)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client as HttpClient
from django.test import RequestFactory

from dcr_server.resilience import DatabaseUnavailableMiddleware
from registration import statements, tokens
from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.models import AuditEvent, Client, DCRSettings, RegistrationAccessToken
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, basic, bearer, post_json
from tests.security.conftest import KeyPair, request_claims, requires_postgres

REGISTER = "/default/default/oauth2/register"
TOKEN = "/default/default/oauth2/token"
PROJECT = Path(__file__).resolve().parents[2]


def _after_the_client_row(monkeypatch: Any, fault: Any) -> None:
    """Run ``fault(client)`` where the per-row registration writes the token after the client.

    PostgreSQL registers in one statement (registration/statements.py), which cannot stop
    half-way; the per-row path it falls back to (and SQLite's) is the one to break.
    """
    monkeypatch.setattr(statements, "register_in_one_statement", lambda **_: None)
    monkeypatch.setattr(statements.TOKEN_INSERT, "insert", lambda record, **_: fault(record.client))


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert body["error_description"]


def _orphans() -> int:
    """Clients without their registration access token: a half-done registration."""
    return Client.objects.filter(
        registration_source=Client.RegistrationSource.DCR, registration_access_token__isnull=True
    ).count()


# -- the database fails inside a view: 503, nothing written ---------------------------------------
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_rfc6749_4_1_2_1_database_failure_after_the_client_row_is_503_and_rolled_back(
    resilient: None,
    api: HttpClient,
    workspace: Workspace,
    unchanged: Any,
    monkeypatch: Any,
    error: type,
) -> None:
    written: list[str] = []

    def failing_issue(client: Client) -> Any:
        assert Client.objects.filter(pk=client.pk).exists()  # the row is in the transaction
        written.append(client.client_id)
        raise error("server closed the connection unexpectedly")

    _after_the_client_row(monkeypatch, failing_issue)

    response = post_json(api, REGISTER, SERVICE_CLIENT)

    _assert_unavailable(response)
    assert written and not Client.objects.filter(client_id=written[0]).exists()
    unchanged()


def test_database_failure_on_read_is_503_and_the_token_still_works(
    resilient: None, api: HttpClient, registered: dict[str, Any], monkeypatch: Any
) -> None:
    uri = f"{REGISTER}/{registered['client_id']}"
    token = registered["registration_access_token"]

    def timeout(**kwargs: Any) -> None:
        raise OperationalError("timeout")

    with monkeypatch.context() as patch:
        patch.setattr(tokens, "rotate", timeout)  # SQLite: inside the read's transaction
        patch.setattr(statements, "rotate_in_one_statement", timeout)  # PostgreSQL: one statement
        _assert_unavailable(api.get(uri, **bearer(token)))

    assert api.get(uri, **bearer(token)).status_code == HTTPStatus.OK  # not rotated half-way


def test_database_failure_at_the_token_endpoint_is_503(
    resilient: None, api: HttpClient, service_client: dict[str, Any], monkeypatch: Any
) -> None:
    from dcr_server.oauth.validator import WorkspaceOAuth2Validator

    def down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(WorkspaceOAuth2Validator, "_load_application", down)

    response = api.post(
        TOKEN,
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )

    _assert_unavailable(response)


def test_only_connectivity_errors_on_api_paths_become_503() -> None:
    middleware = DatabaseUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    api_request = RequestFactory().post(REGISTER)
    admin_request = RequestFactory().get("/admin/")

    assert middleware.process_exception(api_request, OperationalError("x")) is not None
    assert middleware.process_exception(api_request, InterfaceError("x")) is not None
    # A bug or bad data is not an outage: it stays a 500 (rendered as JSON elsewhere).
    assert middleware.process_exception(api_request, IntegrityError("x")) is None
    assert middleware.process_exception(api_request, ValueError("x")) is None
    # The admin keeps Django's own error handling.
    assert middleware.process_exception(admin_request, OperationalError("x")) is None


# -- real PostgreSQL failures ---------------------------------------------------------------------
class RowLock:
    """Another connection holds the client's token row locked (FOR UPDATE) until released."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        from django.db import connections, transaction

        try:
            with transaction.atomic():
                list(
                    RegistrationAccessToken.objects.select_for_update().filter(
                        client__client_id=self.client_id
                    )
                )
                self.locked.set()
                self.release.wait(timeout=30)
        finally:
            connections.close_all()

    def __enter__(self) -> RowLock:
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(timeout=10)


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("timeout_setting", ["statement_timeout", "lock_timeout"])
def test_postgres_statement_or_lock_timeout_is_503_and_nothing_changes(
    workspace: Workspace, resilient: None, timeout_setting: str
) -> None:
    created = post_json(HttpClient(), REGISTER, SERVICE_CLIENT).json()
    uri = f"{REGISTER}/{created['client_id']}"
    token = created["registration_access_token"]
    events = AuditEvent.objects.count()

    with RowLock(created["client_id"]), connection.cursor() as cursor:
        cursor.execute(f"SET {timeout_setting} = '300ms'")
        try:
            started = time.monotonic()
            response = HttpClient().get(uri, **bearer(token))
            elapsed = time.monotonic() - started
        finally:
            connection.close()  # drop the session setting

    _assert_unavailable(response)
    assert elapsed < 5
    assert AuditEvent.objects.count() == events
    assert HttpClient().get(uri, **bearer(token)).status_code == HTTPStatus.OK  # not rotated


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_backend_terminated_mid_session_is_503(
    workspace: Workspace, resilient: None
) -> None:
    before = Client.objects.count()
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = DatabaseWrapper(dict(connection.settings_dict), alias="killer")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()

    try:
        response = post_json(HttpClient(), REGISTER, SERVICE_CLIENT)
    finally:
        connection.close()  # the broken connection; the next query opens a fresh one

    _assert_unavailable(response)
    assert Client.objects.count() == before
    assert post_json(HttpClient(), REGISTER, SERVICE_CLIENT).status_code == HTTPStatus.CREATED


# -- a worker killed inside the registration transaction --------------------------------------------
class WorkerKilled(BaseException):
    """Like SystemExit or KeyboardInterrupt: not an Exception, so no handler turns it into a 500."""


def test_worker_dying_after_the_client_row_leaves_no_half_registered_client(
    api: HttpClient, workspace: Workspace, unchanged: Any, monkeypatch: Any
) -> None:
    def dying_issue(client: Client) -> Any:
        assert Client.objects.filter(pk=client.pk).exists()
        raise WorkerKilled

    _after_the_client_row(monkeypatch, dying_issue)

    with pytest.raises(WorkerKilled):
        post_json(api, REGISTER, WEB_CLIENT)

    assert _orphans() == 0
    unchanged()


KILL_SCRIPT = """
import os, signal, sys
import django
django.setup()
from registration import services, statements
from registration.models import Client
from tenants.resolve import find_workspace

def issue_then_die(record, **_):
    client = record.client
    assert Client.objects.filter(pk=client.pk).exists()
    print("ROW-WRITTEN", client.client_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

# The per-row path (PostgreSQL's one registration statement cannot stop half-way).
statements.register_in_one_statement = lambda **_: None
statements.TOKEN_INSERT.insert = issue_then_die
services.client_register(
    workspace=find_workspace("default", "default"),
    raw_metadata={"client_name": "Killed", "grant_types": ["client_credentials"]},
)
print("NOT-KILLED", flush=True)
"""


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_process_killed_inside_the_transaction_leaves_no_client(workspace: Workspace) -> None:
    """SIGKILL (no Python cleanup at all) after the client row was written: the database rolls
    the open transaction back (PostgreSQL on disconnect, SQLite from its journal)."""
    before = Client.objects.count()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dcr_server.settings",
        "DJANGO_SECRET_KEY": str(django_settings.SECRET_KEY),
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": _database_url(),
    }

    done = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == -9, done.stderr[-2000:]
    assert "ROW-WRITTEN" in done.stdout and "NOT-KILLED" not in done.stdout
    client_id = done.stdout.split("ROW-WRITTEN", 1)[1].split()[0]
    assert not Client.objects.filter(client_id=client_id).exists()
    assert Client.objects.count() == before
    assert _orphans() == 0


# -- the shared cache is down ----------------------------------------------------------------------
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def cache_down(settings: Any, workspace: Workspace) -> None:
    settings.CACHES = UNREACHABLE_REDIS


def test_cache_down_rate_limited_registration_fails_open(
    api: HttpClient, workspace: Workspace, cache_down: None
) -> None:
    policy = {"rate_limit": {"registrations_per_minute_per_ip": 1, "registrations_per_minute": 1}}
    DCRSettings.objects.filter(workspace=workspace).update(policy=policy)

    statuses = [post_json(api, REGISTER, SERVICE_CLIENT).status_code for _ in range(3)]

    assert statuses == [HTTPStatus.CREATED] * 3  # limits off while the cache is down (by design)


def test_cache_down_management_and_token_endpoints_keep_serving(
    api: HttpClient, service_client: dict[str, Any], cache_down: None
) -> None:
    uri = f"{REGISTER}/{service_client['client_id']}"
    assert api.get(uri, **bearer("wrong")).status_code == HTTPStatus.UNAUTHORIZED
    read = api.get(uri, **bearer(service_client["registration_access_token"]))
    assert read.status_code == HTTPStatus.OK, read.content
    token = api.post(
        TOKEN,
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )
    assert token.status_code == HTTPStatus.OK, token.content
    assert api.get("/default/default/.well-known/openid-configuration").status_code == 200


def test_cache_down_signed_request_replay_is_still_refused(
    api: HttpClient, workspace: Workspace, ec_key: KeyPair, cache_down: None
) -> None:
    """The jti replay store is the database, never the cache: it fails closed, not open."""
    dcr_configure(
        workspace=workspace, change=SettingsChange(signed_request=KeySetChange(jwks=ec_key.jwks))
    )
    body = ec_key.sign(request_claims(SERVICE_CLIENT)).encode()

    first = api.generic("POST", REGISTER, body, content_type="application/jwt")
    replay = api.generic("POST", REGISTER, body, content_type="application/jwt")

    assert first.status_code == HTTPStatus.CREATED, first.content
    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert "already used" in replay.json()["error_description"]


def test_cache_down_jwks_uri_keys_are_fetched_directly(
    api: HttpClient, workspace: Workspace, ec_key: KeyPair, cache_down: None, jwks_url: str
) -> None:
    dcr_configure(
        workspace=workspace, change=SettingsChange(signed_request=KeySetChange(jwks_uri=jwks_url))
    )
    body = ec_key.sign(request_claims(SERVICE_CLIENT)).encode()

    response = api.generic("POST", REGISTER, body, content_type="application/jwt")

    assert response.status_code == HTTPStatus.CREATED, response.content


@pytest.fixture
def jwks_url(ec_key: KeyPair) -> Any:
    from tests.servers import JWKSServer

    server = JWKSServer()
    server.document = ec_key.jwks
    yield server.url
    server.stop()


def test_json_error_shape_of_503_is_parseable() -> None:
    from dcr_server.resilience import temporarily_unavailable

    response = temporarily_unavailable()
    assert json.loads(response.content)["error"] == "temporarily_unavailable"
