"""Workflow state without the spec: the spec is stored once per definition version.

SpiffWorkflow's serializer embeds the whole process spec in every serialized workflow
(about two thirds of a typical instance). Here the top-level workflow converter leaves
the spec out and takes an already restored spec object back in, so an instance row
holds only its tasks and data, and a step never re-reads the spec.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from math import isfinite
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from .workflows import SubWorkflow, Workflow

STATE_FORMAT = "motcua-1"


class SpeclessWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """Converts a top-level BpmnWorkflow without its spec and subprocess specs."""

    def to_dict(self, workflow: BpmnWorkflow, plain: bool = False) -> dict[str, Any]:
        """`plain`: the workflows' own data written as they are, not through the registry's
        conversion (see dump_state)."""
        dct = self._workflow_dict(workflow, plain)
        dct["subprocesses"] = {
            _id_text(key): self._subprocess_dict(subprocess, plain)
            for key, subprocess in workflow.subprocesses.items()
        }
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    # What WorkflowConverter and BpmnSubWorkflowConverter write, and the tasks as the registry
    # would convert them (its DeltaTaskConverter, then the typename), without the registry's
    # dispatch and cleaning of every task object: a dossier's state holds ~50 tasks at each step.

    def _workflow_dict(self, workflow: Any, plain: bool = False) -> dict[str, Any]:
        registry = self.registry
        tasks = registry.convert_to_dict.get("Task")
        return {
            "data": workflow.data if plain else registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": _id_text(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {
                _id_text(key): tasks(task) if type(task) is Task and tasks else registry.convert(task)
                for key, task in workflow.tasks.items()
            },
            "root": _id_text(workflow.task_tree.id),
        }

    def _subprocess_dict(self, subprocess: Any, plain: bool = False) -> dict[str, Any]:
        typename = self.registry.typenames.get(type(subprocess))
        if typename != "BpmnSubWorkflow":
            return self.registry.convert(subprocess)  # type: ignore[no-any-return]
        dct = self._workflow_dict(subprocess, plain)
        dct["parent_task_id"] = str(subprocess.parent_task_id)
        dct["spec"] = subprocess.spec.name
        dct["typename"] = typename
        return dct

    def from_dict(
        self, dct: dict[str, Any], spec: Any = None, subprocess_specs: dict[str, Any] | None = None
    ) -> BpmnWorkflow:
        if spec is None:
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_ID_TEXTS: dict[int, str] = {}
_ID_TEXTS_MAX = 200_000


def _id_text(task_id: UUID) -> str:
    """str(task_id), kept: a task's id is written at every step while the task lives (its own, its
    parent's, its children's); formatting a UUID costs more than finding it again. Kept by the
    UUID's integer: hashing and comparing a UUID object runs Python code, its int's does not."""
    key = task_id.int
    text = _ID_TEXTS.get(key)
    if text is None:
        if len(_ID_TEXTS) >= _ID_TEXTS_MAX:
            _ID_TEXTS.clear()
        text = _ID_TEXTS[key] = str(task_id)
    return text


class DeltaTaskConverter(TaskConverter):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """SpiffWorkflow's task converter (a task's data as its delta from its parent's), writing the
    same dict with less work: the parent looked up once, ids formatted once per process, and a
    value shared with the parent's data (the same object, as a child's data starts out) taken as
    unchanged without comparing it deeply. A value equal to itself by identity but not by `==`
    (a NaN) is then left out of the delta: the restored data are the same."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        parent = task.workflow.tasks.get(task._parent) if task._parent is not None else None
        if parent is None:
            data, delta = task.data, {}
        else:
            old, new = parent.data, task.data
            data = {}
            delta = {
                "updates": {
                    key: value
                    for key, value in new.items()
                    if key not in old or ((kept := old[key]) is not value and value != kept)
                },
                "deletions": [key for key in old if key not in new],
            }
        return {
            "id": _id_text(task.id),
            "parent": _id_text(task._parent) if parent is not None else None,
            "children": [_id_text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            # most tasks keep nothing internal: {} is what the registry would make of it
            "internal_data": self.registry.convert(internal) if (internal := task.internal_data) else {},
            "data": data,
            "delta": delta,
        }


@cache
def _serializer() -> BpmnWorkflowSerializer:
    return _converters()[0]


@cache
def _converters() -> tuple[BpmnWorkflowSerializer, SpeclessWorkflowConverter]:
    """The serializer, and the converter of the engine's top-level workflows within it."""
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    config[Task] = DeltaTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # States restore into the engine's classes (workflows.py) under SpiffWorkflow's type names: a
    # state written before reads into them, and one written now reads as it always did.
    workflows = SpeclessWorkflowConverter(Workflow, registry, typename="BpmnWorkflow")
    BpmnSubWorkflowConverter(SubWorkflow, registry, typename="BpmnSubWorkflow")
    # Scripts may produce dates and decimals; keep them (datetime is already registered).
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry), workflows


def spec_registry() -> Any:
    """The converter registry, for turning specs into dicts and back (SpiffWorkflow's, untyped)."""
    return _serializer().registry


def restore_specs(spec_blob: str) -> tuple[Any, dict[str, Any]]:
    """A definition's stored blob -> (spec, subprocess_specs) objects."""
    dct = json.loads(spec_blob)
    registry = spec_registry()
    spec = registry.restore(dct["spec"])
    subprocess_specs = {name: registry.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


# orjson writes a dossier's state (~25 KB) in a seventh of json.dumps' time (bench, 2026-12-06).
# What it writes differently from the standard library is handled here: numbers that are not finite
# (orjson would write null) are refused, as sizes.unstorable refuses them in a script's data;
# dates and dataclasses are passed through so that they are refused as the standard library
# refuses them; integers over 64 bits and text with lone surrogates, which orjson refuses, are
# written by the standard library, exactly as before. Keys that are numbers or null become text
# as the standard library makes them.
_ORJSON = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def dump_state(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state (tasks, data, events) without its specs.

    The workflows' own data (a dossier's: about a hundred variables over the workflow and its
    subprocesses) are written as they are first: what the registry's conversion makes of JSON's
    own types is those values, copied, and going through it took about a third of the dump. A
    value only the registry writes (a date, a decimal, a callable it drops) makes that text fail
    (TypeError), and the state is then written through the registry as before."""
    serializer, workflows = _converters()
    if type(workflow) is Workflow:
        dct = workflows.to_dict(workflow, plain=True)
        dct["typename"] = workflows.typename
        dct["format"] = STATE_FORMAT
        try:
            return dumps(dct)
        except TypeError:
            pass
    dct = serializer.registry.convert(workflow)
    dct["format"] = STATE_FORMAT
    return dumps(dct)


def dumps(value: Any) -> str:
    """Compact JSON text of `value`, which json.loads reads back to the same value (load_state
    reads with the standard library: orjson would read an integer over 64 bits as a float).
    ValueError for a number that is not finite or a value that holds itself, TypeError for a value
    JSON has no type for."""
    try:
        text = orjson.dumps(value, option=_ORJSON)
    except orjson.JSONEncodeError:  # also a value holding itself (orjson's depth limit)
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    # walked once orjson wrote it: so it holds no cycle
    if not _finite(value):
        raise ValueError("a number that is not finite (NaN or infinity) cannot be stored as JSON")
    return text.decode()


def _finite(value: Any) -> bool:
    """Whether no float in `value` (dicts and lists, walked without recursion) is NaN or infinite."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is float and not isfinite(item):
            return False
    return True


def load_state(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore a workflow from dump_state's output onto already restored specs."""
    dct = json.loads(state)
    if not isinstance(dct, dict) or dct.pop("format", None) != STATE_FORMAT:
        raise ValueError(f"Not a workflow state of format {STATE_FORMAT!r}")
    workflow = _serializer().registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
    if not isinstance(workflow, BpmnWorkflow):
        raise ValueError("The state does not describe a workflow")
    return workflow
