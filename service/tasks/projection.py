"""Stages of the step pipeline (service/steps.py) for the instance row and its task projection
(the worklist: a projection of the engine's ready human tasks).

- `record_instance`: the instance's state, variables, next timer and error; the tasks the step
  closed are cancelled, and every open task of an instance terminated (a task in an incident, that
  the engine had not ready, too);
- `open_tasks`: a row (and candidate groups) for every human task the step opened, with its
  assignee (kept on the step: `opened` answers with them); the elements the engine completed, then
  what became of the instance, go to the audit;
- `write_tasks`: the rows and their candidates, inserted with the step's other rows (after the
  stages that complete them, such as due dates: service/inserts.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.operations import fact
from ..extensions import db
from ..identity.models import User
from ..identity.queries import active_user
from ..steps import Step
from .models import CANCELLED, OPEN, Task, task_candidates

TERMINAL = frozenset({"completed", "terminated"})


def record_instance(step: Step) -> None:
    instance, result, now = step.instance, step.result, step.now
    instance.engine_state = result.state
    instance.variables = result.variables
    instance.next_timer_at = result.next_timer_at
    instance.updated_at = now
    if result.status == "error":
        instance.state, instance.error = "error", result.error
    else:
        instance.state, instance.error = result.status, None
    if instance.state in TERMINAL:
        instance.ended_at = now
    if result.closed:
        db.session.execute(
            sa.update(Task)
            .where(Task.id.in_([uuid.UUID(t) for t in result.closed]), Task.state == OPEN)
            .values(state=CANCELLED, completed_at=now)
        )
        step.audit.extend(
            fact("task_cancelled", at=now, actor=step.actor, instance_id=instance.id, task_id=uuid.UUID(t))
            for t in result.closed
        )
    if instance.state == "terminated":  # tasks a human could still see, though none was ready
        db.session.execute(
            sa.update(Task)
            .where(Task.instance_id == instance.id, Task.state == OPEN)
            .values(state=CANCELLED, completed_at=now)
        )


def open_tasks(step: Step) -> None:
    instance, result, now = step.instance, step.result, step.now
    for human in result.opened:
        task_id = uuid.UUID(human.id)
        assignee = _assignee(human.assignee, human.properties, result.variables, human.unit)
        if assignee is not None:
            step.assignees[task_id] = assignee
        step.rows.append(
            {
                "id": task_id,
                "instance_id": instance.id,
                "element_id": human.element_id,
                "name": human.name,
                "lane": human.lane,
                "candidate_groups": list(human.candidate_groups),
                "state": OPEN,
                "form_key": human.form_key,
                "documentation": human.documentation,
                "created_at": now,
                "due_at": None,  # the due-date stage decides (service/deadlines.py)
                "assignee_id": assignee.id if assignee is not None else None,
                "unit": human.unit,  # checked by the engine against the known units
                "properties": human.properties,
            }
        )
        step.candidates.extend({"task_id": task_id, "group_name": g} for g in human.candidate_groups)
        step.audit.append(
            fact(
                "task_created", at=now, instance_id=instance.id, task_id=task_id, element_id=human.element_id
            )
        )
    step.audit.extend(
        fact(
            "element_completed",
            at=now,
            instance_id=instance.id,
            task_id=uuid.UUID(done["task_id"]),
            element_id=done["element_id"],
            data={"type": done["type"], **({"name": done["name"]} if done.get("name") else {})},
        )
        for done in result.completed_elements
    )
    if instance.state == "error":
        error = result.error or {}
        step.audit.append(
            fact(
                "instance_failed",
                at=now,
                instance_id=instance.id,
                element_id=error.get("element_id"),
                message=error.get("message"),
            )
        )
    elif instance.state == "completed":
        step.audit.append(fact("instance_completed", at=now, instance_id=instance.id))


def as_read(row: dict) -> dict:
    """A row a stage wrote, as the database gives it back: its moments in UTC (a due moment is
    computed in the calendar's zone)."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in row.items()}


def opened(step: Step) -> list[Task]:
    """The tasks the step opened, as the answer to its request shows them and a read of them would
    (not in the session: their rows are inserted with the step's writes), each with the user it was
    assigned to."""
    tasks = []
    for row in step.rows:
        task = Task(**as_read(row))
        set_committed_value(task, "assignee", step.assignees.get(row["id"]))
        tasks.append(task)
    return tasks


def opened_all(step: Step) -> list[Task] | None:
    """opened(step) when it opened every task its engine step made ready; None when one did not
    open (an incident): the instance's open tasks must then be read."""
    if {str(row["id"]) for row in step.rows} != set(step.result.ready):
        return None
    return opened(step)


def write_tasks(step: Step) -> None:
    step.insert(Task.__table__, step.rows)
    step.insert(task_candidates, step.candidates)


def _assignee(assignee: str | None, properties: dict, variables: dict, unit: str | None) -> User | None:
    """The user the engine assigned the task to (an assignee expression, engine/modeler.py), else
    the one named by the `assigneeVariable` property, if that user exists and is active, and, for a
    task scoped to an org unit, is an officer of that unit (an assignee may act on a task whatever
    its unit, so naming another unit's officer must not hand it over: the task stays with its
    candidates)."""
    name = properties.get("assigneeVariable")
    username = assignee or (variables.get(name) if name else None)
    if not isinstance(username, str):
        return None
    user = active_user(username)  # the form that named them read it already
    if user is None or unit is None or user.is_admin:
        return user
    return user if user.org_unit is not None and user.org_unit.code == unit else None
