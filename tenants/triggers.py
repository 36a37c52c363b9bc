"""The triggers that rewrite ``ConfigurationVersion.value`` on every change of a watched table.

Used by migrations (``tenants`` 0003 for the tenants tables, ``registration`` 0005 for the DCR
settings); written per database vendor, each trigger fires once per statement.
"""

# ruff: noqa: S608 - the SQL is built from the migrations' own table names, never from input

from __future__ import annotations

from typing import Any

VERSION_TABLE = "tenants_configurationversion"
_FUNCTION = "tenants_bump_configuration_version"


def _postgresql_function() -> str:
    # random(): a fresh 63-bit value (see ConfigurationVersion); statement-level, so a bulk
    # update rewrites the row once. Identifiers are the migrations' own constants, no input.
    return f"""
        CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {VERSION_TABLE} SET value = floor(random() * 9e18)::bigint WHERE id = 1;
            RETURN NULL;
        END $$;
    """


def create_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            _postgresql_function(),
            f"DROP TRIGGER IF EXISTS {table}_bumps_version ON {table}",
            f"CREATE TRIGGER {table}_bumps_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()",
        ]
    if vendor == "sqlite":
        # SQLite has row-level triggers only; random() is a 64-bit random integer.
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_bumps_version_{event.lower()} "
            f"AFTER {event} ON {table} BEGIN "
            f"UPDATE {VERSION_TABLE} SET value = random() WHERE id = 1; END"
            for event in ("INSERT", "UPDATE", "DELETE")
        ]
    raise NotImplementedError(f"configuration version triggers for {vendor}")


def drop_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_bumps_version ON {table}"]
    return [
        f"DROP TRIGGER IF EXISTS {table}_bumps_version_{event.lower()}"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def installer(*tables: str) -> tuple[Any, Any]:
    """(forwards, backwards) functions for ``migrations.RunPython``."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for sql in create_sql(schema_editor.connection.vendor, table):
                schema_editor.execute(sql)

    def backwards(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for sql in drop_sql(schema_editor.connection.vendor, table):
                schema_editor.execute(sql)

    return forwards, backwards
