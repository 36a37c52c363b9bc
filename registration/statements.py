"""The write paths in as few statements and round trips as their guarantees allow.

**Register.** On PostgreSQL the client, its registration access token, the audit event and (when
the workspace is protected by an access token) the consumption of the initial access token are
one statement: data-modifying ``WITH`` clauses, so a registration is one round trip and atomic by
itself, without BEGIN and COMMIT. Elsewhere (SQLite) they are separate INSERTs in one transaction.

**Read** (RFC 7592 §2.1), when it rotates the registration access token, is one statement on
PostgreSQL as well: the compare-and-swap UPDATE of the token and the audit row, so two reads
with one token rotate it once (the other finds the digest changed: 401) without a row lock,
BEGIN or COMMIT.

**Delete** (RFC 7592 §2.3) and **consuming an initial access token** remove rows with one
statement per table instead of Django's collector, which selects the ids of every related table
before deleting. The tables come from Django's relations (``client_dependents``): every table with
a CASCADE foreign key to clients gets one DELETE. Where a relation needs more than that (another
``on_delete``, or a table outside the set pointing into it), the collector runs as before, so a
table added later is never forgotten. django-oauth-toolkit links an access token only to the
refresh and ID tokens of its own application, so deleting a client's rows table by table leaves
nothing dangling (the foreign keys, deferred to commit, would refuse the commit otherwise).
On PostgreSQL a delete is one statement too: a compare-and-swap on the token's digest followed by
the deletes and the audit row, so a second delete with the same token deletes nothing (401).

Values go through each field's ``pre_save`` and ``get_db_prep_save`` (``PreparedInsert.params``),
exactly as ``save()`` sends them; a model with save signal receivers falls back to ``save()``.
"""

# ruff: noqa: S608 - identifiers come from the models, quoted by the connection; values are parameters

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db import connections, router
from django.db.models import CASCADE, SET_NULL, Field, Model
from django.db.models.signals import post_delete, pre_delete
from oauth2_provider.models import AccessToken, RefreshToken

from dcr_server.prepared import PreparedInsert
from registration.models import AuditEvent, Client, RegistrationAccessToken
from registration.tokens import Successor

Plan = tuple[tuple[type[Model], str], ...]


def _relations(model: type[Model]) -> list[Any]:
    return list(model._meta.related_objects)


@lru_cache(maxsize=1)
def _planned_dependents() -> Plan | None:
    """(model, field) of every table that references a client, each emptied with one DELETE;
    None when a relation needs Django's collector (not CASCADE, or rows that point into a
    dependent from a table that is not one): then ``client.delete()`` runs instead."""
    plan = []
    for relation in _relations(Client):
        if relation.on_delete is not CASCADE:
            return None
        plan.append((relation.related_model, relation.field.name))
    dependents = {model for model, _ in plan}
    for model in dependents:
        if any(r.related_model not in dependents for r in _relations(model)):
            return None
    return tuple(plan)


def _signalled(*models: type[Model]) -> bool:
    """A delete receiver listens: only the collector sends those signals."""
    return any(pre_delete.has_listeners(m) or post_delete.has_listeners(m) for m in models)


def client_dependents() -> Plan | None:
    plan = _planned_dependents()
    if plan is None or _signalled(Client, *(model for model, _ in plan)):
        return None
    return plan


def access_token_links() -> Plan | None:
    links = _planned_links()
    if links is None or _signalled(AccessToken):
        return None
    return links


@lru_cache(maxsize=1)
def _planned_links() -> Plan | None:
    """(model, field) of the links set to NULL when an access token is deleted; None when a
    relation to access tokens is anything but SET_NULL (then Django's collector deletes)."""
    links = []
    for relation in _relations(AccessToken):
        if relation.on_delete is not SET_NULL:
            return None
        links.append((relation.related_model, relation.field.name))
    return tuple(links)


CLIENT_INSERT: PreparedInsert[Client] = PreparedInsert(Client)
TOKEN_INSERT: PreparedInsert[RegistrationAccessToken] = PreparedInsert(RegistrationAccessToken)
AUDIT_INSERT: PreparedInsert[AuditEvent] = PreparedInsert(AuditEvent)


def _column(model: type[Model], name: str, alias: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return str(connections[alias].ops.quote_name(str(field.column)))


def _table(model: type[Model], alias: str) -> str:
    return str(connections[alias].ops.quote_name(model._meta.db_table))


def _insert_select(
    insert: PreparedInsert[Any], model: type[Model], alias: str, linked: dict[str, str]
) -> tuple[str, str]:
    """(``INSERT INTO t (cols)``, ``SELECT %s, ...``) with ``linked`` columns as SQL expressions.

    PostgreSQL assigns each selected value to its column's type (assignment casts), as VALUES does.
    """
    qn = connections[alias].ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in insert.columns)
    values = ", ".join(linked.get(f.name, "%s") for f in insert.columns)
    return f"INSERT INTO {_table(model, alias)} ({columns})", f"SELECT {values}"


def _unlinked(params: list[Any], insert: PreparedInsert[Any], linked: dict[str, str]) -> list[Any]:
    return [p for f, p in zip(insert.columns, params, strict=True) if f.name not in linked]


def _token_params(record: RegistrationAccessToken, alias: str) -> list[Any] | None:
    """The token's INSERT values without its client (the client row is written alongside)."""
    if TOKEN_INSERT._needs_save(record):
        return None
    connection = connections[alias]
    return [
        None if f.name == "client" else f.get_db_prep_save(f.pre_save(record, True), connection)
        for f in TOKEN_INSERT.columns
    ]


def register_in_one_statement(
    *,
    client: Client,
    record: RegistrationAccessToken,
    event: AuditEvent,
    initial_access_token: AccessToken | None,
) -> bool | None:
    """PostgreSQL: write the registration's rows (and consume the initial access token) at once.

    True when written; False when the initial access token was consumed by a parallel
    registration (nothing was written); None when this database or model needs the per-row path.
    """
    alias = router.db_for_write(Client)
    if connections[alias].vendor != "postgresql":
        return None
    client_params = CLIENT_INSERT.params(client, alias)
    token_params = _token_params(record, alias)
    event_params = AUDIT_INSERT.params(event, alias)
    if client_params is None or token_params is None or event_params is None:
        return None
    qn = connections[alias].ops.quote_name
    pk = qn("id")
    clauses: list[str] = []
    params: list[Any] = []
    condition = ""
    links = access_token_links()
    if initial_access_token is not None and links != ((RefreshToken, "access_token"),):
        return None  # another table links to access tokens: the per-row path handles it
    if initial_access_token is not None:
        # RFC 7591 §3 (the seed's "terminated"): single use. Consumed in the same statement;
        # the client is written only when this statement deleted the token.
        refresh = _table(RefreshToken, alias)
        link = _column(RefreshToken, "access_token", alias)
        clauses.append(
            f"d AS (DELETE FROM {_table(AccessToken, alias)} WHERE {pk} = %s RETURNING {pk})"
        )
        clauses.append(
            f"r AS (UPDATE {refresh} SET {link} = NULL WHERE {link} IN (SELECT {pk} FROM d))"
        )
        params.append(initial_access_token.pk)
        condition = " WHERE EXISTS (SELECT 1 FROM d)"
    head, select = _insert_select(CLIENT_INSERT, Client, alias, {})
    clauses.append(f"c AS ({head} {select}{condition} RETURNING {pk})")
    params += client_params
    linked = {"client": f"c.{pk}"}
    head, select = _insert_select(TOKEN_INSERT, RegistrationAccessToken, alias, linked)
    clauses.append(f"t AS ({head} {select} FROM c RETURNING {pk})")
    params += _unlinked(token_params, TOKEN_INSERT, linked)
    head, select = _insert_select(AUDIT_INSERT, AuditEvent, alias, {})
    sql = (
        f"WITH {', '.join(clauses)} {head} {select} FROM c "
        f"RETURNING {pk}, (SELECT {pk} FROM c), (SELECT {pk} FROM t)"
    )
    params += event_params
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    event_pk, client_pk, token_pk = row
    CLIENT_INSERT.inserted(client, client_pk, alias)
    record.client = client
    TOKEN_INSERT.inserted(record, token_pk, alias)
    AUDIT_INSERT.inserted(event, event_pk, alias)
    return True


def consume_access_token(*, token: AccessToken) -> bool:
    """Delete the access token (links to it set to NULL, as Django's SET_NULL does); False when
    it was gone already. Must run inside the registration's transaction."""
    alias = router.db_for_write(AccessToken)
    links = access_token_links()
    if links is None:
        counts = AccessToken._base_manager.using(alias).filter(pk=token.pk).delete()[1]
        return counts.get(AccessToken._meta.label, 0) == 1
    for model, field in links:
        model._base_manager.using(alias).filter(**{field: token.pk}).update(**{field: None})
    deleted: int = AccessToken._base_manager.using(alias).filter(pk=token.pk)._raw_delete(alias)
    return deleted == 1


def delete_client_rows(*, client: Client) -> None:
    """One DELETE per table (see the module docstring); inside the caller's transaction."""
    alias = router.db_for_write(Client)
    plan = client_dependents()
    if plan is None:
        client.delete(using=alias)
        return
    for model, field in plan:
        model._base_manager.using(alias).filter(**{field: client.pk})._raw_delete(alias)
    Client._base_manager.using(alias).filter(pk=client.pk)._raw_delete(alias)


def rotate_in_one_statement(
    *, record: RegistrationAccessToken, successor: Successor, event: AuditEvent
) -> bool | None:
    """PostgreSQL: rotate the token of ``record`` (RFC 7592 §2.1) and write ``event`` in one
    statement, a compare-and-swap on the digest ``record`` was authenticated with.

    True when rotated; False when the token changed or went meanwhile (nothing was written: a
    parallel read or update rotated it first); None when this database needs the transaction.
    """
    alias = router.db_for_write(RegistrationAccessToken)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    event_params = AUDIT_INSERT.params(event, alias)
    if event_params is None:
        return None
    qn = connection.ops.quote_name
    pk = qn("id")
    digest = _column(RegistrationAccessToken, "digest", alias)
    values = []
    assignments = []
    for name, value in successor.values().items():
        field = RegistrationAccessToken._meta.get_field(name)
        assert isinstance(field, Field)
        assignments.append(f"{_column(RegistrationAccessToken, name, alias)} = %s")
        values.append(field.get_db_prep_save(value, connection))
    head, select = _insert_select(AUDIT_INSERT, AuditEvent, alias, {})
    sql = (
        f"WITH t AS (UPDATE {_table(RegistrationAccessToken, alias)} SET {', '.join(assignments)} "
        f"WHERE {pk} = %s AND {digest} = %s RETURNING {pk}) "
        f"{head} {select} FROM t RETURNING {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, record.pk, record.digest, *event_params])
        row = cursor.fetchone()
    if row is None:
        return False
    AUDIT_INSERT.inserted(event, row[0], alias)
    successor.apply_to(record)
    return True


def delete_in_one_statement(*, record: RegistrationAccessToken, event: AuditEvent) -> bool | None:
    """PostgreSQL: delete the client of ``record`` with all its rows and write ``event``, in one
    statement that first deletes the token only if its digest is still ``record.digest``.

    True when deleted; False when the token changed or went meanwhile (nothing was written);
    None when this database or model needs the per-table path.
    """
    alias = router.db_for_write(Client)
    plan = client_dependents()
    if connections[alias].vendor != "postgresql" or plan is None:
        return None
    event_params = AUDIT_INSERT.params(event, alias)
    if event_params is None:
        return None
    qn = connections[alias].ops.quote_name
    pk = qn("id")
    token_table = _table(RegistrationAccessToken, alias)
    owner = _column(RegistrationAccessToken, "client", alias)
    clauses = [
        f"t AS (DELETE FROM {token_table} WHERE {pk} = %s AND {qn('digest')} = %s "
        f"RETURNING {owner})"
    ]
    for n, (model, field) in enumerate(plan):
        if model is RegistrationAccessToken:
            continue
        column = _column(model, field, alias)
        clauses.append(
            f"x{n} AS (DELETE FROM {_table(model, alias)} "
            f"WHERE {column} IN (SELECT {owner} FROM t))"
        )
    clauses.append(
        f"c AS (DELETE FROM {_table(Client, alias)} WHERE {pk} IN (SELECT {owner} FROM t) "
        f"RETURNING {pk})"
    )
    head, select = _insert_select(AUDIT_INSERT, AuditEvent, alias, {})
    sql = f"WITH {', '.join(clauses)} {head} {select} FROM c RETURNING {pk}"
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [record.pk, record.digest, *event_params])
        row = cursor.fetchone()
    if row is None:
        return False
    AUDIT_INSERT.inserted(event, row[0], alias)
    return True
