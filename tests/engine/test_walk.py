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


def test_a_join_waiting_for_parallel_branches_is_updated_and_found(engine, checked_waiting):
    # engine_parallel_loop.bpmn: a fork into two user tasks, a join, then a round counted; the
    # join waits until both inputs are done, and is updated when the last one completes
    definition = deploy(engine, "engine_parallel_loop.bpmn")
    instance = Instance.start(engine, definition, {"rounds": 0, "finished": True})
    first, second = instance.ready()
    instance.complete_task(first)
    workflow = workflow_of(instance)
    waiting = [t.task_spec.bpmn_id for t in walk.waiting(workflow)]
    assert waiting == [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.WAITING)]
    assert waiting == ["join"]
    instance.complete_task(second)
    assert instance.status == "completed" and instance.variables["rounds"] == 1
    assert checked_waiting and max(checked_waiting) >= 1  # the engine's own updates were checked too


def test_states_restore_into_the_engine_classes_and_dump_unchanged(engine):
    from service.engine.serialization import dump_state
    from service.engine.workflows import SubWorkflow, Workflow

    instance = Instance.start(engine, deploy(engine, "engine_subprocess_loop.bpmn"))
    workflow = workflow_of(instance)
    assert type(workflow) is Workflow
    assert {type(sub) for sub in workflow.subprocesses.values()} == {SubWorkflow}
    assert dump_state(workflow) == instance.state  # the same text: the type names are SpiffWorkflow's


def test_spiffworkflow_loggers_start_at_warning_unless_the_deployment_set_them():
    import logging

    from service.engine import workflows

    for name in workflows.SPIFF_LOGGERS:  # set when the engine was imported
        assert logging.getLogger(name).level == logging.WARNING
    configured = logging.getLogger("spiff.test_configured")
    configured.setLevel(logging.DEBUG)
    unset = logging.getLogger("spiff.test_unset")
    workflows.quiet_logs(("spiff.test_configured", "spiff.test_unset"))
    assert configured.level == logging.DEBUG  # a level the deployment chose is kept
    assert unset.level == logging.WARNING
