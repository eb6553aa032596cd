"""Who may act on and see tasks: the rule in Python (for one task) and in SQL (for lists), side by
side. Routes and pages authorise with these; operations assume the caller was authorised."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import Forbidden
from ..instances.models import ProcessInstance
from ..instances.permissions import candidate_of, in_unit_of, involved_in
from .models import Task, task_candidates

__all__ = ["candidate_of", "in_unit_of", "involved_in", "may_act_on_task", "require_task_actor", "visible_to"]


def may_act_on_task(user, task, instance_started_by_id: int | None) -> bool:
    """Candidates, the assignee and admins; a task without candidates belongs to its starter.

    A task scoped to an org unit (`task.unit`) is open only to candidates of that unit.
    """
    if user.is_admin or task.assignee_id == user.id:
        return True
    if task.unit and task.unit != user.unit:
        return False
    if task.candidate_groups:
        return bool(user.group_names.intersection(task.candidate_groups))
    return instance_started_by_id == user.id


def require_task_actor(user, task, instance_started_by_id: int | None) -> None:
    if not may_act_on_task(user, task, instance_started_by_id):
        if task.unit and task.unit != user.unit and task.assignee_id != user.id:
            raise Forbidden(
                f"Task '{task.name}' belongs to unit {task.unit}; you are not an officer of that unit.",
                details={"task_id": str(task.id), "unit": task.unit},
            )
        groups = ", ".join(task.candidate_groups) or "none (only its starter)"
        raise Forbidden(
            f"You are not a candidate for task '{task.name}' (candidate groups: {groups}).",
            details={"task_id": str(task.id), "candidate_groups": list(task.candidate_groups)},
        )


def visible_to(user) -> sa.ColumnElement[bool]:
    """The tasks a user may see: admins all; others those they are a candidate or assignee of."""
    if user.is_admin:
        return sa.true()
    started = sa.select(ProcessInstance.id).where(ProcessInstance.started_by_id == user.id)
    return sa.or_(
        involved_in(user),
        # A task without candidate groups belongs to the user who started its instance, in its unit
        # (as may_act_on_task says: a scoped task is never another unit's, the starter's included).
        sa.and_(
            ~sa.exists().where(task_candidates.c.task_id == Task.id),
            Task.instance_id.in_(started),
            in_unit_of(user),
        ),
    )
