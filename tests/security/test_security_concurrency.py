"""Races on real connections (threads, one database connection each; RFC 7592 §2 tokens).

The single-use ``dcr_register`` access token under parallel use is covered in
tests/protections/test_protect_access_token.py::test_ten_parallel_registrations_with_one_token_exactly_one_succeeds.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client as HttpClient

from registration.models import Client, DCRSettings, RegistrationAccessToken, TokenRotation
from tenants.models import Workspace
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, bearer, post_json, put_json
from tests.security.conftest import requires_postgres, run_parallel

REGISTER = "/default/default/oauth2/register"
PARALLEL = 8

pytestmark = [pytest.mark.django_db(transaction=True)]


def _register(body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post_json(HttpClient(), REGISTER, body or SERVICE_CLIENT)
    assert response.status_code == HTTPStatus.CREATED, response.content
    created: dict[str, Any] = response.json()
    return created


@requires_postgres
@pytest.mark.slow
def test_rfc7592_2_1_parallel_reads_with_one_token_one_wins_one_token_remains(
    workspace: Workspace,
) -> None:
    created = _register()
    uri = f"{REGISTER}/{created['client_id']}"
    old = created["registration_access_token"]

    responses = run_parallel(PARALLEL, lambda _i: HttpClient().get(uri, **bearer(old)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [HTTPStatus.OK] + [HTTPStatus.UNAUTHORIZED] * (PARALLEL - 1)
    winner = next(r for r in responses if r.status_code == HTTPStatus.OK).json()
    new = winner["registration_access_token"]
    assert new != old
    # Exactly one token row for the client, and it is the winner's.
    assert (
        RegistrationAccessToken.objects.filter(client__client_id=created["client_id"]).count() == 1
    )
    assert HttpClient().get(uri, **bearer(old)).status_code == HTTPStatus.UNAUTHORIZED
    assert HttpClient().get(uri, **bearer(new)).status_code == HTTPStatus.OK


@pytest.mark.slow
def test_rfc7591_3_parallel_registrations_get_distinct_readable_clients(
    workspace: Workspace,
) -> None:
    DCRSettings.objects.filter(workspace=workspace).update(token_rotation=TokenRotation.NEVER)

    def register(index: int) -> Any:
        return post_json(HttpClient(), REGISTER, {**SERVICE_CLIENT, "client_name": f"c{index}"})

    responses = run_parallel(PARALLEL, register)

    assert [r.status_code for r in responses] == [HTTPStatus.CREATED] * PARALLEL
    bodies = [r.json() for r in responses]
    ids = {body["client_id"] for body in bodies}
    assert len(ids) == PARALLEL
    assert len({body["client_secret"] for body in bodies}) == PARALLEL
    assert len({body["registration_access_token"] for body in bodies}) == PARALLEL
    assert Client.objects.filter(client_id__in=ids).count() == PARALLEL
    for body in bodies:
        read = HttpClient().get(
            f"{REGISTER}/{body['client_id']}", **bearer(body["registration_access_token"])
        )
        assert read.status_code == HTTPStatus.OK, read.content
        assert read.json()["client_name"] == body["client_name"]


def _full_body(client_id: str, index: int) -> dict[str, Any]:
    """A distinct full replacement: every field that maps to a column differs by ``index``."""
    return {
        "client_id": client_id,
        "client_name": f"Body {index}",
        "grant_types": ["authorization_code", "refresh_token"]
        if index % 2
        else ["authorization_code"],
        "redirect_uris": [f"https://app{index}.example.com/cb", f"https://x{index}.example.com/cb"],
        "contacts": [f"ops{index}@example.com"],
        "scope": "openid profile" if index % 2 else "openid email",
        "software_id": f"software-{index}",
    }


@pytest.mark.slow
def test_rfc7592_2_2_parallel_full_updates_store_exactly_one_body(workspace: Workspace) -> None:
    """No lost update and never a mix: the stored metadata and columns are one body's."""
    DCRSettings.objects.filter(workspace=workspace).update(token_rotation=TokenRotation.NEVER)
    created = _register(WEB_CLIENT)
    client_id, token = created["client_id"], created["registration_access_token"]
    uri = f"{REGISTER}/{client_id}"

    responses = run_parallel(
        PARALLEL, lambda i: put_json(HttpClient(), uri, _full_body(client_id, i), **bearer(token))
    )

    assert [r.status_code for r in responses] == [HTTPStatus.OK] * PARALLEL, [
        r.content for r in responses if r.status_code != HTTPStatus.OK
    ]
    client = Client.objects.get(client_id=client_id)
    written = [_metadata_of(r.json()) for r in responses]
    assert client.metadata in written
    index = written.index(client.metadata)
    # The columns DOT reads agree with the same body (not a mix of two writers).
    assert client.name == f"Body {index}"
    assert client.redirect_uris.split() == written[index]["redirect_uris"]
    assert client.grant_types == written[index]["grant_types"]
    assert client.software_id == f"software-{index}"
    assert client.client_secret == created["client_secret"]  # the secret never changes on update
    read = HttpClient().get(uri, **bearer(token))
    assert read.status_code == HTTPStatus.OK
    assert _metadata_of(read.json()) == client.metadata


SERVER_FIELDS = {
    "client_id",
    "client_id_issued_at",
    "client_secret",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_access_token_expires_in",
    "registration_client_uri",
}


def _metadata_of(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in SERVER_FIELDS}


@requires_postgres
@pytest.mark.slow
def test_rfc7592_2_parallel_update_and_delete_never_leave_an_orphan(workspace: Workspace) -> None:
    """Updates racing a delete: the client is gone afterwards, with no token row left behind."""
    DCRSettings.objects.filter(workspace=workspace).update(token_rotation=TokenRotation.NEVER)
    created = _register(WEB_CLIENT)
    client_id, token = created["client_id"], created["registration_access_token"]
    uri = f"{REGISTER}/{client_id}"

    def act(index: int) -> Any:
        if index == 0:
            return HttpClient().delete(uri, **bearer(token))
        return put_json(HttpClient(), uri, _full_body(client_id, index), **bearer(token))

    responses = run_parallel(PARALLEL, act)

    assert responses[0].status_code == HTTPStatus.NO_CONTENT
    assert {r.status_code for r in responses[1:]} <= {HTTPStatus.OK, HTTPStatus.UNAUTHORIZED}
    assert not Client.objects.filter(client_id=client_id).exists()
    assert not RegistrationAccessToken.objects.filter(client__client_id=client_id).exists()
