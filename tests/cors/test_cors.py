"""CORS for browser-based clients (CONTRACT "Resource indicators, CORS, introspection"):
discovery in every form, JWKS, register, management, token and revoke, preflight included,
never with credentials; errors carry the headers too; nothing on the admin, login, authorize,
introspect or userinfo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings

from registration.models import Client, DCRSettings
from tests.helpers import SERVICE_CLIENT, basic, bearer, post_json

ORIGIN = "https://spa.example"
WS = "/default/default"
DISCOVERY_PATHS = [
    f"{WS}/.well-known/openid-configuration",
    f"{WS}/.well-known/oauth-authorization-server",
    f"/.well-known/oauth-authorization-server{WS}",  # RFC 8414 §3.1 path insertion
    f"/.well-known/openid-configuration{WS}",
]
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"


def preflight(api: Any, path: str, method: str, origin: str = ORIGIN) -> Any:
    return api.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def assert_cors(response: Any, origin: str = "*") -> None:
    assert response[ACAO] == origin, dict(response.items())
    assert ACAC not in response  # CONTRACT: never with credentials


def assert_no_cors(response: Any) -> None:
    assert ACAO not in response, dict(response.items())
    assert ACAC not in response


@pytest.fixture
def cors_endpoints(workspace, registered, service_client) -> dict[str, tuple[str, str]]:
    """Every CORS endpoint: (path, method of its real request)."""
    endpoints = {f"discovery{index}": (path, "GET") for index, path in enumerate(DISCOVERY_PATHS)}
    endpoints.update(
        {
            "jwks": (f"{WS}/.well-known/jwks.json", "GET"),
            "register": (f"{WS}/oauth2/register", "POST"),
            "management": (f"{WS}/oauth2/register/{registered['client_id']}", "GET"),
            "management-put": (f"{WS}/oauth2/register/{registered['client_id']}", "PUT"),
            "management-delete": (f"{WS}/oauth2/register/{registered['client_id']}", "DELETE"),
            "token": (f"{WS}/oauth2/token", "POST"),
            "revoke": (f"{WS}/oauth2/revoke", "POST"),
        }
    )
    return endpoints


ENDPOINTS = [
    *(f"discovery{index}" for index in range(len(DISCOVERY_PATHS))),
    "jwks",
    "register",
    "management",
    "management-put",
    "management-delete",
    "token",
    "revoke",
]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_preflight_is_answered(api, cors_endpoints, name):
    """Fetch §3.2.2 (CORS-preflight): OPTIONS answers 200 with the method and headers allowed,
    and changes nothing."""
    path, method = cors_endpoints[name]
    clients = Client.objects.count()
    response = preflight(api, path, method)
    assert response.status_code == HTTPStatus.OK
    assert_cors(response)
    assert method in response["Access-Control-Allow-Methods"]
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert Client.objects.count() == clients


def test_real_requests_carry_cors_headers(api, workspace, registered, service_client):
    """Each endpoint's real cross-origin request: Access-Control-Allow-Origin, no credentials."""
    origin = {"HTTP_ORIGIN": ORIGIN}
    for path in DISCOVERY_PATHS:
        response = api.get(path, **origin)
        assert response.status_code == HTTPStatus.OK, path
        assert_cors(response)
    assert_cors(api.get(f"{WS}/.well-known/jwks.json", **origin))

    created = post_json(api, f"{WS}/oauth2/register", SERVICE_CLIENT, **origin)
    assert created.status_code == HTTPStatus.CREATED
    assert_cors(created)
    uri = f"{WS}/oauth2/register/{created.json()['client_id']}"
    read = api.get(uri, **bearer(created.json()["registration_access_token"]), **origin)
    assert read.status_code == HTTPStatus.OK
    assert_cors(read)

    auth = basic(service_client["client_id"], service_client["client_secret"])
    token = api.post(f"{WS}/oauth2/token", {"grant_type": "client_credentials"}, **auth, **origin)
    assert token.status_code == HTTPStatus.OK
    assert_cors(token)
    revoked = api.post(
        f"{WS}/oauth2/revoke", {"token": token.json()["access_token"]}, **auth, **origin
    )
    assert revoked.status_code == HTTPStatus.OK
    assert_cors(revoked)

    deleted = api.delete(uri, **bearer(read.json()["registration_access_token"]), **origin)
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    assert_cors(deleted)


def test_error_responses_carry_cors_headers(api, workspace, registered, service_client):
    """A browser client can read every error: 401, 404, 413, 415 and 429 carry the headers, and
    WWW-Authenticate / Retry-After are exposed to scripts."""
    origin = {"HTTP_ORIGIN": ORIGIN}
    unauthorized = api.get(
        f"{WS}/oauth2/register/{registered['client_id']}", **bearer("wrong"), **origin
    )
    assert unauthorized.status_code == HTTPStatus.UNAUTHORIZED
    assert_cors(unauthorized)
    assert "WWW-Authenticate" in unauthorized["Access-Control-Expose-Headers"]

    bad_client = api.post(
        f"{WS}/oauth2/token",
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], "wrong"),
        **origin,
    )
    assert bad_client.status_code == HTTPStatus.UNAUTHORIZED
    assert_cors(bad_client)

    assert_cors(api.get("/nope/nope/.well-known/openid-configuration", **origin))

    wrong_type = api.post(f"{WS}/oauth2/register", data="{}", content_type="text/plain", **origin)
    assert wrong_type.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert_cors(wrong_type)

    with override_settings(DCR_MAX_BODY_BYTES=100):
        too_large = post_json(api, f"{WS}/oauth2/register", {"client_name": "x" * 500}, **origin)
    assert too_large.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert_cors(too_large)

    cache.clear()
    DCRSettings.objects.filter(workspace=workspace).update(
        policy={"rate_limit": {"registrations_per_minute_per_ip": 1}}
    )
    post_json(api, f"{WS}/oauth2/register", SERVICE_CLIENT, **origin)
    limited = post_json(api, f"{WS}/oauth2/register", SERVICE_CLIENT, **origin)
    assert limited.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert_cors(limited)
    assert "Retry-After" in limited["Access-Control-Expose-Headers"]
    cache.clear()


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/admin/", "GET"),
        ("/admin/login/", "POST"),
        ("/accounts/login/", "POST"),
        (f"{WS}/oauth2/authorize", "GET"),
        (f"{WS}/oauth2/introspect", "POST"),
        (f"{WS}/oauth2/userinfo", "GET"),
    ],
)
def test_no_cors_elsewhere(api, workspace, path, method):
    """CONTRACT: not on the admin, login, authorize or introspect (nor userinfo): neither the
    preflight nor the request gets CORS headers."""
    assert_no_cors(preflight(api, path, method))
    response = (
        api.get(path, HTTP_ORIGIN=ORIGIN)
        if method == "GET"
        else api.post(path, {}, HTTP_ORIGIN=ORIGIN)
    )
    assert_no_cors(response)


@override_settings(CORS_ALLOW_ALL_ORIGINS=False, CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_configured_origins_only(api, workspace):
    """DCR_CORS_ALLOWED_ORIGINS lists origins: a listed origin is echoed (with Vary: Origin),
    any other gets no CORS headers, preflight included."""
    path = f"{WS}/oauth2/register"
    allowed = preflight(api, path, "POST")
    assert_cors(allowed, ORIGIN)
    assert "origin" in allowed["Vary"].lower()
    refused = preflight(api, path, "POST", origin="https://evil.example")
    assert_no_cors(refused)
    response = api.get(f"{WS}/.well-known/jwks.json", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == HTTPStatus.OK
    assert_no_cors(response)
    assert_cors(api.get(f"{WS}/.well-known/jwks.json", HTTP_ORIGIN=ORIGIN), ORIGIN)


def _load_settings(value: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DCR_CORS_ALLOWED_ORIGINS": value}
    code = "import dcr_server.settings_test as s; print(s.CORS_ALLOW_ALL_ORIGINS, s.CORS_ALLOWED_ORIGINS)"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )


@pytest.mark.parametrize(
    "value",
    ["https://spa.example/", "spa.example", "https://spa.example/app", "*, https://a.example", ","],
)
def test_malformed_origins_stop_start_up(value):
    """DCR_CORS_ALLOWED_ORIGINS is validated at start-up: one line naming the variable."""
    result = _load_settings(value)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "DCR_CORS_ALLOWED_ORIGINS" in last
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("*", "True []"),
        (
            "https://spa.example, http://localhost:5173",
            f"False {json.dumps(['https://spa.example', 'http://localhost:5173'])}".replace(
                '"', "'"
            ),
        ),
    ],
)
def test_wellformed_origins_are_read(value, expected):
    result = _load_settings(value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
