"""Workflows kept warm between steps (service.engine.warm): the next command on the state a step
stored takes the object that step left behind instead of restoring it; any other state restores."""

from __future__ import annotations

import pytest

from service.engine import Engine, TaskNotReady
from service.engine import runtime as engine_runtime

from .conftest import NOW, Instance, deploy

START = {"base_fee": 10, "threshold": 50}


def _no_restore(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the state was restored from its string")

    monkeypatch.setattr(engine_runtime, "load_state", refuse)


def test_the_next_step_takes_the_workflow_the_last_one_left(monkeypatch):
    engine = Engine()
    definition = deploy(engine, "engine_basic.bpmn")
    instance = Instance.start(engine, definition, START)
    task = instance.worklist[next(iter(instance.worklist))]
    _no_restore(monkeypatch)
    result = engine.complete_task(definition, instance.state, task.id, {"pages": 6}, now=NOW)
    assert result.status == "running"
    assert [t.element_id for t in result.opened] == ["approve"]


def test_a_state_other_than_the_last_one_stored_is_restored():
    engine = Engine()
    definition = deploy(engine, "engine_basic.bpmn")
    instance = Instance.start(engine, definition, START)
    before, task = instance.state, instance.task("receive")
    instance.complete("receive", pages=6)  # the warm workflow is now the one after this step
    # The stored state is still `before` (say this step's transaction rolled back): restored from it.
    again = engine.complete_task(definition, before, task.id, {"pages": 2}, now=NOW)
    assert [t.element_id for t in again.opened] == ["legal_review"]  # fee 20: not above 50
    assert again.variables["fee"] == 20


def test_warm_and_cold_engines_give_the_same_steps():
    warm, cold = Engine(), Engine(warm_states=0)
    results = []
    for engine in (warm, cold):
        definition = deploy(engine, "engine_basic.bpmn")
        instance = Instance.start(engine, definition, START)
        steps = [instance.complete("receive", pages=2)]
        steps.append(instance.complete("legal_review", legal_ok=True))
        results.append(
            [(r.status, sorted(t.element_id for t in r.opened), len(r.closed), r.variables) for r in steps]
        )
        assert instance.status == "completed"
    assert len(cold.warm) == 0
    assert results[0] == results[1]


def test_a_workflow_is_taken_once_and_a_failed_command_leaves_none():
    engine = Engine()
    definition = deploy(engine, "engine_basic.bpmn")
    instance = Instance.start(engine, definition, START)
    assert len(engine.warm) == 1
    with pytest.raises(TaskNotReady):
        engine.complete_task(definition, instance.state, "not-a-task", {}, now=NOW)
    assert len(engine.warm) == 0  # taken by the refused command, not put back: the next one restores
    task = instance.task("receive")
    result = engine.complete_task(definition, instance.state, task.id, {"pages": 6}, now=NOW)
    assert [t.element_id for t in result.opened] == ["approve"]


def test_another_compiled_definition_never_takes_a_workflow_of_this_one(monkeypatch):
    engine = Engine()
    definition = deploy(engine, "engine_basic.bpmn")
    other = deploy(engine, "engine_basic.bpmn")  # the same file, compiled again: other spec objects
    instance = Instance.start(engine, definition, START)
    restored = []
    real = engine_runtime.load_state
    monkeypatch.setattr(engine_runtime, "load_state", lambda *a: restored.append(1) or real(*a))
    task = instance.task("receive")  # ready_tasks restores (a read never takes the warm workflow)
    restored.clear()
    engine.complete_task(other, instance.state, task.id, {"pages": 6}, now=NOW)
    assert restored == [1]
