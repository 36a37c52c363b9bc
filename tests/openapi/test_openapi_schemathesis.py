"""Stateless fuzzing of the registration endpoints through the WSGI app, driven by the document.

Every generated request (valid and invalid metadata, JSON and JWS bodies, wrong tokens) must get
a documented status, content type, headers and body; never a 5xx. Management operations run
against a freshly registered client with its real registration access token, so PUT bodies reach
metadata validation instead of stopping at 401.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client as HttpClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registration.api.openapi import DOCUMENT_PATH
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json

DOCUMENT = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
DOCUMENT["servers"] = [{"url": "http://localhost"}]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
APP = WSGIHandler()

# Signed request bodies are compact JWS text.
schemathesis.serializer.alias("application/jose", "text/plain")
schema = schemathesis.openapi.from_dict(DOCUMENT).include(tag="registration")


@contextmanager
def connection_kept_open() -> Iterator[None]:
    """Like Django's test client: a finished request must not close the test's database
    connection (the test's transaction lives on it). Django's client reconnects the handler after
    each of its own requests, so this wraps every WSGI call."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fresh_client(api: HttpClient) -> dict[str, Any]:
    response = post_json(api, "/default/default/oauth2/register", SERVICE_CLIENT)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_registration_api_never_fails_and_conforms(
    case: Any, workspace: Workspace, api: HttpClient
) -> None:
    cache.clear()  # rate limits and failed-token counters start empty for every example
    case.path_parameters = {
        **(case.path_parameters or {}),
        "tenant": "default",
        "workspace": "default",
    }
    headers: dict[str, str] = {}
    if "client_id" in case.path_parameters:
        client = _fresh_client(api)
        case.path_parameters["client_id"] = client["client_id"]
        headers["Authorization"] = f"Bearer {client['registration_access_token']}"
        if isinstance(case.body, dict) and case.method == "PUT":
            case.body = {**case.body, "client_id": client["client_id"]}
    with connection_kept_open():
        response = case.call(app=APP, headers=headers)
    case.validate_response(response, checks=CHECKS)
