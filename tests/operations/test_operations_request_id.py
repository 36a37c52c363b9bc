"""X-Request-ID on every response (CONTRACT "Operations"), in the log lines and the audit row."""

from __future__ import annotations

import io
import json
import logging
from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from operations.request_id import SANE_ID
from registration.models import AuditEvent
from tenants.models import Workspace
from tests.helpers import WEB_CLIENT, post_json

REGISTER = "/default/default/oauth2/register"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/health/live", "/default/default/.well-known/jwks.json", "/nowhere", "/admin/"]
)
def test_every_response_carries_a_new_request_id(api: HttpClient, path: str) -> None:
    first = api.get(path)["X-Request-ID"]
    second = api.get(path)["X-Request-ID"]

    assert SANE_ID.fullmatch(first) and SANE_ID.fullmatch(second)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["abc", "7f0c2a8e-1b7c-4f4e-9a55-2b1e0c6b9d31", "req_1.2-3", "A" * 128]
)
def test_a_sane_incoming_id_is_kept(api: HttpClient, incoming: str) -> None:
    response = api.get("/health/live", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["", "has space", "a" * 129, 'quote"d', "semi;colon", "é", "x\x00y", "<script>"]
)
def test_a_bad_incoming_id_is_replaced(api: HttpClient, incoming: str) -> None:
    response = api.get("/health/live", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert SANE_ID.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
def test_json_errors_from_other_middleware_carry_the_id(api: HttpClient) -> None:
    response = api.get("/default/default/oauth2/token", HTTP_X_REQUEST_ID="err-1")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["error"]
    assert response["X-Request-ID"] == "err-1"


def test_the_id_is_in_the_audit_row_and_dcr_audit_json(
    api: HttpClient, workspace: Workspace
) -> None:
    created = post_json(api, REGISTER, WEB_CLIENT, HTTP_X_REQUEST_ID="trace-register-1")
    refused = post_json(api, REGISTER, {"redirect_uris": "nope"}, HTTP_X_REQUEST_ID="trace-bad-2")

    assert created.status_code == HTTPStatus.CREATED
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    register = AuditEvent.objects.get(event="register")
    refusal = AuditEvent.objects.get(event="refused")
    assert register.request_id == "trace-register-1"
    assert refusal.request_id == "trace-bad-2"
    out = io.StringIO()
    call_command("dcr", "audit", "default/default", "--json", stdout=out)
    printed = {event["event"]: event["request_id"] for event in json.loads(out.getvalue())}
    assert printed == {"register": "trace-register-1", "refused": "trace-bad-2"}


def test_cli_events_have_no_request_id(api: HttpClient, workspace: Workspace) -> None:
    created = post_json(api, REGISTER, WEB_CLIENT).json()

    call_command("dcr", "reissue-token", created["client_id"], stdout=io.StringIO())

    assert AuditEvent.objects.get(event="reissue").request_id is None


def test_the_id_is_in_every_log_line_of_the_request(
    api: HttpClient, workspace: Workspace, capture_logs: Any
) -> None:
    logs = capture_logs(log_format="json", level=logging.DEBUG)
    outside = logging.getLogger("tests.operations")

    outside.warning("before any request")
    post_json(api, REGISTER, {"redirect_uris": "nope"}, HTTP_X_REQUEST_ID="follow-me-1")

    records = [json.loads(line) for line in logs.lines]
    during = [record for record in records if record["message"] != "before any request"]
    assert during, "the request logged nothing"
    assert {record["request_id"] for record in during} == {"follow-me-1"}
    assert records[0]["request_id"] is None
    access = [record for record in during if record["logger"] == "dcr.access"]
    assert len(access) == 1
    assert access[0]["method"] == "POST"
    assert access[0]["route"] == "register"
    assert access[0]["status"] == 400
    assert isinstance(access[0]["duration"], float)
