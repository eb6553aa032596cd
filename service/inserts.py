"""A step's writes in one statement where the database allows it: the rows it inserts into several
tables, and on PostgreSQL its dossier's and instance's updates with them.

The step pipeline's stages gather their rows (`Step.insert(table, rows)`: the task projection and
its candidate groups, Mẫu 05 steps, outbox events, audit facts, message waits) and other writes
whose results nobody reads (`Step.write(statement)`: a message wait's DELETE), and its last writing
stage, `write`, sends them together. On PostgreSQL that is one statement: every write (each
table's multi-row INSERT, each DELETE, the dossier's UPDATE) becomes a data-modifying WITH clause of
the last one, the instance's UPDATE guarded by its version (or, when the instance has nothing left
to write, the last INSERT). PostgreSQL runs each clause exactly once and checks foreign keys at the
end of the statement; the statement's row count is the instance's UPDATE's, so a concurrent change
is refused (StaleDataError: 409) exactly as the ORM's flush would refuse it (and so is a unique
row of the step that a concurrent step of the same instance already wrote). One round trip instead
of one per table and row. Writes whose rows could collide within one statement are not gathered
(a message wait rewritten: its DELETE and INSERT run at once, instances/waits.py).

That statement is built once per shape, not per step: each table's rows travel as one JSON
parameter (`INSERT ... SELECT ... FROM jsonb_populate_recordset(NULL::table, $rows)`), the UPDATEs
and the task's completion (`Bound`) have bound parameters, and the combination is kept
(`_combined`). SQLAlchemy then finds its compiled form without computing a cache key, and
PostgreSQL runs the same text as a prepared statement (docs/benchmarks.md, 2026-12-05).

Elsewhere (SQLite has no data-modifying WITH), and for a step whose rows would need more bound
parameters than MAX_PARAMETERS, the writes in the order the stages gathered them, one INSERT per
table, and the ORM flushes the dossier and the instance as before. An instance or dossier the ORM
already flushed (an earlier query of the step autoflushed it) or has yet to insert (a reception) is
left to the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .engine import serialization
from .extensions import db

# PostgreSQL takes at most 65,535 bound parameters per statement; a step opening thousands of
# tasks (a wide multi-instance) sends its tables one by one instead.
MAX_PARAMETERS = 30_000
UNIQUE_VIOLATION = "23505"


@dataclass(frozen=True)
class Bound:
    """A write built once with named bound parameters (its module keeps it), and this step's values
    of them: a step made only of Bound writes, recordset INSERTs and ORM changes has a statement
    that is itself built once per shape (`_combined`), so neither it nor SQLAlchemy's cache key is
    rebuilt at every step. Its parameters' names must not be used by another write of the step."""

    statement: Any
    params: dict[str, Any]


def insert_all(
    batches: list[tuple[Any, list[dict]]], *, writes: tuple = (), updates: tuple = (), last: Any = None
) -> None:
    """Run `writes` (DML whose results are not read: statements or Bound) and insert each (table,
    rows), rows of one table having the same keys; on PostgreSQL in one statement with the pending
    changes of the ORM objects `updates` and then `last` (versioned: the statement fails with
    StaleDataError if its version moved)."""
    batches = [(table, rows) for table, rows in batches if rows]
    count = sum(len(rows) * len(rows[0]) for _, rows in batches)
    if _dialect() != "postgresql" or count > MAX_PARAMETERS:
        for write in writes:
            if isinstance(write, Bound):
                db.session.execute(write.statement, write.params)
            else:
                db.session.execute(write)
        for table, rows in batches:
            db.session.execute(sa.insert(table), rows)
        return
    parameters: dict[str, Any] = {}
    shape: list[Any] = []  # what each part is built from, or the part itself where it is not kept
    for write in writes:
        if isinstance(write, Bound):
            shape.append(write.statement)
            parameters.update(write.params)
        else:
            shape.append(_Part(write))
    seen: dict[Any, int] = {}
    for table, rows in batches:
        slot = seen[table] = seen.get(table, -1) + 1
        shape.append(_insert(table, rows, slot, parameters))
    changes = [change for change in map(_changes, (*updates, last)) if change is not None]
    for statement, change in changes:
        shape.append(statement)
        parameters.update(change.params)
    if not shape:
        return
    if any(isinstance(part, _Part) for part in shape):
        final = _combine(tuple(part.statement if isinstance(part, _Part) else part for part in shape))
    else:
        final = _combined(tuple(shape))
    versioned = bool(changes) and changes[-1][1].versioned
    try:
        rowcount = db.session.execute(final, parameters or None).rowcount
    except IntegrityError as exc:
        # A row of this step already exists: a concurrent step of the same instance committed it
        # (the engine gives both the same task ids), whose version this statement then also lost.
        if versioned and getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            raise StaleDataError("the process instance changed since it was read") from exc
        raise
    if versioned and rowcount != 1:
        raise StaleDataError("the process instance changed since it was read")
    for _, change in changes:
        change.commit()


@dataclass(frozen=True, eq=False)
class _Part:
    """A write built for this step only (its statement is not kept)."""

    statement: Any


def _combine(statements: tuple):
    """The statements as one: every one but the last a data-modifying WITH clause of the last."""
    ctes = [statement.cte(f"step_write_{i}") for i, statement in enumerate(statements[:-1])]
    return statements[-1].add_cte(*ctes) if ctes else statements[-1]


@functools.lru_cache(maxsize=256)
def _combined(statements: tuple):
    """_combine of statements that are each built once: kept per shape, so that SQLAlchemy finds
    its compiled form by the cache key memoised on it instead of computing it at every step."""
    return _combine(statements)


def _insert(table, rows: list[dict], slot: int, parameters: dict[str, str]):
    """The INSERT of rows into table, cacheable where it can be: the rows travel as one JSON
    parameter (added to `parameters`) unpacked by jsonb_populate_recordset, so the statement's text,
    SQLAlchemy's compiled form and PostgreSQL's prepared plan are the same whatever the rows and
    however many. (SQLAlchemy cannot cache a multi-row VALUES: it compiled a step's whole statement
    at every step, about 2 ms of a completion.) slot: how many batches of this table came before
    in the statement (their parameters' names differ). A table with a column type this does not
    know, rows that do not share their keys, or a value JSON cannot carry take the multi-row VALUES."""
    recordset = _recordset(table, tuple(rows[0]), slot)
    if recordset is not None and all(row.keys() == rows[0].keys() for row in rows):
        statement, name, encode = recordset
        try:
            parameters[name] = encode(rows)
        except (TypeError, ValueError):  # a value JSON cannot carry: let the driver adapt it
            pass
        else:
            return statement
    return _Part(sa.insert(table).values(rows))


def _base_type(kind):
    return kind.impl_instance if isinstance(kind, sa.types.TypeDecorator) else kind


def _to_json(kind) -> Callable[[Any], Any] | None:
    """How a value of a column of this type travels in the JSON parameter (None: a type this does
    not know). PostgreSQL reads each scalar back from its text, as it reads a literal."""
    if isinstance(kind, sa.types.TypeDecorator):
        bind, inner = kind.process_bind_param, _to_json(kind.impl_instance)
        if inner is None:
            return None
        return lambda value: inner(bind(value, _PG))
    if isinstance(kind, sa.JSON):
        return _same
    if isinstance(kind, sa.Enum) and kind.enum_class is not None:
        return None
    if isinstance(kind, sa.DateTime | sa.Date | sa.Time):
        return lambda value: None if value is None else value.isoformat()
    if isinstance(kind, sa.Uuid | sa.Numeric) and not isinstance(kind, sa.Float):
        return lambda value: None if value is None else str(value)
    if isinstance(kind, sa.String | sa.Integer | sa.Boolean | sa.Float):
        return _same
    return None


def _same(value):
    return value


@functools.cache
def _recordset(table, keys: tuple[str, ...], slot: int):
    """(the cacheable INSERT, its parameter's name, rows -> the parameter's JSON) for rows of table
    with these keys, the Python-side defaults of the columns they leave out filled in as
    SQLAlchemy's INSERT would fill them; None where that cannot be done."""
    defaults = [column for column in table.c if column.key not in keys and column.default is not None]
    if any(not (column.default.is_scalar or column.default.is_callable) for column in defaults):
        return None
    names = [*keys, *(column.key for column in defaults)]
    converters = [_to_json(table.c[name].type) for name in names]
    if any(convert is None for convert in converters):
        return None
    fillers = [
        functools.partial(_same, column.default.arg)
        if column.default.is_scalar
        else functools.partial(column.default.arg, None)
        for column in defaults
    ]
    name = f"{table.name}_rows_{slot}"
    base = sa.literal_column(f"NULL::{_POSTGRESQL.identifier_preparer.format_table(table)}")
    source = sa.func.jsonb_populate_recordset(base, sa.cast(sa.bindparam(name, type_=sa.Text), JSONB))
    source = source.table_valued(*names)
    selected = [
        # SQLAlchemy writes a Python None in a JSON column as JSON's null, not SQL's NULL
        sa.func.coalesce(source.c[key], sa.cast(sa.literal_column("'null'"), sa.JSON))
        if isinstance(_base_type(table.c[key].type), sa.JSON)
        else source.c[key]
        for key in names
    ]
    statement = sa.insert(table).from_select(names, sa.select(*selected))

    def encode(rows: list[dict]) -> str:
        records = []
        for row in rows:
            values = [*(row[key] for key in keys), *(fill() for fill in fillers)]
            records.append(
                {key: convert(value) for key, convert, value in zip(names, converters, values, strict=True)}
            )
        return serialization.dumps(records)  # orjson; refuses NaN and what JSON has no type for

    return statement, name, encode


class _Dialect:
    name = "postgresql"


_PG = _Dialect()
_POSTGRESQL = postgresql.dialect()


def write(step) -> None:
    """Stage of the step pipeline (service/steps.py): the rows the stages before it gathered, and
    on PostgreSQL the dossier's and the instance's changes, in one statement."""
    updates = (step.dossier,) if step.dossier is not None else ()
    insert_all(step.inserts, writes=tuple(step.writes), updates=updates, last=step.instance)
    step.inserts, step.writes = [], []


class _Change:
    """The pending column changes of a persistent ORM object, written by a Core UPDATE (kept per
    table and changed columns: `_update`) with `params`; commit() then marks them as the object's
    committed state, so the ORM's flush writes nothing again."""

    def __init__(self, obj, values: dict[str, Any], version: tuple[str, int] | None, params: dict[str, Any]):
        self.obj, self.values, self.version, self.params = obj, values, version, params

    @property
    def versioned(self) -> bool:
        return self.version is not None

    def commit(self) -> None:
        for key, value in self.values.items():
            set_committed_value(self.obj, key, value)
        if self.version is not None:
            set_committed_value(self.obj, self.version[0], self.version[1] + 1)
        _leave_clean(sa.inspect(self.obj))


def _leave_clean(state) -> None:
    """When nothing of the object is pending any more (an attribute set to its own value is not),
    leave it as clean as a flush leaves what it wrote, or the request's next flush walks the unit
    of work for nothing (~0.5 ms)."""
    if not any(state.attrs[key].history.has_changes() for key in state.committed_state):
        session = state.session
        state._commit_all(state.dict, session.identity_map if session is not None else None)


def _changes(obj) -> tuple[Any, _Change] | None:
    """(UPDATE statement, its _Change) for obj's pending column changes, or None."""
    if obj is None:
        return None
    state = sa.inspect(obj)
    if not state.persistent or not state.modified:
        return None
    mapper = state.mapper
    values: dict[str, Any] = {}
    columns: dict[str, Any] = {}
    # Only an attribute set since the object was loaded or flushed can have changed: its previous
    # value is in committed_state. Taken in the mapper's column order, so that a set of changed
    # columns always makes the same statement (the UPDATE is kept per shape).
    order = _column_order(mapper)
    for key in sorted((key for key in state.committed_state if key in order), key=order.__getitem__):
        added = state.attrs[key].history.added
        if added:
            values[key] = added[0]
            columns[mapper.column_attrs[key].columns[0].key] = added[0]
    if not values:
        _leave_clean(state)  # e.g. a dossier's updated_at set to the moment it already has
        return None
    table = mapper.local_table
    (pk,) = mapper.primary_key
    params = {f"{table.name}_pk": state.identity[0]}
    version = None
    column = mapper.version_id_col
    if column is not None:
        key = mapper.get_property_by_column(column).key
        current = state.attrs[key].loaded_value
        if not isinstance(current, int) or key in values:
            return None  # a version not loaded, or set by hand: the ORM's flush decides
        params[f"{table.name}_version"] = current
        params[f"{table.name}_next_version"] = current + 1
        version = (key, current)
    params.update((f"{table.name}_set_{name}", value) for name, value in columns.items())
    statement = _update(table, pk.key, tuple(columns), column.key if column is not None else None)
    return statement, _Change(obj, values, version, params)


@functools.cache
def _column_order(mapper) -> dict[str, int]:
    """The column attributes of a mapper by key -> their rank in the mapper's order."""
    return {prop.key: rank for rank, prop in enumerate(mapper.column_attrs)}


@functools.lru_cache(maxsize=256)
def _update(table, pk: str, columns: tuple[str, ...], version: str | None):
    """The UPDATE of these columns of one row of table (by its primary key, guarded by its version
    if it has one), with bound parameters named after the table: built once per shape."""

    def bound(name: str, column):
        return sa.bindparam(f"{table.name}_{name}", type_=column.type)

    statement = sa.update(table).where(table.c[pk] == bound("pk", table.c[pk]))
    values = {table.c[name]: bound(f"set_{name}", table.c[name]) for name in columns}
    if version is not None:
        statement = statement.where(table.c[version] == bound("version", table.c[version]))
        values[table.c[version]] = bound("next_version", table.c[version])
    return statement.values(values)


def gathered() -> bool:
    """Whether a step's writes go to the database as one statement (on PostgreSQL)."""
    return _dialect() == "postgresql"


def _dialect() -> str:
    return db.session.get_bind().dialect.name
