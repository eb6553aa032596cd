"""The service's handle on the engine adapter, and the cache of compiled definitions.

A definition version never changes once deployed, so its compiled specs are restored
once per process and shared by every step that runs on it. `inputs(definition_id)` gives
everything an engine command on a definition needs besides the instance's state and its
input: the compiled definition, the org units' codes and the working calendar, as values
(the engine reads no database).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask import Flask, current_app

from .calendar.operations import calendar
from .calendar.workcal import WorkingCalendar
from .definitions.models import ProcessDefinition
from .engine import Budgets, CompiledDefinition, Engine
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
        blob, day_kind = db.session.execute(
            sa.select(ProcessDefinition.spec_blob, ProcessDefinition.day_kind).where(
                ProcessDefinition.id == definition_id
            )
        ).one()
        compiled = replace(self._engine.compile(blob), day_kind=day_kind)
        with self._lock:
            self._items[definition_id] = compiled
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled


def init_app(app: Flask) -> None:
    engine = Engine(budgets=Budgets.from_settings(app.config))
    app.extensions["motcua.engine"] = engine
    app.extensions["motcua.definitions"] = DefinitionCache(engine)


def engine() -> Engine:
    return current_app.extensions["motcua.engine"]


def compiled(definition_id: int) -> CompiledDefinition:
    return current_app.extensions["motcua.definitions"].get(definition_id)


@dataclass(frozen=True)
class StepInputs:
    """What an engine command on a definition needs besides the instance's state and its input:
    `engine().complete_task(inputs.definition, state, ..., now=now, units=inputs.units,
    calendar=inputs.calendar)`."""

    definition: CompiledDefinition
    units: frozenset[str] | None  # the org units' codes, for a definition with scoped tasks
    calendar: WorkingCalendar | None  # for a definition whose scripts or timers count working days


def inputs(definition_id: int) -> StepInputs:
    """The compiled definition, the unit codes (one query, for a definition with scoped tasks only)
    and the working calendar (cached per process: calendar.operations.calendar; only for a
    definition that uses the calendar helpers, so other steps never read the calendar's overrides)."""
    definition = compiled(definition_id)
    return StepInputs(
        definition=definition,
        units=units(definition),
        calendar=calendar() if definition.uses_calendar else None,
    )


def units(definition: CompiledDefinition) -> frozenset[str] | None:
    """The codes of the org units, for a definition with tasks scoped to units (None otherwise):
    the engine refuses to open a task scoped to anything else (an incident, never an unscoped task)."""
    from .identity.operations import units as org_units

    if not definition.scoped:
        return None
    return frozenset(org_units())  # read once per unit of work
