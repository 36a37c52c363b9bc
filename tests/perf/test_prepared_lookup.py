"""dcr_server.prepared: a lookup compiled once answers exactly what the ORM answers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db.models import QuerySet

from dcr_server.prepared import PreparationError, PreparedLookup
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
