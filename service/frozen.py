"""Rows that never change once written, kept per process: a deployed process definition, and a
procedure version (a change of the catalogue writes a new version; the old one only gets its
valid_to). Neither is ever deleted, so an id always names the same row.

Each load of such a row, by any query, keeps a copy of its columns here (once per process and
row). A read that will follow a many-to-one relationship to one (a task's instance to its
definition, a dossier to its procedure) leaves it out of its query and `seed_related(row)`: the
kept copy is put into the session as a row just loaded, without a query, and the relationship
finds it in the session's identity map. The completion of a task reads three rows instead of five
that way (docs/benchmarks.md, 2026-12-06, sixth session). A row not kept yet (the first use of a
definition in this process) is loaded by the relationship as before.

`register(entity, mutable=...)` names the columns that do change (a procedure's valid_to; a
definition's deployed_by_id, which the database sets to NULL when its user is deleted) and they
are not kept: a seeded row reads them from the database if they are read at all, as it does the
deferred columns (a definition's BPMN). JSON values are copied for each seeding, so a unit of work
that changes what it got (it should not) changes nothing for the next one. A row the unit of work
itself inserted is not kept when it loads it again: the unit may yet roll back.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from . import uow
from .extensions import db

_EXTENSION = "motcua.frozen"
SIZE = 2048  # rows kept per entity


@dataclass(frozen=True)
class _Kind:
    entity: type
    columns: tuple[str, ...]  # the attributes kept: the columns that never change, not deferred
    json: frozenset[str]  # those copied at each seeding


_KINDS: dict[type, _Kind] = {}


def register(entity: type, *, mutable: tuple[str, ...] = ()) -> None:
    """Declare `entity`'s rows frozen but for the `mutable` columns (called by its models module)."""
    mapper = sa.inspect(entity)
    columns = tuple(
        prop.key
        for prop in mapper.column_attrs
        if prop.key not in mutable and not prop.deferred and len(prop.columns) == 1
    )
    json = frozenset(key for key in columns if isinstance(mapper.column_attrs[key].columns[0].type, sa.JSON))
    _KINDS[entity] = _Kind(entity, columns, json)
    sa.event.listen(entity, "load", _loaded)
    sa.event.listen(entity, "before_update", _refuse_change)
    sa.event.listen(entity, "after_insert", _inserted)


def _inserted(mapper, _connection, target) -> None:
    """Mapper `after_insert` event: a row this unit of work wrote is not kept when the unit loads
    it again (the unit may still roll back, and SQLite may then give its id to another row)."""
    unit = uow.current()
    if unit is not None:
        unit.mark(_written(type(target), tuple(mapper.primary_key_from_instance(target))))


def _refuse_change(_mapper, _connection, target) -> None:
    """Mapper `before_update` event: a kept column never changes (a new row is written instead)."""
    state = sa.inspect(target)
    changed = [key for key in _KINDS[type(target)].columns if state.attrs[key].history.has_changes()]
    if changed:
        raise RuntimeError(
            f"{type(target).__name__} {state.identity} never changes once written ({', '.join(changed)}): "
            "write a new version instead (service/frozen.py)"
        )


class FrozenRows:
    """Per app: a bounded, thread-safe LRU per entity of id -> the kept columns' values."""

    def __init__(self, size: int = SIZE):
        self._size = size
        self._items: dict[type, OrderedDict[Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, entity: type, ident) -> dict[str, Any] | None:
        with self._lock:
            rows = self._items.get(entity)
            values = rows.get(ident) if rows is not None else None
            if values is not None:
                rows.move_to_end(ident)  # type: ignore[union-attr]
            return values

    def has(self, entity: type, ident) -> bool:
        with self._lock:
            rows = self._items.get(entity)
            return rows is not None and ident in rows

    def put(self, entity: type, ident, values: dict[str, Any]) -> None:
        with self._lock:
            rows = self._items.setdefault(entity, OrderedDict())
            rows[ident] = values
            while len(rows) > self._size:
                rows.popitem(last=False)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = FrozenRows()


def _store() -> FrozenRows | None:
    try:
        return current_app.extensions.get(_EXTENSION)
    except RuntimeError:  # no app: a script working on the models alone keeps nothing
        return None


def _loaded(target, _context) -> None:
    """Mapper `load` event of a frozen entity: keep its columns if they were all loaded."""
    store = _store()
    if store is None:
        return
    kind = _KINDS[type(target)]
    state = sa.inspect(target)
    ident = state.identity[0] if state.identity and len(state.identity) == 1 else None
    if ident is None or store.has(kind.entity, ident):
        return
    unit = uow.current()
    if unit is not None and unit.marked(_written(kind.entity, state.identity)):
        return
    loaded = state.dict
    if not all(key in loaded for key in kind.columns):
        return  # a partial load (load_only): not what a seeded row must offer
    store.put(kind.entity, ident, {key: copy.deepcopy(loaded[key]) for key in kind.columns})


def _written(entity: type, identity) -> str:
    return f"frozen.written:{entity.__name__}:{identity}"


def seed(entity: type, ident) -> None:
    """Put the kept row `entity` `ident` into the session as loaded (no query), held until the
    unit of work ends; nothing if the session has it already or it is not kept."""
    store = _store()
    if ident is None or store is None:
        return
    session = db.session
    key = session.identity_key(entity, ident)
    if key in session.identity_map:
        return
    values = store.get(entity, ident)
    if values is None:
        return
    json = _KINDS[entity].json
    row = sa.inspect(entity).class_manager.new_instance()
    for name, value in values.items():
        set_committed_value(row, name, copy.deepcopy(value) if name in json else value)
    make_transient_to_detached(row)  # its identity from its primary key; the rest unloaded
    session.add(row)
    uow.keep(row)


def seed_related(row) -> None:
    """seed() the frozen rows that `row`'s unloaded many-to-one relationships point to."""
    if row is None:
        return
    state = sa.inspect(row)
    for name, entity, column in _references(state.mapper):
        if name not in state.dict:
            seed(entity, state.dict.get(column))


_REFERENCES: dict[Any, tuple[tuple[str, type, str], ...]] = {}


def _references(mapper) -> tuple[tuple[str, type, str], ...]:
    """(relationship, frozen entity, the local column attribute holding its id) of a mapper."""
    found = _REFERENCES.get(mapper)
    if found is None:
        refs = []
        for rel in mapper.relationships:
            target = rel.mapper.class_
            if rel.direction.name != "MANYTOONE" or target not in _KINDS or len(rel.local_columns) != 1:
                continue
            (local,) = rel.local_columns
            refs.append((rel.key, target, mapper.get_property_by_column(local).key))
        found = _REFERENCES[mapper] = tuple(refs)
    return found
