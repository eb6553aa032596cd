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

Elsewhere (SQLite has no data-modifying WITH), and for a step whose rows would need more bound
parameters than MAX_PARAMETERS, the writes in the order the stages gathered them, one INSERT per
table, and the ORM flushes the dossier and the instance as before. An instance or dossier the ORM
already flushed (an earlier query of the step autoflushed it) or has yet to insert (a reception) is
left to the ORM.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db

# PostgreSQL takes at most 65,535 bound parameters per statement; a step opening thousands of
# tasks (a wide multi-instance) sends its tables one by one instead.
MAX_PARAMETERS = 30_000
UNIQUE_VIOLATION = "23505"


def insert_all(
    batches: list[tuple[Any, list[dict]]], *, writes: tuple = (), updates: tuple = (), last: Any = None
) -> None:
    """Run `writes` (DML whose results are not read) and insert each (table, rows), rows of one table
    having the same keys; on PostgreSQL in one statement with the pending changes of the ORM objects
    `updates` and then `last` (versioned: the statement fails with StaleDataError if its version
    moved)."""
    batches = [(table, rows) for table, rows in batches if rows]
    parameters = sum(len(rows) * len(rows[0]) for _, rows in batches)
    if _dialect() != "postgresql" or parameters > MAX_PARAMETERS:
        for statement in writes:
            db.session.execute(statement)
        for table, rows in batches:
            db.session.execute(sa.insert(table), rows)
        return
    statements = [*writes, *(sa.insert(table).values(rows) for table, rows in batches)]
    changes = [change for change in map(_changes, (*updates, last)) if change is not None]
    statements += [statement for statement, _ in changes]
    if not statements:
        return
    ctes = [statement.cte(f"step_write_{i}") for i, statement in enumerate(statements[:-1])]
    final = statements[-1].add_cte(*ctes) if ctes else statements[-1]
    versioned = bool(changes) and changes[-1][1].versioned
    try:
        count = db.session.execute(final).rowcount
    except IntegrityError as exc:
        # A row of this step already exists: a concurrent step of the same instance committed it
        # (the engine gives both the same task ids), whose version this statement then also lost.
        if versioned and getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            raise StaleDataError("the process instance changed since it was read") from exc
        raise
    if versioned and count != 1:
        raise StaleDataError("the process instance changed since it was read")
    for _, change in changes:
        change.commit()


def write(step) -> None:
    """Stage of the step pipeline (service/steps.py): the rows the stages before it gathered, and
    on PostgreSQL the dossier's and the instance's changes, in one statement."""
    updates = (step.dossier,) if step.dossier is not None else ()
    insert_all(step.inserts, writes=tuple(step.writes), updates=updates, last=step.instance)
    step.inserts, step.writes = [], []


class _Change:
    """The pending column changes of a persistent ORM object, written by a Core UPDATE; commit()
    then marks them as the object's committed state, so the ORM's flush writes nothing again."""

    def __init__(self, obj, values: dict[str, Any], version: tuple[str, int] | None):
        self.obj, self.values, self.version = obj, values, version

    @property
    def versioned(self) -> bool:
        return self.version is not None

    def commit(self) -> None:
        for key, value in self.values.items():
            set_committed_value(self.obj, key, value)
        if self.version is not None:
            set_committed_value(self.obj, self.version[0], self.version[1] + 1)


def _changes(obj) -> tuple[Any, _Change] | None:
    """(UPDATE statement, its _Change) for obj's pending column changes, or None."""
    if obj is None:
        return None
    state = sa.inspect(obj)
    if not state.persistent or not state.modified:
        return None
    mapper = state.mapper
    values: dict[str, Any] = {}
    columns: dict[Any, Any] = {}
    for prop in mapper.column_attrs:
        added = state.attrs[prop.key].history.added
        if added:
            values[prop.key] = added[0]
            columns[prop.columns[0]] = added[0]
    if not values:
        return None
    (pk,) = mapper.primary_key
    statement = sa.update(mapper.local_table).where(pk == state.identity[0])
    version = None
    column = mapper.version_id_col
    if column is not None:
        key = mapper.get_property_by_column(column).key
        current = state.attrs[key].loaded_value
        if not isinstance(current, int) or key in values:
            return None  # a version not loaded, or set by hand: the ORM's flush decides
        statement = statement.where(column == current)
        columns[column] = current + 1
        version = (key, current)
    return statement.values(columns), _Change(obj, values, version)


def gathered() -> bool:
    """Whether a step's writes go to the database as one statement (on PostgreSQL)."""
    return _dialect() == "postgresql"


def _dialect() -> str:
    return db.session.get_bind().dialect.name
