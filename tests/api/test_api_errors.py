"""Hardening of the registration endpoints: JSON errors only, size and content-type limits."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test import override_settings

from registration.models import Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, post_json

REGISTER = "/default/default/oauth2/register"


def _assert_json_error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "42", "true"])
def test_body_that_is_not_an_object_is_invalid_client_metadata_rfc7591_3_1(
    api: HttpClient, workspace: Workspace, body: str
) -> None:
    response = api.post(REGISTER, data=body, content_type="application/json")

    _assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_client_metadata")
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{", b"\xff\xfe{}", b'{"a": NaN}', b"[" * 50000 + b"]" * 50000],
)
def test_malformed_json_is_a_400_never_a_500_rfc7591_3_2_2(
    api: HttpClient, workspace: Workspace, raw: bytes
) -> None:
    with override_settings(DCR_MAX_BODY_BYTES=200_000):
        response = api.post(REGISTER, data=raw, content_type="application/json")

    _assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_client_metadata")


def test_empty_json_body_is_invalid_client_metadata_rfc7591_3_1(
    api: HttpClient, workspace: Workspace
) -> None:
    response = api.generic("POST", REGISTER, b"", CONTENT_TYPE="application/json")

    _assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_client_metadata")


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""],
)
def test_wrong_content_type_is_415(
    api: HttpClient, workspace: Workspace, content_type: str
) -> None:
    response = api.generic("POST", REGISTER, data=b"{}", content_type=content_type)

    _assert_json_error(response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "invalid_request")


def test_json_with_charset_parameter_is_accepted(api: HttpClient, workspace: Workspace) -> None:
    response = api.post(
        REGISTER,
        data=b'{"grant_types": ["client_credentials"]}',
        content_type="application/json; charset=utf-8",
    )

    assert response.status_code == HTTPStatus.CREATED


def test_body_over_the_cap_is_413(api: HttpClient, workspace: Workspace) -> None:
    response = post_json(api, REGISTER, {**SERVICE_CLIENT, "client_name": "x" * (70 * 1024)})

    _assert_json_error(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "invalid_request")
    assert not Client.objects.exists()


def test_disabled_dcr_answers_404_json_contract(api: HttpClient, workspace: Workspace) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)

    response = post_json(api, REGISTER, SERVICE_CLIENT)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error_description"]
    assert not Client.objects.exists()


def test_disabled_dcr_hides_management_too_contract(
    api: HttpClient, workspace: Workspace, registered: dict[str, Any]
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)

    response = api.get(
        f"{REGISTER}/{registered['client_id']}",
        HTTP_AUTHORIZATION=f"Bearer {registered['registration_access_token']}",
    )

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_unknown_workspace_is_404_json(api: HttpClient, db: None) -> None:
    response = post_json(api, "/nobody/nowhere/oauth2/register", SERVICE_CLIENT)

    _assert_json_error(response, HTTPStatus.NOT_FOUND, "not_found")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_wrong_method_on_register_is_405_json(
    api: HttpClient, workspace: Workspace, method: str
) -> None:
    response = getattr(api, method)(REGISTER)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["error"] == "invalid_request"


def test_accept_html_still_gets_json(api: HttpClient, workspace: Workspace) -> None:
    response = post_json(api, REGISTER, [], HTTP_ACCEPT="text/html")

    _assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_client_metadata")


def test_unrouted_api_path_is_json_404(api: HttpClient, db: None) -> None:
    response = api.get("/default/default/oauth2/nothing-here")

    _assert_json_error(response, HTTPStatus.NOT_FOUND, "not_found")


def test_dot_global_dcr_views_are_not_routed(api: HttpClient, db: None) -> None:
    for path in ("/o/register/", "/oauth2/register", "/o/token/"):
        assert api.post(path).status_code == HTTPStatus.NOT_FOUND
