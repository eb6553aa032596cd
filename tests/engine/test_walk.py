"""walk.ready: the ready tasks of a workflow in one walk, as SpiffWorkflow's iterator finds them.

conftest.checked_walk compares the two at every call in every engine test; here, the shapes
where a plain walk could go wrong: a ready task inside an embedded subprocess and inside a called
process (their tasks live in a workflow of their own), parallel multi-instance tasks (siblings,
in order), and predicted branches (never descended).
"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from service.engine import walk
from service.engine.serialization import load_state

from .conftest import Instance, deploy


def workflow_of(instance: Instance):
    return load_state(instance.state, instance.definition.spec, instance.definition.subprocess_specs)


def test_a_ready_task_inside_an_embedded_subprocess_is_found(engine, checked_walk):
    instance = Instance.start(engine, deploy(engine, "engine_subprocess_loop.bpmn"))
    workflow = workflow_of(instance)
    found = walk.ready(workflow)
    assert [t.task_spec.bpmn_id for t in found] == ["inner_review"]
    assert found[0].workflow is not workflow  # it lives in the subprocess's own workflow
    (sub,) = workflow.subprocesses.values()
    assert [t.id for t in walk.ready(sub)] == [found[0].id]  # asked of the subprocess itself


def test_a_ready_task_inside_a_called_process_is_found(engine):
    instance = Instance.start(engine, deploy(engine, "engine_call_activity_loop.bpmn"))
    found = walk.ready(workflow_of(instance))
    assert "consult" in [t.task_spec.bpmn_id for t in found]


def test_parallel_instances_are_found_in_order(engine, checked_walk):
    instance = Instance.start(engine, deploy(engine, "engine_multi_instance.bpmn"))
    workflow = workflow_of(instance)
    found = walk.ready(workflow)
    assert [t.task_spec.bpmn_id for t in found] == ["opinion"] * 3
    instance.complete_task(instance.ready()[1], opinion="ok")
    assert len(walk.ready(workflow_of(instance))) == 2
    assert checked_walk and max(checked_walk) >= 3  # the engine's own calls were checked too


def test_predicted_branches_are_not_walked_into(engine):
    instance = Instance.start(engine, deploy(engine, "engine_subprocess_loop.bpmn"))
    workflow = workflow_of(instance)
    predicted = [t for t in workflow.get_tasks() if t.state & TaskState.PREDICTED_MASK and t._children]
    assert predicted
    for task in predicted:  # a ready-looking task below a predicted one would never be reported
        child = task.children[0]
        kept, child._state = child._state, TaskState.READY
        assert child.id not in {t.id for t in walk.ready(workflow)}
        assert child.id not in {t.id for t in workflow.get_tasks(state=TaskState.READY)}
        child._state = kept
