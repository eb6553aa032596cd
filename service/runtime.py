"""The service's handle on the engine adapter, and the cache of compiled definitions.

A definition version never changes once deployed, so its compiled specs are restored
once per process and shared by every step that runs on it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import Flask, current_app

from .definitions.models import ProcessDefinition
from .engine import BUDGET_SETTINGS, Budgets, CompiledDefinition, Engine
from .extensions import db

_CACHE_SIZE = 256


class DefinitionCache:
    """A bounded, thread-safe LRU of CompiledDefinition by definition id."""

    def __init__(self, engine: Engine, size: int = _CACHE_SIZE):
        self._engine = engine
        self._size = size
        self._items: OrderedDict[int, CompiledDefinition] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition_id: int) -> CompiledDefinition:
        with self._lock:
            compiled = self._items.get(definition_id)
            if compiled is not None:
                self._items.move_to_end(definition_id)
                return compiled
        blob = db.session.scalar(
            sa.select(ProcessDefinition.spec_blob).where(ProcessDefinition.id == definition_id)
        )
        compiled = self._engine.compile(blob)
        with self._lock:
            self._items[definition_id] = compiled
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled


def budgets_from(config) -> Budgets:
    """The engine's budgets from the MOTCUA_* settings (limits.SETTINGS names each one)."""
    return Budgets(**{budget: config[setting] for budget, setting in BUDGET_SETTINGS.items()})


def init_app(app: Flask) -> None:
    from .calendar.operations import calendar

    engine = Engine(calendar=calendar, budgets=budgets_from(app.config))
    app.extensions["motcua.engine"] = engine
    app.extensions["motcua.definitions"] = DefinitionCache(engine)


def engine() -> Engine:
    return current_app.extensions["motcua.engine"]


def compiled(definition_id: int) -> CompiledDefinition:
    return current_app.extensions["motcua.definitions"].get(definition_id)


def units(definition: CompiledDefinition) -> frozenset[str] | None:
    """The codes of the org units, for a definition with tasks scoped to units (None otherwise):
    the engine refuses to open a task scoped to anything else (an incident, never an unscoped task)."""
    from .identity.models import OrgUnit

    if not definition.scoped:
        return None
    return frozenset(db.session.scalars(sa.select(OrgUnit.code)))
