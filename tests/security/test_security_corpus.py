"""Known-bad requests kept as a regression suite, through the real HTTP endpoints.

``corpus/http_cases.json`` holds one object per case (see ``_request``): the CVE classes of OAuth
servers (SSRF through client URLs, host allow-lists matched as suffixes, redirect-URI scheme
tricks, a policy skipped on update, malformed Authorization headers), encoding and JSON abuse.
JOSE alg confusion and nesting bombs are built here (they need keys or are large).

Every refusal: never a 5xx, a JSON body with ``error`` and ``error_description``, nothing written
(no client, no token; refusals are audited on purpose).
"""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.db import connection
from django.test import Client as HttpClient

from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.models import Client, DCRSettings
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, post_json
from tests.security.conftest import KeyPair, Rows, assert_json_error, statement_claims

REGISTER = "/default/default/oauth2/register"
CORPUS = json.loads((Path(__file__).parent / "corpus" / "http_cases.json").read_text())


def _case_params() -> list[Any]:
    params = []
    for case in CORPUS:
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        if "xfail_postgres" in case and connection.vendor == "postgresql":
            marks.append(pytest.mark.xfail(strict=True, reason=case["xfail_postgres"]))
        params.append(pytest.param(case, id=f"{case['class']}:{case['id']}", marks=marks))
    return params


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        if value == "__BIGINT_4000__":
            return 10**4000
        for name, replacement in names.items():
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    return value


def _request(api: HttpClient, case: dict[str, Any], names: dict[str, str]) -> Any:
    method = case["method"]
    path = _fill(case["path"], names)
    extra: dict[str, Any] = {}
    if "authorization" in case:
        extra["HTTP_AUTHORIZATION"] = _fill(case["authorization"], names)
    extra.update(case.get("headers", {}))
    if "form" in case:
        return api.post(path, data=case["form"], **extra)
    content_type = case.get("content_type", "application/json")
    if "body_latin1" in case:
        data = case["body_latin1"].encode("latin-1")
    elif case.get("json") is not None or ("json" in case and method in ("POST", "PUT")):
        data = json.dumps(_fill(case["json"], names)).encode()
    else:
        data = b""
    return api.generic(method, path, data, content_type=content_type, **extra)


@pytest.mark.parametrize("case", _case_params())
def test_corpus_case_is_refused_safely(
    api: HttpClient, workspace: Workspace, settings: Any, case: dict[str, Any]
) -> None:
    settings.DCR_FETCH_ALLOW_PRIVATE_ADDRESSES = False
    names: dict[str, str] = {}
    if "policy" in case:
        DCRSettings.objects.filter(workspace=workspace).update(policy=case["policy"])
    if case.get("setup") == "registered":
        DCRSettings.objects.filter(workspace=workspace).update(token_rotation="never")
        created = post_json(HttpClient(), REGISTER, SERVICE_CLIENT).json()
        names = {"client_id": created["client_id"], "token": created["registration_access_token"]}
    if "policy_after_setup" in case:
        DCRSettings.objects.filter(workspace=workspace).update(policy=case["policy_after_setup"])
    before = Rows.now()
    stored_before = list(Client.objects.values_list("metadata", flat=True))

    response = _request(api, case, names)

    if case.get("expect_status") == HTTPStatus.CREATED:
        _check_sanitized_success(response, case)
        return
    if case.get("allow_success") and response.status_code == HTTPStatus.CREATED:
        return  # an ignored unknown field: harmless either way, but never a 5xx
    body = assert_json_error(response)
    if "expect_status" in case:
        assert response.status_code == case["expect_status"], (response.status_code, body)
    if "expect_error" in case:
        assert body["error"] == case["expect_error"], body
    if response.status_code == HTTPStatus.UNAUTHORIZED:
        assert response.has_header("WWW-Authenticate")
    assert Rows.now() == before
    assert list(Client.objects.values_list("metadata", flat=True)) == stored_before
    for secret in names.values():
        assert secret not in response.content.decode("utf-8", "replace")


def _check_sanitized_success(response: Any, case: dict[str, Any]) -> None:
    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert "dcr_register" not in body.get("scope", "").split()
    assert body["client_id"] != "chosen-by-attacker"
    assert body.get("client_secret") != "chosen"


# -- JSON bombs ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"[" * 30000 + b"]" * 30000, id="deep-array"),
        pytest.param(b'{"a":' * 10000 + b"1" + b"}" * 10000, id="deep-object"),
        pytest.param(
            b'{"grant_types": ["client_credentials"], "x": ' + b"[" * 30000 + b"]" * 30000 + b"}",
            id="deep-in-unknown-field",
        ),
        pytest.param(b'{"a": "' + b"\\u0000" * 10000 + b'"}', id="many-escaped-nuls"),
        pytest.param(b"1" * 5000, id="giant-int-top-level"),
        pytest.param(b"{" + b'"k": 1,' * 9000 + b'"k": 2}', id="many-duplicate-keys"),
    ],
)
def test_json_bombs_are_refused_safely(
    api: HttpClient, workspace: Workspace, unchanged: Any, raw: bytes
) -> None:
    response = api.generic("POST", REGISTER, raw, content_type="application/json")

    assert_json_error(response)
    unchanged()


def test_body_over_the_cap_without_content_length_is_413(
    api: HttpClient, workspace: Workspace, unchanged: Any
) -> None:
    raw = json.dumps({**SERVICE_CLIENT, "pad": "x" * 70000}).encode()
    response = api.generic(
        "POST", REGISTER, raw, content_type="application/json", CONTENT_LENGTH="10"
    )

    assert_json_error(response)
    unchanged()


# -- JOSE: alg confusion, none, crit, oversized (RFC 8725) through the endpoint -------------------
@pytest.fixture
def statement_required(workspace: Workspace, rsa_key: KeyPair) -> KeyPair:
    dcr_configure(
        workspace=workspace,
        change=SettingsChange(software_statement=KeySetChange(jwks=rsa_key.jwks)),
    )
    return rsa_key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)]
    )


def _hs256_with_public_key(key: KeyPair) -> str:
    pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    header = {"alg": "HS256", "kid": key.kid, "typ": "JWT"}
    signing_input = (
        _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(statement_claims()).encode())
    )
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


JOSE_CASES = {
    "alg-none": lambda key: _unsigned({"alg": "none", "kid": key.kid}, statement_claims()),
    "alg-None": lambda key: _unsigned({"alg": "None", "kid": key.kid}, statement_claims()),
    "alg-missing": lambda key: _unsigned({"kid": key.kid}, statement_claims(), b"x"),
    "hs256-with-public-key": _hs256_with_public_key,
    "crit-header": lambda key: jwt.encode(
        statement_claims(),
        key.private,
        algorithm="RS256",
        headers={"kid": key.kid, "crit": ["exp"]},
    ),
    "jwk-header-own-key": lambda key: jwt.encode(
        statement_claims(),
        key.private,
        algorithm="RS256",
        headers={"kid": "attacker", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}},
    ),
    "jku-header": lambda key: jwt.encode(
        statement_claims(),
        key.private,
        algorithm="RS256",
        headers={"kid": "attacker", "jku": "https://169.254.169.254/jwks"},
    ),
    "oversized": lambda key: key.sign(statement_claims(pad="x" * 60000)),
    "expired": lambda key: key.sign(statement_claims(exp=1)),
    "garbage": lambda key: "a.b.c",
    "not-a-string": lambda key: {"alg": "none"},
    "five-parts-jwe": lambda key: "a.b.c.d.e",
}


@pytest.mark.parametrize("name", list(JOSE_CASES))
def test_rfc8725_bad_software_statements_are_refused_safely(
    api: HttpClient, statement_required: KeyPair, unchanged: Any, name: str
) -> None:
    statement = JOSE_CASES[name](statement_required)

    response = post_json(api, REGISTER, {**SERVICE_CLIENT, "software_statement": statement})

    body = assert_json_error(response)
    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    assert body["error"] in ("invalid_software_statement", "invalid_request")
    unchanged()


def test_oversized_bearer_at_registration_with_access_token_protection(
    api: HttpClient, workspace: Workspace, unchanged: Any
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(protect_by_access_token=True)
    for header in ("Bearer " + "A" * 10240, "Bearer", "Bearer\x00", "Bearer \xff\xfe"):
        response = post_json(api, REGISTER, WEB_CLIENT, HTTP_AUTHORIZATION=header)
        body = assert_json_error(response)
        assert response.status_code == HTTPStatus.UNAUTHORIZED and body["error"] == "invalid_token"
    unchanged()
