"""Secrets hygiene: no client secret, registration access token or access token in any log record,
error body or admin page; unknown clients and wrong tokens look the same; constant-time compares."""

from __future__ import annotations

import hmac
import inspect
import logging
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from dcr_server import crypto
from dcr_server.oauth import validator
from registration import tokens
from registration.models import Client, RegistrationAccessToken
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, basic, bearer, post_json, put_json

WS = "/default/default"
REGISTER = f"{WS}/oauth2/register"
LOGGERS = (
    "",
    "oauth2_provider",
    "django.request",
    "django.db.backends",
    "registration",
    "dcr_server",
)


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, SQL included (with its parameters)."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = False


# oauthlib logs every issued access token (and refresh token) at DEBUG. settings.LOGGING must pin
# the "oauthlib" logger above DEBUG; until it does, its records are judged separately (xfail below).
OAUTHLIB = "oauthlib"


def _log_text(caplog: pytest.LogCaptureFixture, *, oauthlib: bool = False) -> str:
    parts = []
    for record in caplog.records:
        if record.name.startswith(OAUTHLIB) != oauthlib:
            continue
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr(getattr(record, "sql", "")) + repr(getattr(record, "params", "")))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_whole_flow_leaks_no_secret_to_logs_errors_or_admin(
    api: HttpClient, workspace: Workspace, everything_logged: pytest.LogCaptureFixture
) -> None:
    secrets = _run_whole_flow(api, everything_logged)
    logs = _log_text(everything_logged)
    assert "SELECT" in logs  # the SQL log really was captured
    for secret in secrets:
        assert secret not in logs, "a secret reached a log record"


def test_oauthlib_debug_records_carry_no_token(
    api: HttpClient, workspace: Workspace, everything_logged: pytest.LogCaptureFixture
) -> None:
    secrets = _run_whole_flow(api, everything_logged)
    logs = _log_text(everything_logged, oauthlib=True)
    for secret in secrets:
        assert secret not in logs, "oauthlib logged a secret"


def _run_whole_flow(api: HttpClient, everything_logged: pytest.LogCaptureFixture) -> list[str]:
    """register, read, update, token, introspect, revoke, refusals, admin pages, delete; checks
    error bodies and admin HTML on the way and returns every secret it saw."""
    secrets: list[str] = []
    error_bodies: list[bytes] = []

    def keep(response: Any, *fields: str) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        secrets.extend(str(body[field]) for field in fields if body.get(field))
        return body

    # Register a web client and a service client.
    web = keep(post_json(api, REGISTER, WEB_CLIENT), "client_secret", "registration_access_token")
    service = keep(
        post_json(api, REGISTER, SERVICE_CLIENT), "client_secret", "registration_access_token"
    )
    web_uri = f"{REGISTER}/{web['client_id']}"
    # Read (rotates) and update (rotates).
    read = keep(
        api.get(web_uri, **bearer(web["registration_access_token"])), "registration_access_token"
    )
    updated = keep(
        put_json(
            api,
            web_uri,
            {**WEB_CLIENT, "client_id": web["client_id"], "client_name": "Renamed"},
            **bearer(read["registration_access_token"]),
        ),
        "registration_access_token",
    )
    # Token, introspect, revoke.
    service_auth = basic(service["client_id"], service["client_secret"])
    token = api.post(f"{WS}/oauth2/token", {"grant_type": "client_credentials"}, **service_auth)
    assert token.status_code == HTTPStatus.OK, token.content
    access_token = keep(token, "access_token")["access_token"]
    introspected = api.post(f"{WS}/oauth2/introspect", {"token": access_token}, **service_auth)
    assert introspected.status_code == HTTPStatus.OK and introspected.json()["active"] is True
    revoked = api.post(f"{WS}/oauth2/revoke", {"token": access_token}, **service_auth)
    assert revoked.status_code == HTTPStatus.OK
    # Refused requests, each quoting a secret where a careless server might echo it back.
    refusals = [
        api.get(web_uri, **bearer(web["registration_access_token"])),  # rotated away
        api.get(f"{REGISTER}/{service['client_id']}", **bearer(web["client_secret"])),
        put_json(
            api,
            web_uri,
            {"client_id": web["client_id"], "client_secret": service["client_secret"]},
            **bearer(updated["registration_access_token"]),
        ),
        post_json(api, REGISTER, {"redirect_uris": [f"https://x/{web['client_secret']}#f"]}),
        api.post(
            f"{WS}/oauth2/token",
            {"grant_type": "client_credentials"},
            **basic(service["client_id"], web["client_secret"]),
        ),
        api.post(f"{WS}/oauth2/introspect", {"token": access_token}),
        api.get(f"{WS}/oauth2/userinfo", **bearer(access_token)),  # revoked
    ]
    for response in refusals:
        assert response.status_code >= 400, response.content
        error_bodies.append(response.content + repr(sorted(response.items())).encode())

    # The admin console (before the delete, so the client's pages exist).
    admin_html = _admin_pages(web["client_id"])
    # Delete.
    deleted = api.delete(web_uri, **bearer(updated["registration_access_token"]))
    assert deleted.status_code == HTTPStatus.NO_CONTENT

    assert len(secrets) >= 7
    for secret in secrets:
        for body in error_bodies:
            assert secret.encode() not in body, "a secret was echoed in an error"
        for html in admin_html:
            assert secret not in html, "a secret is shown in the admin"
    return secrets


def _admin_pages(client_id: str) -> list[str]:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-not-used-1")
    admin = HttpClient()
    admin.force_login(user)
    pk = Client.objects.get(client_id=client_id).pk
    pages = []
    for url in (
        "/admin/",
        reverse("admin:registration_client_changelist"),
        reverse("admin:registration_client_change", args=[pk]),
        reverse("admin:registration_registrationaccesstoken_changelist")
        if _registered_in_admin("registration_registrationaccesstoken_changelist")
        else None,
    ):
        if url is None:
            continue
        response = admin.get(url)
        assert response.status_code == HTTPStatus.OK, url
        pages.append(response.content.decode())
    return pages


def _registered_in_admin(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(f"admin:{name}")
    except NoReverseMatch:
        return False
    return True


# -- unknown client and wrong token are indistinguishable ---------------------------------------
def _shape(response: Any) -> tuple[int, bytes, dict[str, str]]:
    # Date and X-Request-ID differ on every response by design (operations/request_id.py).
    varying = {"date", "x-request-id"}
    headers = {key: value for key, value in response.items() if key.lower() not in varying}
    return response.status_code, response.content, headers


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_rfc7592_2_unknown_client_and_wrong_token_look_the_same(
    api: HttpClient, registered: dict[str, Any], service_client: dict[str, Any], method: str
) -> None:
    client_id = registered["client_id"]
    body = b'{"client_id": "x"}' if method == "PUT" else b""
    cases = {
        "unknown client": (f"{REGISTER}/unknown-client-id-0000000", "some-token"),
        "wrong token": (f"{REGISTER}/{client_id}", "some-token"),
        "another client's token": (
            f"{REGISTER}/{client_id}",
            service_client["registration_access_token"],
        ),
        "deleted-looking id": (f"{REGISTER}/{client_id}x", registered["registration_access_token"]),
    }
    shapes = {
        name: _shape(
            api.generic(method, path, body, content_type="application/json", **bearer(token))
        )
        for name, (path, token) in cases.items()
    }

    first = next(iter(shapes.values()))
    assert first[0] == HTTPStatus.UNAUTHORIZED
    for name, shape in shapes.items():
        assert shape == first, name


def test_rfc6749_5_2_unknown_client_and_wrong_secret_look_the_same_at_the_token_endpoint(
    api: HttpClient, service_client: dict[str, Any]
) -> None:
    data = {"grant_type": "client_credentials"}
    unknown = api.post(f"{WS}/oauth2/token", data, **basic("no-such-client", "secret"))
    wrong = api.post(f"{WS}/oauth2/token", data, **basic(service_client["client_id"], "secret"))

    assert _shape(unknown) == _shape(wrong)
    assert unknown.status_code == HTTPStatus.UNAUTHORIZED


# -- constant-time comparison --------------------------------------------------------------------
def test_secret_comparisons_use_hmac_compare_digest() -> None:
    """The sites listed in SECURITY.md ("Secret comparisons"): import-level, not a grep for ==."""
    assert crypto.hmac is hmac and "hmac.compare_digest" in inspect.getsource(crypto.digests_equal)
    assert validator.hmac is hmac
    assert "hmac.compare_digest" in inspect.getsource(
        validator.WorkspaceOAuth2Validator._check_secret
    )
    # tokens.py compares digests through crypto.digests_equal, on both the hit and the miss path.
    assert tokens.crypto is crypto
    source = inspect.getsource(tokens.authenticate)
    assert source.count("crypto.digests_equal(") == 2


def test_digests_equal_is_correct() -> None:
    assert crypto.digests_equal("abc", "abc")
    assert not crypto.digests_equal("abc", "abd")
    assert not crypto.digests_equal("abc", "abcd")
    assert crypto.digests_equal("\ud800", "\ud800")  # surrogatepass: never raises


def test_only_digests_are_stored_for_registration_tokens(registered: dict[str, Any]) -> None:
    record = RegistrationAccessToken.objects.get(client__client_id=registered["client_id"])
    assert record.digest == crypto.token_digest(registered["registration_access_token"])
    assert registered["registration_access_token"] not in repr(record.__dict__)


def test_client_ids_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client_id is typed on command lines (``dcr show``, ``dcr reissue-token``)."""
    drawn = iter(["-looks-like-an-option-xyz", "fine-client-id-from-draw2"])
    monkeypatch.setattr(crypto.secrets, "token_urlsafe", lambda nbytes: next(drawn))

    assert crypto.new_client_id() == "fine-client-id-from-draw2"


def test_client_ids_are_24_url_safe_characters() -> None:
    ids = {crypto.new_client_id() for _ in range(2000)}

    assert len(ids) == 2000
    assert all(len(i) == 24 and re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    assert not any(i.startswith("-") for i in ids)
