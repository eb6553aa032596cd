"""Helpers for the engine adapter's tests: BPMN files from tests/data/, deployed and driven by element id.

`Instance` plays the service's part: it keeps a worklist projection from the `opened`/`closed`
effects of every step, and checks it against the tasks the stored state is really waiting on
each time it looks a task up.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter, WorkflowConverter
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

from service.engine import (
    CompiledDefinition,
    Engine,
    HumanTask,
    StepResult,
    effects,
    parse_definition,
    serialization,
    walk,
)
from service.engine.serialization import spec_registry

DATA = Path(__file__).resolve().parent.parent / "data"
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def bpmn_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def line_of(name: str, text: str) -> int:
    """The 1-based line of tests/data/<name> where `text` first occurs."""
    for number, line in enumerate(bpmn_bytes(name).decode().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {name}")


def deploy(engine: Engine, name: str) -> CompiledDefinition:
    """Parse tests/data/<name> as a deploy does and compile its spec blob."""
    return engine.compile(parse_definition(bpmn_bytes(name), filename=name).spec_blob)


def deploy_unchecked(engine: Engine, name: str) -> CompiledDefinition:
    """Compile tests/data/<name> WITHOUT the deploy-time script check, to test the run-time sandbox alone."""
    tree = etree.fromstring(bpmn_bytes(name)).getroottree()
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_xml(tree, filename=name)
    (key,) = parser.get_process_ids()
    registry = spec_registry()
    blob = {
        "spec": registry.convert(parser.get_spec(key)),
        "subprocess_specs": {n: registry.convert(s) for n, s in parser.get_subprocess_specs(key).items()},
    }
    return engine.compile(json.dumps(blob))


@dataclass
class Instance:
    """A process instance driven through the Engine API, as the service would drive it."""

    engine: Engine
    definition: CompiledDefinition
    result: StepResult
    worklist: dict[str, HumanTask] = field(default_factory=dict)
    calendar: Any = None  # the working calendar every command is given (None: none)

    @classmethod
    def start(
        cls,
        engine: Engine,
        definition: CompiledDefinition,
        variables: dict | None = None,
        calendar: Any = None,
    ) -> Instance:
        result = engine.start(definition, variables or {}, now=NOW, calendar=calendar)
        instance = cls(engine, definition, result, calendar=calendar)
        instance._record(instance.result)
        return instance

    @property
    def state(self) -> str:
        return self.result.state

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def variables(self) -> dict:
        return self.result.variables

    def ready(self) -> list[HumanTask]:
        """The human tasks the stored state waits on; the worklist projection must agree."""
        tasks = self.engine.ready_tasks(self.definition, self.state, now=NOW)
        assert {t.id for t in tasks} == set(self.worklist), "opened/closed effects disagree with the state"
        return tasks

    def ready_elements(self) -> list[str]:
        return sorted(t.element_id for t in self.ready())

    def task(self, element_id: str) -> HumanTask:
        """The single ready human task of this element."""
        matches = [t for t in self.ready() if t.element_id == element_id]
        assert len(matches) == 1, f"expected one ready {element_id!r}, got {self.ready_elements()}"
        return matches[0]

    def complete(self, element_id: str, **data) -> StepResult:
        """Complete the ready task of this element with data; returns (and keeps) the step's result."""
        return self.complete_task(self.task(element_id), **data)

    def complete_task(self, task: HumanTask, **data) -> StepResult:
        self.result = self.engine.complete_task(
            self.definition, self.state, task.id, data, now=NOW, calendar=self.calendar
        )
        self._record(self.result)
        return self.result

    def _record(self, result: StepResult) -> None:
        for task_id in result.closed:
            del self.worklist[task_id]
        for task in result.opened:
            assert task.id not in self.worklist, f"task {task.id} opened twice"
            self.worklist[task.id] = task


@pytest.fixture
def engine() -> Engine:
    return Engine()


@pytest.fixture(autouse=True)
def checked_walk(monkeypatch) -> list[int]:
    """Every engine test also checks walk.ready against SpiffWorkflow's own iterator: the same
    ready tasks in the same order, at every point the engine asks. Returns the sizes it saw."""
    original, sizes = walk.ready, []

    def ready(workflow: Any) -> list[Any]:
        found = original(workflow)
        expected = workflow.get_tasks(state=TaskState.READY)
        assert [t.id for t in found] == [t.id for t in expected], "walk.ready disagrees with get_tasks"
        sizes.append(len(found))
        return found

    monkeypatch.setattr(walk, "ready", ready)
    return sizes


@pytest.fixture(autouse=True)
def checked_waiting(monkeypatch) -> list[int]:
    """Every engine test also checks walk.waiting against SpiffWorkflow's own iterator each time a
    workflow updates its waiting tasks (workflows.py): the same tasks in the same order. Returns
    how many waiting tasks each update saw."""
    original, sizes = walk.waiting, []

    def waiting(workflow: Any) -> Any:
        expected = [t.id for t in TaskIterator(workflow.task_tree, state=TaskState.WAITING)]
        assert [t.id for t in original(workflow)] == expected, "walk.waiting disagrees with TaskIterator"
        sizes.append(len(expected))
        return original(workflow)

    monkeypatch.setattr(walk, "waiting", waiting)
    return sizes


def stock_dump(workflow: Any) -> dict:
    """The state as SpiffWorkflow's own task converter writes it (with the service's other
    converters: no spec, dates and decimals)."""
    registry = serialization.spec_registry()
    converter = registry.convert_to_dict["Task"]
    stock = TaskConverter(Task, registry)
    # the workflow and its subprocesses as SpiffWorkflow's own converters write them (the
    # service's writes them without the registry's dispatch per task), without the spec
    workflows = registry.convert_to_dict["BpmnWorkflow"].args[1].__self__
    try:
        registry.convert_to_dict["Task"] = functools.partial(registry._obj_to_dict, "Task", stock.to_dict)
        dct = WorkflowConverter.to_dict(workflows, workflow)
        dct["subprocesses"] = workflows.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
        dct["typename"] = "BpmnWorkflow"
    finally:
        registry.convert_to_dict["Task"] = converter
    dct["format"] = serialization.STATE_FORMAT
    return json.loads(json.dumps(dct))


@pytest.fixture(autouse=True)
def checked_dump(monkeypatch) -> list[int]:
    """Every engine test also checks the state the engine stores against the one SpiffWorkflow's
    own task converter writes: the same tasks, data deltas and ids. Returns the sizes it saw."""
    original, sizes = serialization.dump_state, []

    def dump_state(workflow: Any) -> str:
        state = original(workflow)
        assert json.loads(state) == stock_dump(workflow), "the stored state differs from SpiffWorkflow's"
        sizes.append(len(state))
        return state

    monkeypatch.setattr(effects, "dump_state", dump_state)
    return sizes
