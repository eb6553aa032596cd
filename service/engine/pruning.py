"""Keep a workflow's task tree small: drop the finished history behind the live frontier.

SpiffWorkflow keeps every task it ever created, so a looping instance grows without
bound: serialization cost grows with it, and past about 500 iterations the task
iterator's depth limit (1000) makes the engine stop seeing its own tasks. The service
keeps the history it needs in its own audit table, so the engine state only has to hold
what can still change.

The rule: find the deepest finished task D such that every unfinished task lies below
it. Between the root and D keep only the latest task of each task spec (in order), and
drop the other finished tasks, their finished side branches and the subprocesses they
started. Every task that can still run, and every ancestor it inspects (split tasks,
boundary-event parents, the parents joins look at) is D or below D; searches of
ancestors by spec (a loop flowing back into a parallel gateway walks up to its start
input) still find the latest such task. The chain is bounded by the number of specs.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.util.task import TaskState

_DONE = TaskState.COMPLETED | TaskState.CANCELLED


def prune(workflow: Any) -> int:
    """Prune the top workflow and every subprocess; return how many tasks were dropped."""
    dropped = 0
    for wf in [workflow, *list(workflow.subprocesses.values())]:
        if wf is workflow or _alive(workflow, wf):
            dropped += _prune_one(workflow, wf)
    return dropped


def _alive(top: Any, wf: Any) -> bool:
    return any(sp is wf for sp in top.subprocesses.values())


def _prune_one(top: Any, wf: Any) -> int:
    root = wf.task_tree
    live = set()
    for task in wf.tasks.values():
        if not task.state & _DONE:
            node = task
            while node is not None and node.id not in live:
                live.add(node.id)
                node = node.parent
    if not live:
        return 0
    node = root
    while node.state & _DONE:
        live_children = [c for c in node.children if c.id in live]
        if len(live_children) != 1 or not live_children[0].state & _DONE:
            break
        node = live_children[0]
    if node is root or node.parent is root:
        return 0
    keep = node
    # The finished ancestors of `keep`, top-down; of each task spec keep only the latest, so a
    # search of ancestors by spec (joins, boundary events, loops into a gateway) still finds it.
    path = []
    node = keep.parent
    while node is not root:
        path.append(node)
        node = node.parent
    path.reverse()
    latest = {task.task_spec.name: task for task in path}
    chain = [task for task in path if latest[task.task_spec.name] is task]
    kept = {task.id for task in chain}
    doomed = []
    stack = list(root.children)
    while stack:
        task = stack.pop()
        if task is keep:
            continue
        if task.id not in kept:
            doomed.append(task)
        stack.extend(task.children)
    for task in doomed + chain:  # a finished call activity's subprocess has nothing left to do
        if task.id in top.subprocesses:
            top.delete_subprocess(task)
    if not doomed:
        return 0
    for task in doomed:
        wf.tasks.pop(task.id, None)
    parent = root
    for task in [*chain, keep]:
        task._parent = parent.id
        parent._children = [task.id]
        parent = task
    if wf.last_task is not None and wf.last_task.id not in wf.tasks:
        wf.last_task = keep
    return len(doomed)
