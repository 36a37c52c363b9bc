"""Model lookups, inserts and updates compiled to SQL once per database, then run with new values.

Django turns a QuerySet into SQL on every evaluation. For the handful of lookups every request
makes (the workspace by its slugs, a client by ``client_id``, a registration token by client),
that compilation cost more than the query itself: about 0.5 ms of a 3 ms request. A
``PreparedLookup`` builds its QuerySet once with placeholder values, keeps the compiled SQL and
the row-to-instance plan (converters, ``select_related`` populators) and afterwards only runs
the SQL through the connection's ordinary cursor, so query logging, query counting in tests and
Django's database error wrapping all still apply.

Only plain equality parameters are supported: compilation fails loudly if a placeholder does not
reach the SQL exactly once as a parameter (for example a ``__contains`` lookup, which rewrites it).
``PreparedInsert`` and ``PreparedUpdate`` do the same for the INSERT of a new row and for an
UPDATE by equality (the write paths of every registration, rotation and token request).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

M = TypeVar("M", bound=Model)

# A NUL cannot occur in a real slug, client_id or digest, so a placeholder cannot collide with a
# constant of the query; integers start far below any primary key.
_INT_PLACEHOLDER_BASE = -(2**62)


def _populators(klass_info: dict[str, Any], select: Any, database: str) -> list[Any]:
    # Django 5.2's signature; the installed django-stubs already describe Django 6's (fetch_mode).
    populators: list[Any] = get_related_populators(klass_info, select, database)  # type: ignore[call-arg]
    return populators


class PreparationError(RuntimeError):
    """The QuerySet cannot be prepared (a placeholder did not reach the SQL as one parameter)."""


T = TypeVar("T")


class _PerDatabase(Generic[T]):
    """What was compiled for each database alias (and its vendor), made on first use.

    No lock: making it is idempotent, so two threads that race only compile it twice.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[str, str], T] = {}

    def get(self, alias: str, make: Callable[[], T]) -> T:
        key = (alias, connections[alias].vendor)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = make()
        return made


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]  # constants of the query, with None where a placeholder goes
    slots: tuple[tuple[int, str], ...]  # (position in params, placeholder name)
    converters: dict[int, tuple[list[Any], Any]]
    compiler: Any  # the SQLCompiler that applies ``converters``
    model: type[Model]
    fields_start: int
    fields_end: int
    init_list: tuple[str, ...]
    related_populators: tuple[Any, ...]


class PreparedLookup(Generic[M]):
    """``build(**placeholders)`` returns the QuerySet; ``first(**values)`` runs it.

    ``params`` names each placeholder and its Python type (``str`` or ``int``). Meant for lookups
    by a unique key: ``first`` fetches one row, in the QuerySet's own order (no LIMIT is added).
    """

    def __init__(self, build: Callable[..., QuerySet[M]], **params: type) -> None:
        if not params:
            raise PreparationError("a prepared lookup needs at least one parameter")
        self._build = build
        self._placeholders: dict[str, Any] = {}
        for index, (name, kind) in enumerate(params.items()):
            if kind is str:
                self._placeholders[name] = f"\x00prepared:{name}\x00"
            elif kind is int:
                self._placeholders[name] = _INT_PLACEHOLDER_BASE - index
            else:
                raise PreparationError(f"parameter {name!r}: only str and int are supported")
        self._plans: _PerDatabase[_Plan] = _PerDatabase()
        self._default_alias: str | None = None

    def _database(self, alias: str | None) -> str:
        if alias is not None:
            return alias
        if self._default_alias is None:
            self._default_alias = self._build(**self._placeholders).db
        return self._default_alias

    def _compile(self, database: str) -> _Plan:
        queryset = self._build(**self._placeholders).using(database)
        compiler = queryset.query.get_compiler(using=database)
        sql, raw_params = compiler.as_sql()
        if compiler.has_extra_select or compiler.annotation_col_map:
            raise PreparationError("extra selects and annotations are not supported")
        slots: list[tuple[int, str]] = []
        params = list(raw_params)
        for name, placeholder in self._placeholders.items():
            positions = [i for i, value in enumerate(params) if value == placeholder]
            if len(positions) != 1:
                raise PreparationError(
                    f"placeholder {name!r} reached the SQL {len(positions)} times, not once"
                )
            slots.append((positions[0], name))
            params[positions[0]] = None
        select, klass_info = compiler.select, compiler.klass_info
        fields_start = klass_info["select_fields"][0]
        fields_end = klass_info["select_fields"][-1] + 1
        columns = [column[0] for column in select[: compiler.col_count]]
        return _Plan(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            converters=compiler.get_converters(columns),
            compiler=compiler,
            model=klass_info["model"],
            fields_start=fields_start,
            fields_end=fields_end,
            init_list=tuple(c[0].target.attname for c in select[fields_start:fields_end]),
            related_populators=tuple(_populators(klass_info, select, database)),
        )

    def first(self, *, using: str | None = None, **values: Any) -> M | None:
        """The first row as a model instance (related objects filled in), or None."""
        if values.keys() != self._placeholders.keys():
            raise TypeError(f"expected parameters {sorted(self._placeholders)}")
        database = self._database(using)
        plan = self._plans.get(database, lambda: self._compile(database))
        params = list(plan.params)
        for position, name in plan.slots:
            params[position] = values[name]
        with connections[database].cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:
            row = next(iter(plan.compiler.apply_converters([row], plan.converters)))
        instance = plan.model.from_db(
            database, list(plan.init_list), row[plan.fields_start : plan.fields_end]
        )
        for populator in plan.related_populators:
            populator.populate(row, instance)
        return instance  # type: ignore[return-value]


class PreparedInsert(Generic[M]):
    """``insert(instance)``: the INSERT that ``instance.save()`` runs for a new row, without
    compiling it again (Django's save builds the statement anew each time: most of its cost).

    The same values as ``save()``: each field's ``pre_save`` (``auto_now_add`` and the like) and
    ``get_db_prep_save``; the primary key comes back through ``RETURNING``. Falls back to
    ``save()`` whenever a ``pre_save``/``post_save`` receiver listens for the model, the instance
    is not new, or a value is an expression, so nothing that hooks into saving is skipped.
    """

    def __init__(self, model: type[M]) -> None:
        meta = model._meta
        if meta.parents or model.save is not Model.save:
            raise PreparationError(f"{meta.label}: inherited tables and custom save() unsupported")
        if [f.name for f in meta.db_returning_fields] != [meta.pk.name]:
            raise PreparationError(f"{meta.label}: only a generated primary key may be returned")
        self._model = model
        self._fields = tuple(
            f for f in meta.local_concrete_fields if f is not meta.pk and not f.generated
        )
        self._statements: _PerDatabase[str] = _PerDatabase()

    def _compile(self, alias: str, instance: M) -> str:
        query = InsertQuery(self._model)
        query.insert_values(self._fields, [instance])
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = [self._model._meta.pk]
        [(sql, params)] = compiler.as_sql()
        if len(params) != len(self._fields):
            raise PreparationError(f"{self._model._meta.label}: one parameter per field")
        sql_text: str = sql
        return sql_text

    def _needs_save(self, instance: M) -> bool:
        return (
            not instance._state.adding
            or instance.pk is not None
            or pre_save.has_listeners(self._model)
            or post_save.has_listeners(self._model)
        )

    @property
    def columns(self) -> tuple[Field[Any, Any], ...]:
        """The fields ``params`` returns values for, in order (every concrete one but the pk)."""
        return self._fields

    def params(self, instance: M, alias: str) -> list[Any] | None:
        """The INSERT's parameters for ``instance``, or None when only ``save()`` will do."""
        if self._needs_save(instance):
            return None
        # As save() does: a related object assigned before it was saved is an error.
        instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        values = [field.pre_save(instance, True) for field in self._fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            return None
        connection = connections[alias]
        return [
            field.get_db_prep_save(value, connection=connection)
            for field, value in zip(self._fields, values, strict=True)
        ]

    def inserted(self, instance: M, pk: Any, alias: str) -> M:
        """Mark ``instance`` saved under ``pk`` (the row was written by a combined statement)."""
        setattr(instance, self._model._meta.pk.attname, pk)
        instance._state.adding = False
        instance._state.db = alias
        return instance

    def insert(self, instance: M, *, using: str | None = None) -> M:
        alias = using or router.db_for_write(self._model, instance=instance)
        params = self.params(instance, alias)
        if params is None:
            instance.save(using=alias)
            return instance
        sql = self._statements.get(alias, lambda: self._compile(alias, instance))
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            (pk,) = cursor.fetchone()
        return self.inserted(instance, pk, alias)


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.many_to_many or not field.column:
        raise PreparationError(f"{model._meta.label}.{name} is not a column")
    return field


class PreparedUpdate(Generic[M]):
    """``UPDATE <table> SET <fields> WHERE <field> = ... AND ...``, its SQL built once per database.

    ``run`` returns the number of rows changed, so naming an old value in ``where`` makes it a
    compare-and-swap. Like ``QuerySet.update()`` it sends no signals and leaves ``auto_now``
    fields alone; values go through each field's ``get_db_prep_save`` / ``get_db_prep_value``.
    """

    def __init__(self, model: type[M], *, fields: tuple[str, ...], where: tuple[str, ...]) -> None:
        if not fields or not where:
            raise PreparationError("an update needs fields to set and a condition")
        self._model = model
        self._fields = tuple(_column(model, name) for name in fields)
        self._where = tuple(_column(model, name) for name in where)
        self._statements: _PerDatabase[str] = _PerDatabase()

    def _compile(self, alias: str) -> str:
        qn = connections[alias].ops.quote_name
        # Identifiers come from the model's own metadata, quoted; every value is a parameter.
        assignments = ", ".join(f"{qn(str(f.column))} = %s" for f in self._fields)
        conditions = " AND ".join(f"{qn(str(f.column))} = %s" for f in self._where)
        table = qn(self._model._meta.db_table)
        return f"UPDATE {table} SET {assignments} WHERE {conditions}"  # noqa: S608

    def run(
        self, *, values: dict[str, Any], where: dict[str, Any], using: str | None = None
    ) -> int:
        alias = using or router.db_for_write(self._model)
        connection = connections[alias]
        params = [
            field.get_db_prep_save(values[field.name], connection=connection)
            for field in self._fields
        ] + [
            field.get_db_prep_value(where[field.name], connection, prepared=False)
            for field in self._where
        ]
        with connection.cursor() as cursor:
            cursor.execute(self._statements.get(alias, lambda: self._compile(alias)), params)
            changed: int = cursor.rowcount
        return changed
