"""serialization.dump_state: the workflows' own data written as they are, and through the
registry only when a value needs it. (conftest.checked_dump compares every state an engine test
stores with SpiffWorkflow's own converters' output.)"""

from __future__ import annotations

import json
from datetime import date

from service.engine import serialization
from service.engine.serialization import dump_state, load_state

from .conftest import Instance, deploy


def _workflow(engine):
    instance = Instance.start(engine, deploy(engine, "engine_subprocess_loop.bpmn"))
    definition = instance.definition
    return load_state(instance.state, definition.spec, definition.subprocess_specs)


def _through_the_registry(workflow) -> str:
    serializer, _ = serialization._converters()
    dct = serializer.registry.convert(workflow)
    dct["format"] = serialization.STATE_FORMAT
    return serialization.dumps(dct)


def test_the_state_is_the_text_the_registry_would_write(engine):
    workflow = _workflow(engine)
    workflow.data.update({"applicant": {"name": "Nguyễn Thị Ánh", "ids": [1, 2.5, None, True]}, "n": 3})
    (sub,) = workflow.subprocesses.values()
    sub.data["nested"] = {"a": [{"b": "c"}]}
    assert dump_state(workflow) == _through_the_registry(workflow)


def test_a_date_in_a_workflows_data_goes_through_the_registry_and_comes_back(engine):
    workflow = _workflow(engine)
    workflow.data["decided_on"] = date(2026, 12, 6)
    (sub,) = workflow.subprocesses.values()
    sub.data["callback"] = len  # dropped by the registry's cleaning, as SpiffWorkflow drops it
    state = dump_state(workflow)
    assert state == _through_the_registry(workflow)
    assert json.loads(state)["data"]["decided_on"] == {"value": "2026-12-06", "typename": "date"}
    assert "callback" not in next(iter(json.loads(state)["subprocesses"].values()))["data"]
    spec = workflow.spec
    restored = load_state(state, spec, workflow.subprocess_specs)
    assert restored.data["decided_on"] == date(2026, 12, 6)
