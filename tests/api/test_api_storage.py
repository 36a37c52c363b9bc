"""Secrets at rest: the database never holds a client secret or a registration token in clear."""

from __future__ import annotations

import json
from typing import Any

from django.core import serializers
from django.db import connection
from oauth2_provider.models import AccessToken

from registration.models import Client, RegistrationAccessToken
from tests.helpers import basic


def _database_dump() -> str:
    """Every row of every model, as JSON text."""
    from django.apps import apps

    rows = []
    for model in apps.get_models():
        rows.append(serializers.serialize("json", model.objects.all()))
    return "\n".join(rows)


def test_client_secret_and_registration_token_are_not_stored_in_clear(
    api: Any, registered: dict[str, Any]
) -> None:
    dump = _database_dump()

    assert registered["client_secret"] not in dump
    assert registered["registration_access_token"] not in dump
    client = Client.objects.get(client_id=registered["client_id"])
    assert client.client_secret_encrypted
    assert client.client_secret == registered["client_secret"]  # decrypts for RFC 7592 §2.1 reads


def test_registration_token_is_stored_as_sha256_digest(registered: dict[str, Any]) -> None:
    import hashlib

    record = RegistrationAccessToken.objects.get()
    expected = hashlib.sha256(registered["registration_access_token"].encode()).hexdigest()
    assert record.digest == expected


def test_access_tokens_are_stored_as_checksums_rfc9700_4_14(
    api: Any, service_client: dict[str, Any]
) -> None:
    response = api.post(
        "/default/default/oauth2/token",
        {"grant_type": "client_credentials"},
        **basic(service_client["client_id"], service_client["client_secret"]),
    )
    access_token = response.json()["access_token"]

    assert access_token not in _database_dump()
    assert AccessToken.objects.get().token == ""


def test_raw_sql_finds_no_secret(registered: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Client._meta.db_table}")
        rows = json.dumps(cursor.fetchall(), default=str)

    assert registered["client_secret"] not in rows
