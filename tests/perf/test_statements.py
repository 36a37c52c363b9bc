"""Delete and initial-token consumption, one statement per table: the same rows as Django's
collector leaves (registration/statements.py); registration, a rotating read and delete in one
statement on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models.signals import pre_delete
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from dcr_server import crypto
from registration import audit, statements, tokens
from registration.audit import CLI
from registration.models import AuditEvent, Client, RegistrationAccessToken
from registration.services import client_delete, client_register
from tenants.models import Workspace
from tests.helpers import WEB_CLIENT

TABLES = (Client, RegistrationAccessToken, AccessToken, RefreshToken, IDToken, Grant)


def _snapshot() -> dict[str, Any]:
    state: dict[str, Any] = {
        model._meta.label: set(model.objects.values_list("pk", flat=True)) for model in TABLES
    }
    state["refresh links"] = set(RefreshToken.objects.values_list("pk", "access_token_id"))
    state["source links"] = set(AccessToken.objects.values_list("pk", "source_refresh_token_id"))
    return state


def _client_with_tokens(workspace: Workspace, user: User) -> tuple[Client, str]:
    """A registered client with a grant, an ID token, an access token and its refresh token."""
    issued = client_register(workspace=workspace, raw_metadata=WEB_CLIENT)
    client = issued.client
    later = timezone.now() + timedelta(hours=1)
    id_token = IDToken.objects.create(user=user, application=client, expires=later)
    access = AccessToken.objects.create(
        user=user, application=client, token=f"at-{client.pk}", expires=later, id_token=id_token
    )
    refresh = RefreshToken.objects.create(
        user=user, application=client, token=f"rt-{client.pk}", access_token=access
    )
    successor = AccessToken.objects.create(
        user=user,
        application=client,
        token=f"at2-{client.pk}",
        expires=later,
        source_refresh_token=refresh,
    )
    Grant.objects.create(
        user=user,
        application=client,
        code=f"code-{client.pk}",
        expires=later,
        redirect_uri="https://app.example.com/callback",
        code_challenge="x" * 43,
        code_challenge_method="S256",
    )
    assert successor.pk
    assert issued.registration_access_token is not None
    return client, issued.registration_access_token


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("owner")


def _collector_result(client: Client) -> dict[str, Any]:
    with transaction.atomic():
        Client.objects.get(pk=client.pk).delete()
        result = _snapshot()
        transaction.set_rollback(True)
    return result


def test_the_plan_covers_every_table_that_references_a_client() -> None:
    plan = statements.client_dependents()

    assert plan is not None
    assert {model for model, _ in plan} == {
        Grant,
        AccessToken,
        RefreshToken,
        IDToken,
        RegistrationAccessToken,
    }


def test_deleting_table_by_table_leaves_what_the_collector_leaves(
    workspace: Workspace, user: User
) -> None:
    doomed, _ = _client_with_tokens(workspace, user)
    kept, _ = _client_with_tokens(workspace, user)
    expected = _collector_result(doomed)

    with transaction.atomic():
        statements.delete_client_rows(client=doomed)

    assert _snapshot() == expected
    assert Client.objects.filter(pk=kept.pk).exists()
    assert RefreshToken.objects.filter(application=kept).count() == 1


def test_rfc7592_delete_leaves_what_the_collector_leaves(workspace: Workspace, user: User) -> None:
    doomed, token = _client_with_tokens(workspace, user)
    _client_with_tokens(workspace, user)
    expected = _collector_result(doomed)

    client_delete(workspace=workspace, client_id=doomed.client_id, token=token, info=CLI)

    assert _snapshot() == expected
    event = AuditEvent.objects.filter(event=AuditEvent.Event.DELETE).get()
    assert event.client_id == doomed.client_id


def test_a_second_delete_with_the_same_token_deletes_nothing(
    workspace: Workspace, user: User
) -> None:
    doomed, token = _client_with_tokens(workspace, user)
    record = RegistrationAccessToken.objects.select_related("client").get(client=doomed)
    client_delete(workspace=workspace, client_id=doomed.client_id, token=token, info=CLI)
    before = _snapshot()
    events = AuditEvent.objects.count()
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement delete is PostgreSQL's")

    # The token was valid when read; by the time the statement runs it is gone.
    deleted = statements.delete_in_one_statement(
        record=record,
        event=audit.build(workspace=workspace, event="delete", info=CLI),
    )

    assert deleted is False
    assert _snapshot() == before
    assert AuditEvent.objects.count() == events


def test_a_rotated_token_makes_the_one_statement_delete_refuse(
    workspace: Workspace, user: User
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement delete is PostgreSQL's")
    client, _ = _client_with_tokens(workspace, user)
    record = RegistrationAccessToken.objects.select_related("client").get(client=client)
    stale_digest = record.digest
    tokens.rotate(record=record, ttl_seconds=60)
    record.digest = stale_digest
    before = _snapshot()

    deleted = statements.delete_in_one_statement(
        record=record, event=audit.build(workspace=workspace, event="delete", info=CLI)
    )

    assert deleted is False
    assert _snapshot() == before


def test_a_rotating_read_rotates_and_audits_in_one_statement(
    workspace: Workspace, user: User
) -> None:
    """RFC 7592 §2.1 on PostgreSQL: the rotation is a compare-and-swap on the digest the read was
    authenticated with; a second rotation from the same (now stale) record writes nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement read is PostgreSQL's")
    client, _ = _client_with_tokens(workspace, user)
    record = RegistrationAccessToken.objects.select_related("client").get(client=client)
    stale = RegistrationAccessToken.objects.get(pk=record.pk)
    events = AuditEvent.objects.filter(event="read").count()
    token, successor = tokens.new_successor(ttl_seconds=600)

    with CaptureQueriesContext(connection) as queries:
        rotated = statements.rotate_in_one_statement(
            record=record,
            successor=successor,
            event=audit.build(workspace=workspace, event="read", info=CLI, count=False),
        )

    assert rotated is True and len(queries) == 1
    stored = RegistrationAccessToken.objects.get(pk=record.pk)
    assert stored.digest == crypto.token_digest(token) == record.digest
    assert AuditEvent.objects.filter(event="read").count() == events + 1

    _, late = tokens.new_successor(ttl_seconds=600)
    again = statements.rotate_in_one_statement(
        record=stale,
        successor=late,
        event=audit.build(workspace=workspace, event="read", info=CLI, count=False),
    )

    assert again is False
    assert RegistrationAccessToken.objects.get(pk=record.pk).digest == record.digest
    assert AuditEvent.objects.filter(event="read").count() == events + 1


def test_consuming_an_access_token_leaves_what_the_collector_leaves(
    workspace: Workspace, user: User
) -> None:
    client, _ = _client_with_tokens(workspace, user)
    access = AccessToken.objects.get(application=client, token=f"at-{client.pk}")
    with transaction.atomic():
        AccessToken.objects.get(pk=access.pk).delete()
        expected = _snapshot()
        transaction.set_rollback(True)

    with transaction.atomic():
        assert statements.consume_access_token(token=access) is True

    assert _snapshot() == expected
    assert RefreshToken.objects.get(application=client).access_token_id is None
    assert statements.consume_access_token(token=access) is False  # single use


def test_a_delete_receiver_brings_the_collector_back() -> None:
    def receiver(**kwargs: Any) -> None:
        pass

    pre_delete.connect(receiver, sender=AccessToken)
    try:
        assert statements.client_dependents() is None
        assert statements.access_token_links() is None
    finally:
        pre_delete.disconnect(receiver, sender=AccessToken)
    assert statements.client_dependents() is not None


def test_postgresql_registers_in_one_statement(workspace: Workspace) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes the rows one by one in a transaction")
    client_register(workspace=workspace, raw_metadata=WEB_CLIENT)  # warm the compiled parts

    with CaptureQueriesContext(connection) as queries:
        issued = client_register(workspace=workspace, raw_metadata=WEB_CLIENT)

    assert len(queries.captured_queries) == 1
    assert RegistrationAccessToken.objects.get(client=issued.client).pk
    assert AuditEvent.objects.filter(client_id=issued.client.client_id).count() == 1
