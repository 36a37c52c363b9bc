"""The OpenAPI 3.1 document: valid, served, every path routed, and live responses conforming.

Validity: ``openapi-spec-validator`` when installed, else the OAS 3.1 meta-schema (bundled with
schemathesis, a dev dependency) through ``jsonschema_rs``; every Schema Object is also checked
against the JSON Schema 2020-12 meta-schema.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import jsonschema_rs
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.test import Client as HttpClient
from django.urls import Resolver404, resolve
from jwt.algorithms import RSAAlgorithm

from registration.api.openapi import DOCUMENT_PATH, openapi_document, operations_summary
from registration.configuration import KeySetChange, PolicyChange, SettingsChange, dcr_configure
from registration.models import DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, basic, bearer, post_json, put_json

DOCUMENT: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
REGISTER = "/{tenant}/{workspace}/oauth2/register"
MANAGE = "/{tenant}/{workspace}/oauth2/register/{client_id}"
REGISTER_URL = "/default/default/oauth2/register"
ERROR_STATUSES = {"400", "401", "403", "404", "413", "415", "429"}


# --- helpers -------------------------------------------------------------------------------


def deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and len(node) == 1:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def walk(node: Any, pointer: str = "#") -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def schema_validator(schema: dict[str, Any]) -> Any:
    """A 2020-12 validator for a Schema Object whose ``$ref``s point into the document."""
    root = {**schema, "components": DOCUMENT["components"]}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def assert_conforms(response: Any, path: str, method: str) -> None:
    """The response's status, content type, body and headers are those the document describes."""
    responses = DOCUMENT["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {path}: undocumented status {status}"
    spec = deref(responses[status])
    content = spec.get("content")
    if content:
        media_type = response["Content-Type"].split(";")[0].strip()
        assert media_type in content, f"{status}: undocumented content type {media_type}"
        errors = [
            str(error)
            for error in schema_validator(content[media_type]["schema"]).iter_errors(
                response.json()
            )
        ]
        assert not errors, f"{method.upper()} {path} {status}: {errors}"
    else:
        assert response.content == b"", f"{status} should have no body"
    for name, header in spec.get("headers", {}).items():
        header = deref(header)
        if header.get("required"):
            assert response.has_header(name), f"{status}: missing header {name}"
        if response.has_header(name):
            validator = schema_validator(header["schema"])
            assert validator.is_valid(response[name]), f"{status}: header {name}={response[name]}"


# --- the document --------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    try:
        from openapi_spec_validator import validate
    except ImportError:
        from schemathesis.specs.openapi.definitions import OPENAPI_31

        validator = jsonschema_rs.Draft202012Validator(OPENAPI_31)
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(DOCUMENT)]
        assert not errors, errors
    else:
        validate(DOCUMENT)


def test_every_schema_object_is_valid_json_schema_2020_12() -> None:
    schemas = [
        (pointer, node)
        for pointer, node in walk(DOCUMENT)
        if pointer.endswith("/schema") or (pointer.count("/") == 3 and "/schemas/" in pointer)
    ]
    assert len(schemas) > 20
    for pointer, schema in schemas:
        assert jsonschema_rs.meta.is_valid(schema), pointer


def test_every_ref_resolves() -> None:
    refs = [node["$ref"] for _, node in walk(DOCUMENT) if isinstance(node, dict) and "$ref" in node]
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        target: Any = DOCUMENT
        for part in ref.removeprefix("#/").split("/"):
            assert part in target, f"unresolved {ref}"
            target = target[part]


def test_registration_errors_are_all_documented() -> None:
    register = DOCUMENT["paths"][REGISTER]["post"]["responses"]
    update = DOCUMENT["paths"][MANAGE]["put"]["responses"]
    assert {"201"} | ERROR_STATUSES <= set(register)
    assert {"200"} | ERROR_STATUSES <= set(update)
    codes = deref(DOCUMENT["components"]["schemas"]["BadRequestError"])["properties"]["error"]
    assert {
        "invalid_redirect_uri",
        "invalid_client_metadata",
        "invalid_software_statement",
        "unapproved_software_statement",
    } <= set(codes["enum"])
    assert "WWW-Authenticate" in deref(register["401"])["headers"]
    assert "Retry-After" in deref(register["429"])["headers"]
    request_types = set(deref(DOCUMENT["paths"][REGISTER]["post"]["requestBody"])["content"])
    assert request_types == {"application/json", "application/jwt", "application/jose"}
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert set(schemes) == {"initialAccessToken", "registrationAccessToken"}
    assert DOCUMENT["paths"][REGISTER]["post"]["security"] == [
        {},
        {"initialAccessToken": ["dcr_register"]},
    ]


def test_every_rfc7591_field_is_described() -> None:
    properties = DOCUMENT["components"]["schemas"]["ClientMetadata"]["properties"]
    rfc7591 = {
        "redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types",
        "client_name", "client_uri", "logo_uri", "scope", "contacts", "tos_uri", "policy_uri",
        "jwks_uri", "jwks", "software_id", "software_version", "software_statement",
    }  # fmt: skip
    assert rfc7591 <= set(properties)


@pytest.mark.parametrize(
    "path", sorted(DOCUMENT["paths"]), ids=lambda p: p.replace("/", "_").strip("_")
)
def test_every_documented_path_is_routed(path: str) -> None:
    concrete = path.format(tenant="default", workspace="default", client_id="abc123")
    try:
        match = resolve(concrete)
    except Resolver404:
        pytest.fail(f"{path} is documented but not routed")
    assert match.func is not None


# --- serving -------------------------------------------------------------------------------


def test_schema_endpoint_serves_json_with_this_server(api: HttpClient) -> None:
    response = api.get("/api/schema/")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["paths"] == DOCUMENT["paths"]
    assert body["servers"][0]["url"] == "http://testserver"


def test_schema_endpoint_serves_yaml(api: HttpClient) -> None:
    yaml = pytest.importorskip("yaml")
    response = api.get("/api/schema/?format=yaml")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.content)["paths"] == DOCUMENT["paths"]


def test_docs_page_is_readable_without_network(api: HttpClient) -> None:
    response = api.get("/api/docs/")

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    # The server-rendered fallback names every operation and every documented status.
    for operation in operations_summary(openapi_document()):
        assert operation["path"] in html
        assert f'id="{operation["operation_id"]}"' in html
        for entry in operation["responses"]:
            assert f"<code>{entry['status']}</code>" in html
    assert "application/jwt" in html
    assert "WWW-Authenticate" in html and "Retry-After" in html


# --- live responses ------------------------------------------------------------------------


@pytest.fixture
def clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_register_read_update_delete_conform(
    api: HttpClient, workspace: Workspace, clean_cache: None
) -> None:
    created = post_json(api, REGISTER_URL, WEB_CLIENT)
    assert created.status_code == HTTPStatus.CREATED, created.content
    assert_conforms(created, REGISTER, "post")
    client = created.json()
    url = f"{REGISTER_URL}/{client['client_id']}"

    read = api.get(url, **bearer(client["registration_access_token"]))
    assert read.status_code == HTTPStatus.OK
    assert_conforms(read, MANAGE, "get")

    updated = put_json(
        api,
        url,
        {**WEB_CLIENT, "client_id": client["client_id"], "client_name": "Renamed"},
        **bearer(read.json()["registration_access_token"]),
    )
    assert updated.status_code == HTTPStatus.OK, updated.content
    assert_conforms(updated, MANAGE, "put")

    deleted = api.delete(url, **bearer(updated.json()["registration_access_token"]))
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    assert_conforms(deleted, MANAGE, "delete")


def test_public_and_service_clients_conform(
    api: HttpClient, workspace: Workspace, clean_cache: None
) -> None:
    native = {
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://127.0.0.1:8765/callback"],
    }
    for body in (native, SERVICE_CLIENT):
        response = post_json(api, REGISTER_URL, body)
        assert response.status_code == HTTPStatus.CREATED, response.content
        assert_conforms(response, REGISTER, "post")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"redirect_uris": ["https://app.example.com/cb#frag"]}, "invalid_redirect_uri"),
        ({"grant_types": "authorization_code"}, "invalid_client_metadata"),
        ([1, 2, 3], "invalid_client_metadata"),
    ],
)
def test_400_errors_conform(
    api: HttpClient, workspace: Workspace, clean_cache: None, body: Any, error: str
) -> None:
    response = post_json(api, REGISTER_URL, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == error
    assert_conforms(response, REGISTER, "post")


def _statement_key(workspace: Workspace) -> Any:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = {
        **RSAAlgorithm.to_jwk(private.public_key(), as_dict=True),
        "kid": "k1",
        "alg": "RS256",
    }
    dcr_configure(
        workspace=workspace,
        change=SettingsChange(software_statement=KeySetChange(jwks={"keys": [public]})),
    )
    return private


def test_software_statement_errors_conform(
    api: HttpClient, workspace: Workspace, clean_cache: None
) -> None:
    private = _statement_key(workspace)
    missing = post_json(api, REGISTER_URL, SERVICE_CLIENT)
    assert missing.json()["error"] == "invalid_software_statement"
    assert_conforms(missing, REGISTER, "post")

    dcr_configure(
        workspace=workspace,
        change=SettingsChange(
            policy=PolicyChange({"software_statement": {"allowed_issuers": ["https://other"]}})
        ),
    )
    now = int(time.time())
    claims = {"iss": "https://directory.example", "iat": now, "exp": now + 300}
    statement = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})
    unapproved = post_json(api, REGISTER_URL, {**SERVICE_CLIENT, "software_statement": statement})
    assert unapproved.json()["error"] == "unapproved_software_statement", unapproved.content
    assert_conforms(unapproved, REGISTER, "post")


def test_401_conforms_on_every_management_operation(
    api: HttpClient, workspace: Workspace, clean_cache: None
) -> None:
    url = f"{REGISTER_URL}/unknown-client"
    responses = {
        "get": api.get(url),
        "put": put_json(api, url, {"client_id": "unknown-client"}, **bearer("wrong")),
        "delete": api.delete(url, **bearer("wrong")),
    }
    for method, response in responses.items():
        assert response.status_code == HTTPStatus.UNAUTHORIZED, method
        assert_conforms(response, MANAGE, method)


def test_403_insufficient_scope_conforms(
    api: HttpClient, workspace: Workspace, clean_cache: None
) -> None:
    service = post_json(api, REGISTER_URL, SERVICE_CLIENT).json()
    token = api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials", "scope": "openid"},
        **basic(service["client_id"], service["client_secret"]),
    ).json()["access_token"]
    DCRSettings.objects.filter(workspace=workspace).update(protect_by_access_token=True)

    anonymous = post_json(api, REGISTER_URL, SERVICE_CLIENT)
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert_conforms(anonymous, REGISTER, "post")
    response = post_json(api, REGISTER_URL, SERVICE_CLIENT, **bearer(token))
    assert response.json()["error"] == "insufficient_scope", response.content
    assert_conforms(response, REGISTER, "post")


def test_403_access_denied_and_429_conform(
    api: HttpClient, workspace: Workspace, clean_cache: None
) -> None:
    policy = {"source_ip_ranges": ["203.0.113.0/24"]}
    dcr_configure(workspace=workspace, change=SettingsChange(policy=PolicyChange(policy)))
    denied = post_json(api, REGISTER_URL, SERVICE_CLIENT)
    assert denied.json()["error"] == "access_denied", denied.content
    assert_conforms(denied, REGISTER, "post")

    policy = {"rate_limit": {"registrations_per_minute_per_ip": 1}}
    dcr_configure(workspace=workspace, change=SettingsChange(policy=PolicyChange(policy)))
    post_json(api, REGISTER_URL, SERVICE_CLIENT)
    limited = post_json(api, REGISTER_URL, SERVICE_CLIENT)
    assert limited.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert_conforms(limited, REGISTER, "post")


def test_404_413_415_conform(
    api: HttpClient, workspace: Workspace, clean_cache: None, settings: Any
) -> None:
    settings.DCR_MAX_BODY_BYTES = 100
    too_large = post_json(api, REGISTER_URL, {"client_name": "x" * 200})
    assert too_large.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert_conforms(too_large, REGISTER, "post")

    wrong_type = api.post(REGISTER_URL, data="client_name=x", content_type="text/plain")
    assert wrong_type.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert_conforms(wrong_type, REGISTER, "post")

    DCRSettings.objects.filter(workspace=workspace).update(enabled=False)
    disabled = post_json(api, REGISTER_URL, SERVICE_CLIENT)
    assert disabled.status_code == HTTPStatus.NOT_FOUND
    assert_conforms(disabled, REGISTER, "post")
    assert_conforms(api.get(f"{REGISTER_URL}/abc"), MANAGE, "get")


@pytest.mark.parametrize(
    "path",
    [
        "/{tenant}/{workspace}/.well-known/openid-configuration",
        "/{tenant}/{workspace}/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/{tenant}/{workspace}",
        "/.well-known/openid-configuration/{tenant}/{workspace}",
        "/{tenant}/{workspace}/.well-known/jwks.json",
    ],
)
def test_discovery_and_jwks_conform(api: HttpClient, workspace: Workspace, path: str) -> None:
    found = api.get(path.format(tenant="default", workspace="default"))
    assert found.status_code == HTTPStatus.OK
    assert_conforms(found, path, "get")

    missing = api.get(path.format(tenant="nobody", workspace="nothing"))
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert_conforms(missing, path, "get")
