"""The ready (and the waiting) tasks of a workflow, found in one plain walk of its task tree.

`workflow.get_tasks(state=TaskState.READY)` answers the same question through SpiffWorkflow's
generic iterator (a filter object per task, a list rebuilt at every node, the children looked up
through two properties); an engine step asks it several times, and on a dossier's tree that
walking was a large part of the step's engine time. `ready(wf)` visits the same tasks in the
same order and returns the same list: depth first from `wf.task_tree`, a task's subprocess before
its children, descending below a task only when it is at least FUTURE (a predicted task has only
predicted children) or starts a subprocess. Every engine test compares the two at each call
(tests/engine/conftest.checked_walk; the shapes that matter in tests/engine/test_walk.py).

`waiting(wf)` does the same for the WAITING tasks that SpiffWorkflow updates after every task that
completes (`Workflow.update_waiting_tasks`, through its generic iterator: a walk of the whole tree
each time; workflows.py uses this one instead). Neither walk stops at the generic iterator's depth
limit of 1000: pruning.py keeps a tree far shallower than that.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

_READY, _WAITING, _FUTURE = TaskState.READY, TaskState.WAITING, TaskState.FUTURE


def ready(workflow: Any) -> list[Any]:
    """The READY tasks of `workflow` (a BpmnWorkflow or one of its subprocesses) and of the
    subprocesses below it, in the order of workflow.get_tasks(state=TaskState.READY)."""
    subprocesses = workflow.top_workflow.subprocesses
    found: list[Any] = []
    stack = [workflow.task_tree]
    pop, push = stack.pop, stack.extend
    while stack:
        task = pop()
        state = task._state
        if state & _READY:
            found.append(task)
        # only a subprocess or call activity starts one (its id is looked up, hashing a UUID in
        # Python, for those tasks alone: most of a dossier's tree is not one)
        sub = subprocesses.get(task.id) if isinstance(task.task_spec, SubWorkflowTask) else None
        if task._children and (sub is not None or state >= _FUTURE):
            tasks = task.workflow.tasks
            push([tasks.get(child) for child in reversed(task._children)])
        if sub is not None:  # walked before the task's children
            stack.append(sub.task_tree)
    return found


def waiting(workflow: Any) -> Iterator[Any]:
    """The WAITING tasks of `workflow` itself (not of its subprocesses: each updates its own), in
    the order of SpiffWorkflow's TaskIterator(workflow.task_tree, state=TaskState.WAITING), and as
    lazily: a task's children are taken when the walk reaches the task, before it is yielded, so a
    change the caller makes below a yielded task is seen as that iterator would see it."""
    tasks = workflow.tasks
    stack = [workflow.task_tree]
    pop, push = stack.pop, stack.extend
    while stack:
        task = pop()
        state = task._state
        if task._children and state >= _FUTURE:
            push([tasks.get(child) for child in reversed(task._children)])
        if state & _WAITING:
            yield task
