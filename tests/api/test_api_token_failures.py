"""Failed-token limiting never refuses a valid registration access token, counts an IPv6 /64 as
one source (issue 14, finding 3; RFC 7592 §5); HEAD never rotates or consumes the token
(finding 6; RFC 9110 §9.3.2)."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from registration.models import AuditEvent, DCRSettings, RegistrationAccessToken
from tenants.models import Workspace
from tests.helpers import bearer

REGISTER = "/default/default/oauth2/register"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def limit_three(settings: Any) -> None:
    settings.DCR_MANAGEMENT_FAILURES_PER_MINUTE = 3


def _guesses(client: HttpClient, uri: str, count: int) -> list[int]:
    return [client.get(uri, **bearer(f"guess-{n}")).status_code for n in range(count)]


def test_rfc7592_5_a_valid_token_is_served_after_30_failures_from_its_address(
    workspace: Workspace, registered: dict[str, Any], settings: Any
) -> None:
    settings.DCR_MANAGEMENT_FAILURES_PER_MINUTE = 30
    uri = f"{REGISTER}/{registered['client_id']}"
    shared_nat = HttpClient(REMOTE_ADDR="198.51.100.7")

    statuses = _guesses(shared_nat, uri, 35)
    owner = shared_nat.get(uri, **bearer(registered["registration_access_token"]))

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 30 + [HTTPStatus.TOO_MANY_REQUESTS] * 5
    assert owner.status_code == HTTPStatus.OK, owner.content


def test_rfc7592_5_failures_from_one_ipv6_64_count_together(
    workspace: Workspace, registered: dict[str, Any], limit_three: None
) -> None:
    uri = f"{REGISTER}/{registered['client_id']}"
    statuses = [
        HttpClient(REMOTE_ADDR=f"2001:db8:5:6::{n + 1:x}").get(uri, **bearer("x")).status_code
        for n in range(5)
    ]
    elsewhere = HttpClient(REMOTE_ADDR="2001:db8:5:7::1").get(uri, **bearer("x"))

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 3 + [HTTPStatus.TOO_MANY_REQUESTS] * 2
    assert elsewhere.status_code == HTTPStatus.UNAUTHORIZED


def test_successful_requests_are_not_counted_as_failures(
    workspace: Workspace, registered: dict[str, Any], limit_three: None
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(token_rotation="never")
    api = HttpClient(REMOTE_ADDR="192.0.2.4")
    uri = f"{REGISTER}/{registered['client_id']}"
    token = registered["registration_access_token"]

    oks = [api.get(uri, **bearer(token)).status_code for _ in range(6)]

    assert oks == [HTTPStatus.OK] * 6
    assert _guesses(api, uri, 3) == [HTTPStatus.UNAUTHORIZED] * 3


def test_rfc9110_9_3_2_head_never_rotates_or_consumes_the_token(
    api: HttpClient, workspace: Workspace, registered: dict[str, Any]
) -> None:
    uri = f"{REGISTER}/{registered['client_id']}"
    token = registered["registration_access_token"]
    digest_before = list(RegistrationAccessToken.objects.values_list("pk", "digest"))
    events_before = AuditEvent.objects.count()

    head = api.head(uri, **bearer(token))

    assert head.status_code == HTTPStatus.OK
    assert head.content == b""
    assert head["Cache-Control"] == "no-store"
    assert list(RegistrationAccessToken.objects.values_list("pk", "digest")) == digest_before
    assert AuditEvent.objects.count() == events_before
    after = api.get(uri, **bearer(token))
    assert after.status_code == HTTPStatus.OK, "the token still works after HEAD"


def test_rfc9110_9_3_2_head_with_a_wrong_token_is_401(
    api: HttpClient, workspace: Workspace, registered: dict[str, Any]
) -> None:
    head = api.head(f"{REGISTER}/{registered['client_id']}", **bearer("wrong"))

    assert head.status_code == HTTPStatus.UNAUTHORIZED
    assert head.has_header("WWW-Authenticate")
