"""dcr_server.prepared: lookups, inserts and updates compiled once do what the ORM does."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.utils import timezone

from dcr_server.prepared import PreparationError, PreparedInsert, PreparedLookup, PreparedUpdate
from registration.models import Client, DCRSettings
from tenants.models import Workspace
from tenants.services import workspace_create

MaxQueries = Callable[[int], AbstractContextManager[Any]]


def _by_slugs() -> PreparedLookup[Workspace]:
    return PreparedLookup(
        lambda tenant, workspace: (
            Workspace.objects.select_related("tenant", "dcr_settings")
            .filter(tenant__slug=tenant, slug=workspace)
            .order_by()
        ),
        tenant=str,
        workspace=str,
    )


def _orm_by_slugs(tenant: str, workspace: str) -> Workspace | None:
    return (
        Workspace.objects.select_related("tenant", "dcr_settings")
        .filter(tenant__slug=tenant, slug=workspace)
        .first()
    )


def _field_values(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.mark.django_db
def test_same_instance_as_the_orm_with_related_objects_and_converted_values(
    django_assert_num_queries: MaxQueries,
) -> None:
    workspace_create(tenant_slug="acme", workspace_slug="prod")
    DCRSettings.objects.filter(workspace__slug="prod").update(default_scopes=["openid", "email"])
    expected = _orm_by_slugs("acme", "prod")
    assert expected is not None

    with django_assert_num_queries(1):
        found = _by_slugs().first(tenant="acme", workspace="prod")
        assert found is not None
        # select_related objects come from the same row: no further query.
        tenant, settings = found.tenant, found.dcr_settings

    assert _field_values(found) == _field_values(expected)
    assert _field_values(tenant) == _field_values(expected.tenant)
    assert _field_values(settings) == _field_values(expected.dcr_settings)
    assert settings.default_scopes == ["openid", "email"]  # JSON decoded by the converters
    assert found.created_at == expected.created_at  # an aware datetime on every database
    assert found._state.adding is False
    assert found._state.db == "default"


@pytest.mark.django_db
def test_each_call_runs_with_its_own_values() -> None:
    workspace_create(tenant_slug="acme", workspace_slug="prod")
    workspace_create(tenant_slug="acme", workspace_slug="test")
    lookup = _by_slugs()

    prod = lookup.first(tenant="acme", workspace="prod")
    test = lookup.first(tenant="acme", workspace="test")

    assert prod is not None and prod.slug == "prod"
    assert test is not None and test.slug == "test"
    assert lookup.first(tenant="acme", workspace="staging") is None
    assert lookup.first(tenant="nobody", workspace="prod") is None


@pytest.mark.django_db
def test_a_missing_reverse_one_to_one_raises_like_the_orm() -> None:
    workspace = workspace_create(tenant_slug="acme", workspace_slug="prod")
    DCRSettings.objects.filter(workspace=workspace).delete()

    found = _by_slugs().first(tenant="acme", workspace="prod")

    assert found is not None
    with pytest.raises(Workspace.dcr_settings.RelatedObjectDoesNotExist):
        found.dcr_settings  # noqa: B018 - the access is the assertion


@pytest.mark.django_db
def test_compiled_once_per_database(monkeypatch: pytest.MonkeyPatch) -> None:
    workspace_create(tenant_slug="acme", workspace_slug="prod")
    builds: list[tuple[str, str]] = []

    def build(tenant: str, workspace: str) -> QuerySet[Workspace]:
        builds.append((tenant, workspace))
        return Workspace.objects.filter(tenant__slug=tenant, slug=workspace)

    lookup = PreparedLookup(build, tenant=str, workspace=str)
    for _ in range(5):
        assert lookup.first(tenant="acme", workspace="prod") is not None

    # Once to learn the database, once to compile; never with a caller's values.
    assert len(builds) == 2
    assert all("\x00" in tenant for tenant, _ in builds)


@pytest.mark.django_db
def test_a_rewritten_placeholder_is_refused_at_compile_time() -> None:
    # __contains wraps the value in %...%: it no longer reaches the SQL as the placeholder.
    lookup = PreparedLookup(lambda name: Client.objects.filter(name__contains=name), name=str)

    with pytest.raises(PreparationError, match="'name' reached the SQL 0 times"):
        lookup.first(name="x")


def test_only_declared_parameters_are_accepted() -> None:
    lookup = PreparedLookup(lambda name: Client.objects.filter(name=name), name=str)

    with pytest.raises(TypeError, match="expected parameters"):
        lookup.first(client_id="x")
    with pytest.raises(PreparationError, match="only str and int"):
        PreparedLookup(lambda when: Client.objects.filter(created=when), when=float)
    with pytest.raises(PreparationError, match="at least one parameter"):
        PreparedLookup(lambda: Client.objects.all())


_CLIENT_NUMBERS = itertools.count()


def _client_row(workspace: Workspace) -> Client:
    client = Client(
        workspace=workspace,
        client_id=f"prepared-{next(_CLIENT_NUMBERS)}",
        name="Prepared",
        redirect_uris="https://app.example.com/cb",
        client_type=Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
    )
    client.set_client_secret("s3cret-value", expires_at=None)
    return client


@pytest.mark.django_db
def test_insert_writes_what_save_writes(workspace: Workspace) -> None:
    by_save, by_insert = _client_row(workspace), _client_row(workspace)
    by_save.save()

    PreparedInsert(Client).insert(by_insert)

    assert by_insert.pk is not None and by_insert.pk != by_save.pk
    assert by_insert._state.adding is False and by_insert._state.db == "default"
    stored_save, stored_insert = (Client.objects.get(pk=c.pk) for c in (by_save, by_insert))
    differing = {
        name
        for name, value in _field_values(stored_insert).items()
        if value != _field_values(stored_save)[name]
    }
    # Only what is unique per row (Fernet tokens are randomized; created/updated come from the
    # fields' own pre_save at insert time).
    assert differing <= {
        "id",
        "client_id",
        "client_secret",
        "client_secret_encrypted",
        "created",
        "updated",
    }
    assert stored_insert.client_secret == "s3cret-value"  # encrypted and decrypted again
    assert stored_insert.created is not None and stored_insert.updated is not None


@pytest.mark.django_db
def test_insert_runs_one_query_and_never_calls_save(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: MaxQueries
) -> None:
    inserts = PreparedInsert(Client)
    inserts.insert(_client_row(workspace))  # compiled here

    def no_save(self: Client, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("save() called")

    monkeypatch.setattr(Client, "save", no_save)
    row = _client_row(workspace)
    with django_assert_num_queries(1):
        inserts.insert(row)


@pytest.mark.django_db
def test_insert_falls_back_to_save_for_receivers_and_existing_rows(workspace: Workspace) -> None:
    inserts = PreparedInsert(Client)
    saved: list[int] = []

    def receiver(sender: Any, instance: Client, created: bool, **kwargs: Any) -> None:
        saved.append(instance.pk)

    post_save.connect(receiver, sender=Client)
    try:
        client = inserts.insert(_client_row(workspace))
    finally:
        post_save.disconnect(receiver, sender=Client)
    assert saved == [client.pk]

    client.name = "Renamed"
    inserts.insert(client)  # not new: save() updates it
    assert Client.objects.get(pk=client.pk).name == "Renamed"
    assert Client.objects.filter(name__in=["Prepared", "Renamed"]).count() == 1


def test_insert_refuses_models_it_cannot_mirror() -> None:
    class Custom(Workspace):
        class Meta:
            proxy = True
            app_label = "tenants"

        def save(self, *args: Any, **kwargs: Any) -> None:
            super().save(*args, **kwargs)

    with pytest.raises(PreparationError, match="custom save"):
        PreparedInsert(Custom)


@pytest.mark.django_db
def test_update_changes_matching_rows_like_queryset_update(workspace: Workspace) -> None:
    first, second = (PreparedInsert(Client).insert(_client_row(workspace)) for _ in range(2))
    rename = PreparedUpdate(Client, fields=("name", "last_used_at"), where=("id", "name"))
    when = timezone.now()

    changed = rename.run(
        values={"name": "Renamed", "last_used_at": when}, where={"id": first.pk, "name": "Prepared"}
    )
    # A compare-and-swap: the old value no longer matches, nothing changes.
    unchanged = rename.run(
        values={"name": "Again", "last_used_at": None}, where={"id": first.pk, "name": "Prepared"}
    )

    assert (changed, unchanged) == (1, 0)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.name, first.last_used_at) == ("Renamed", when)
    assert (second.name, second.last_used_at) == ("Prepared", None)


def test_update_refuses_what_is_not_a_column() -> None:
    with pytest.raises(PreparationError, match="not a column"):
        PreparedUpdate(Workspace, fields=("signing_keys",), where=("id",))
    with pytest.raises(PreparationError, match="fields to set and a condition"):
        PreparedUpdate(Workspace, fields=("name",), where=())
