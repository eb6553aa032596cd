"""The human side of a process: claim, unclaim, complete (the worklist and other reads: queries.py)."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from .. import forms, inserts, runtime, steps
from ..audit.operations import fact, record
from ..errors import Conflict
from ..extensions import db
from ..instances import operations as instances
from ..metrics import TASK_COMPLETIONS
from ..models_base import utcnow
from . import projection
from .models import COMPLETED, OPEN, Task
from .queries import get_with_instance, locked


def require_open(task: Task, instance) -> None:
    if task.state != OPEN:
        raise Conflict(
            f"Task '{task.name}' is already {task.state}; nothing was changed.",
            code="task_not_open",
            details={"state": task.state},
        )
    if instance.state != "running":
        raise Conflict(
            f"The process instance is {instance.state}; its tasks cannot be worked on now.",
            code="instance_not_running",
            details={"instance_state": instance.state},
        )


def claim(task_id, *, actor, loaded=None) -> Task:
    """The actor takes the task (the caller authorised them: tasks.permissions.require_task_actor).
    loaded: (task, instance) when the caller already read them."""
    task, instance = loaded or get_with_instance(task_id)
    require_open(task, instance)
    if task.assignee_id == actor.id:
        return task
    now = utcnow()
    # Compare-and-set: only an unassigned task can be claimed, whoever wins the race.
    done = db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.state == OPEN, Task.assignee_id.is_(None))
        .values(assignee_id=actor.id)
    ).rowcount
    if not done:
        db.session.refresh(task)
        holder = task.assignee.username if task.assignee else "someone else"
        raise Conflict(f"Task '{task.name}' is already claimed by {holder}.", code="task_claimed")
    record([fact("task_claimed", at=now, actor=actor, instance_id=instance.id, task_id=task.id)])
    db.session.refresh(task)
    return task


def unclaim(task_id, *, actor, loaded=None) -> Task:
    """The task goes back to its candidates (the caller authorised the actor)."""
    task, instance = loaded or get_with_instance(task_id)
    require_open(task, instance)
    if task.assignee_id is None:
        return task
    if task.assignee_id != actor.id and not actor.is_admin:
        raise Conflict(
            f"Task '{task.name}' is claimed by {task.assignee.username}; only they or an admin may "
            "release it.",
            code="task_claimed",
        )
    db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.assignee_id == task.assignee_id)
        .values(assignee_id=None)
    )
    record([fact("task_unclaimed", at=utcnow(), actor=actor, instance_id=instance.id, task_id=task.id)])
    db.session.refresh(task)
    return task


@functools.cache
def _completion():
    """A locked open task's completion, sent with the step's writes (service/inserts.py): built once."""
    table = Task.__table__
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("completed_task", type_=table.c.id.type), table.c.state == OPEN)
        .values(
            state=COMPLETED,
            completed_at=sa.bindparam("completed_at", type_=table.c.completed_at.type),
            completed_by_id=sa.bindparam("completed_by", type_=table.c.completed_by_id.type),
        )
    )


def complete(task_id, variables: dict, *, actor, expected_version: int | None = None, loaded=None):
    """Complete a task with variables and advance its instance, or refuse with nothing changed
    (the caller authorised the actor: tasks.permissions.require_task_actor).

    loaded: (task, instance with its engine state) when the caller already read them.
    Returns (instance, active tasks), the latter None when they must be read back from the
    worklist (other branches were already waiting); in a sequence they are the tasks just opened.
    """
    task, instance = loaded or get_with_instance(task_id, with_state=True, lock=True)
    require_open(task, instance)
    if task.assignee_id is not None and task.assignee_id != actor.id and not actor.is_admin:
        raise Conflict(
            f"Task '{task.name}' is claimed by {task.assignee.username}; only they may complete it.",
            code="task_claimed",
        )
    instances.check_version(instance, expected_version)
    forms.check_submission(task.form_key, variables, protected=instances.protected_variables(instance))
    steps.check_completion(task, instance, variables)
    provided = steps.completion_inputs(task, instance)
    now = utcnow()
    inputs = runtime.inputs(instance.definition_id)
    # After the inputs' reads (the org units), so that a new system variable does not make them
    # flush the instance's UPDATE on its own: it goes with the step's writes (service/inserts.py).
    if not set(provided) <= set(instance.system_variables or ()):
        instance.system_variables = sorted({*(instance.system_variables or ()), *provided})
    result = runtime.engine().complete_task(
        inputs.definition,
        instance.engine_state,
        str(task.id),
        {**variables, **provided},
        now=now,
        units=inputs.units,
        calendar=inputs.calendar,
    )
    # Compare-and-set on the task, then the instance row's version check at flush:
    # of two racing completions exactly one passes both. A task whose row this unit locked when it
    # read it (tasks.queries.get_with_instance) is still open: its update goes with the step's writes.
    if locked(task.id):
        writes = [
            inserts.Bound(
                _completion(), {"completed_task": task.id, "completed_at": now, "completed_by": actor.id}
            )
        ]
    elif not db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.state == OPEN)
        .values(state=COMPLETED, completed_at=now, completed_by_id=actor.id)
    ).rowcount:
        raise Conflict(
            f"Task '{task.name}' was completed by someone else just now; nothing of yours was applied.",
            code="task_not_open",
        )
    else:
        writes = []
    result.closed = [t for t in result.closed if t != str(task.id)]
    audit = [
        fact(
            "task_completed",
            at=now,
            actor=actor,
            instance_id=instance.id,
            task_id=task.id,
            element_id=task.element_id,
            data={"variables": variables},
        )
    ]
    TASK_COMPLETIONS.inc()
    step = steps.persist(
        instance, result, actor=actor, now=now, audit=audit, writes=writes, completed_task=task
    )
    return instance, projection.opened_all(step)
