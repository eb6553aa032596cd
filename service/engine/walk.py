"""The ready tasks of a workflow, found in one plain walk of its task tree.

`workflow.get_tasks(state=TaskState.READY)` answers the same question through SpiffWorkflow's
generic iterator (a filter object per task, a list rebuilt at every node, the children looked up
through two properties); an engine step asks it several times, and on a dossier's tree that
walking was a large part of the step's engine time. `ready(wf)` visits the same tasks in the
same order and returns the same list: depth first from `wf.task_tree`, a task's subprocess before
its children, descending below a task only when it is at least FUTURE (a predicted task has only
predicted children) or starts a subprocess. Every engine test compares the two at each call
(tests/engine/conftest.checked_walk; the shapes that matter in tests/engine/test_walk.py).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

_READY, _FUTURE = TaskState.READY, TaskState.FUTURE


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
        sub = subprocesses.get(task.id)
        if task._children and (sub is not None or state >= _FUTURE):
            tasks = task.workflow.tasks
            push([tasks.get(child) for child in reversed(task._children)])
        if sub is not None:  # walked before the task's children
            stack.append(sub.task_tree)
    return found
