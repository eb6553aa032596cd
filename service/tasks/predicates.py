"""Who a task row is for, as SQL conditions on the worklist projection (shared by the task,
instance and dossier queries and the worklist page; the rule in Python is
identity.permissions.may_act_on_task)."""

from __future__ import annotations

import sqlalchemy as sa

from .models import Task, task_candidates


def in_unit_of(user) -> sa.ColumnElement[bool]:
    """Tasks open to the user's org unit: those scoped to it and those scoped to none."""
    if user.unit:
        return sa.or_(Task.unit.is_(None), Task.unit == user.unit)
    return Task.unit.is_(None)


def candidate_of(user) -> sa.ColumnElement[bool]:
    """Tasks the user is a candidate for: one of the user's groups, in the user's unit."""
    # EXISTS (a semi-join probing the candidates' primary key) keeps the plan sane even
    # before the tables have statistics.
    in_groups = sa.exists().where(
        task_candidates.c.task_id == Task.id, task_candidates.c.group_name.in_(sorted(user.group_names))
    )
    return sa.and_(in_groups, in_unit_of(user))


def involved_in(user) -> sa.ColumnElement[bool]:
    """Tasks the user is involved in: their assignee, who completed them, or a candidate."""
    return sa.or_(Task.assignee_id == user.id, Task.completed_by_id == user.id, candidate_of(user))
