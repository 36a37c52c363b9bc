"""Queries per operation: a ceiling at today's count, so an extra query per request fails here.

The bounds are the counts measured on the suite's database (``make bench`` shows what each one
costs in requests per second). When a change lowers a count, lower its bound with it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client as HttpClient

from registration.configuration import SettingsChange, dcr_configure
from tenants.models import Workspace
from tests.conftest import RegisterFn
from tests.helpers import SERVICE_CLIENT, WEB_CLIENT, basic, bearer, put_json, ws_url

MaxQueries = Callable[[int], AbstractContextManager[Any]]

# Measured on SQLite and PostgreSQL: the same counts on both, except register, a rotating read
# and delete, which PostgreSQL runs as one statement each (registration/statements.py): register
# is the configuration version read and that statement; read and delete the version, the token
# read and it.
_POSTGRESQL = connection.vendor == "postgresql"
REGISTER_QUERIES = 2 if _POSTGRESQL else 7
READ_QUERIES = 3 if _POSTGRESQL else 6
READ_WITHOUT_ROTATION_QUERIES = 3  # the version, the token, the audit row: no transaction
UPDATE_QUERIES = 8
DELETE_QUERIES = 3 if _POSTGRESQL else 11
FIRST_TOKEN_QUERIES = 6  # also records the client's last use (once a minute at most)
TOKEN_QUERIES = 5


def _path(registered: dict[str, Any]) -> str:
    return urlsplit(registered["registration_client_uri"]).path


def test_register_queries(register: RegisterFn, django_assert_max_num_queries: MaxQueries) -> None:
    register()  # the first request of a process warms per-process caches

    with django_assert_max_num_queries(REGISTER_QUERIES):
        response = register()

    assert response.status_code == HTTPStatus.CREATED, response.content


def test_read_with_rotation_queries(
    api: HttpClient, registered: dict[str, Any], django_assert_max_num_queries: MaxQueries
) -> None:
    with django_assert_max_num_queries(READ_QUERIES):
        response = api.get(_path(registered), **bearer(registered["registration_access_token"]))

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["registration_access_token"] != registered["registration_access_token"]


def test_read_without_rotation_queries(
    api: HttpClient,
    workspace: Workspace,
    registered: dict[str, Any],
    django_assert_max_num_queries: MaxQueries,
) -> None:
    dcr_configure(workspace=workspace, change=SettingsChange(token_rotation="update"))
    api.get(ws_url(workspace, "/.well-known/openid-configuration"))  # the new settings cached

    with django_assert_max_num_queries(READ_WITHOUT_ROTATION_QUERIES):
        response = api.get(_path(registered), **bearer(registered["registration_access_token"]))

    assert response.status_code == HTTPStatus.OK, response.content
    assert "registration_access_token" not in response.json()


def test_update_queries(
    api: HttpClient, registered: dict[str, Any], django_assert_max_num_queries: MaxQueries
) -> None:
    body = {**WEB_CLIENT, "client_id": registered["client_id"], "client_name": "Renamed"}

    with django_assert_max_num_queries(UPDATE_QUERIES):
        response = put_json(
            api, _path(registered), body, **bearer(registered["registration_access_token"])
        )

    assert response.status_code == HTTPStatus.OK, response.content


def test_delete_queries(
    api: HttpClient, registered: dict[str, Any], django_assert_max_num_queries: MaxQueries
) -> None:
    with django_assert_max_num_queries(DELETE_QUERIES):
        response = api.delete(_path(registered), **bearer(registered["registration_access_token"]))

    assert response.status_code == HTTPStatus.NO_CONTENT, response.content


@pytest.mark.parametrize(
    ("repeat", "bound"),
    [(1, FIRST_TOKEN_QUERIES), (2, TOKEN_QUERIES)],
    ids=["first-token", "second-token"],
)
def test_client_credentials_token_queries(
    api: HttpClient,
    workspace: Workspace,
    register: RegisterFn,
    repeat: int,
    bound: int,
    django_assert_max_num_queries: MaxQueries,
) -> None:
    created = register(SERVICE_CLIENT).json()
    auth = basic(created["client_id"], created["client_secret"])
    token_url = ws_url(workspace, "/oauth2/token")
    for _ in range(repeat - 1):
        api.post(token_url, {"grant_type": "client_credentials"}, **auth)

    with django_assert_max_num_queries(bound):
        response = api.post(token_url, {"grant_type": "client_credentials"}, **auth)

    assert response.status_code == HTTPStatus.OK, response.content
