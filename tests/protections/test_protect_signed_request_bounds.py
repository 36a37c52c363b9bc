"""Signed request bodies cannot be replayed (issue 14, finding 5; CONTRACT.md "Abuse defaults"):
``jti`` and ``exp`` required, ``exp`` at most an hour ahead (so a replay id is kept an hour at
most), ``aud`` when present names this workspace."""

from __future__ import annotations

import time
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from registration.configuration import KeySetChange, SettingsChange, dcr_configure
from registration.models import Client, SeenJti
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT
from tests.protections.conftest import KeyPair, request_claims

REGISTER = "/default/default/oauth2/register"


@pytest.fixture
def request_key(workspace: Workspace, ec_key: KeyPair) -> KeyPair:
    dcr_configure(
        workspace=workspace, change=SettingsChange(signed_request=KeySetChange(jwks=ec_key.jwks))
    )
    return ec_key


def _post(api: HttpClient, key: KeyPair, claims: dict[str, Any]) -> Any:
    return api.generic("POST", REGISTER, key.sign(claims).encode(), content_type="application/jwt")


def _refused(response: Any, word: str) -> None:
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    body = response.json()
    assert body["error"] == "invalid_client_metadata"
    assert word in body["error_description"]
    assert not Client.objects.exists()
    assert not SeenJti.objects.exists()


def test_rfc7519_4_1_7_a_signed_body_without_jti_is_refused(
    api: HttpClient, request_key: KeyPair
) -> None:
    claims = request_claims(SERVICE_CLIENT)
    del claims["jti"]

    _refused(_post(api, request_key, claims), "jti")


@pytest.mark.parametrize("jti", ["", 7, ["a"]])
def test_rfc7519_4_1_7_a_jti_that_is_not_a_string_is_refused(
    api: HttpClient, request_key: KeyPair, jti: Any
) -> None:
    _refused(_post(api, request_key, request_claims(SERVICE_CLIENT, jti=jti)), "jti")


def test_exp_more_than_an_hour_ahead_is_refused(api: HttpClient, request_key: KeyPair) -> None:
    far = int(time.time()) + 10 * 365 * 86400

    _refused(_post(api, request_key, request_claims(SERVICE_CLIENT, exp=far)), "exp")


def test_exp_within_the_hour_is_accepted_and_its_jti_kept_no_longer(
    api: HttpClient, request_key: KeyPair
) -> None:
    exp = int(time.time()) + 3500

    response = _post(api, request_key, request_claims(SERVICE_CLIENT, exp=exp))

    assert response.status_code == HTTPStatus.CREATED, response.content
    kept = SeenJti.objects.get()
    assert kept.expires_at <= timezone.now() + timedelta(hours=1, minutes=1)


def test_rfc7519_4_1_3_aud_naming_another_workspace_is_refused(
    api: HttpClient, request_key: KeyPair, other_workspace: Workspace
) -> None:
    claims = request_claims(SERVICE_CLIENT, aud="http://testserver/acme/prod")

    response = _post(api, request_key, claims)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Client.objects.exists()
