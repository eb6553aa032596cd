"""The instances' reads: their states, how many are in each (the pages); the instances waiting
for a message (POST /messages); an instance's open tasks (its detail, a dossier's current steps).

(Which instances a user may see and a page of them are read in operations.py.)
"""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..identity.models import User
from .models import OPEN, STATES, MessageWait, ProcessInstance, Task

__all__ = ["STATES", "open_of", "state_counts", "waiting_for"]

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def state_counts() -> dict[str, int]:
    """How many instances are in each state (states with none left out)."""
    return dict(
        db.session.execute(
            sa.select(ProcessInstance.state, sa.func.count()).group_by(ProcessInstance.state)
        ).all()
    )


def waiting_for(
    name: str,
    *,
    allowed: sa.ColumnElement[bool],
    business_key: str | None = None,
    correlation_keys: dict | None = None,
    limit: int | None = None,
) -> list[ProcessInstance]:
    """The running instances waiting for the message `name` (message_waits, by its index) that
    `allowed` lets the caller reach (instances.permissions.messageable_by), whose business key is
    `business_key` (when given) and whose variables hold every value of `correlation_keys`
    (`{variable: value}`), oldest first; at most `limit` of them. Engine states are not loaded.

    String values of variables named like identifiers are compared in SQL (the JSON value as text,
    on both databases); then every
    value is checked in Python on the few candidates left, with its JSON type (5 is not "5",
    true is not 1)."""
    keys = dict(correlation_keys or {})
    query = (
        sa.select(ProcessInstance)
        .join(MessageWait, MessageWait.instance_id == ProcessInstance.id)
        .where(MessageWait.name == name, ProcessInstance.state == "running", allowed)
        .order_by(ProcessInstance.created_at, ProcessInstance.id)
    )
    if business_key is not None:
        query = query.where(ProcessInstance.business_key == business_key)
    for variable, value in keys.items():
        if isinstance(value, str) and _PLAIN.match(variable):  # a JSON path of its own
            query = query.where(ProcessInstance.variables[variable].as_string() == value)
    if limit is not None and not keys:  # else the Python check below decides which rows count
        query = query.limit(limit)
    matched = []
    for instance in db.session.scalars(query):
        variables = instance.variables or {}
        if all(
            variable in variables and _same(variables[variable], value) for variable, value in keys.items()
        ):
            matched.append(instance)
            if limit is not None and len(matched) >= limit:
                break
    return matched


def _same(held, wanted) -> bool:
    """JSON equality: the same type (any two numbers, but booleans only with booleans) and value."""
    if isinstance(held, bool) or isinstance(wanted, bool):
        return type(held) is type(wanted) and held == wanted
    if isinstance(held, int | float) and isinstance(wanted, int | float):
        return held == wanted
    return type(held) is type(wanted) and held == wanted


def open_of(instance_id) -> list[Task]:
    """An instance's open tasks, oldest first, each with its assignee (the users read in a second
    query only when one is assigned: a joined load of the assignee costs more, in SQLAlchemy's
    setting up of the join for each execution, than the query itself)."""
    found = list(db.session.scalars(_open_of(), {"instance_id": instance_id}))
    assigned = {task.assignee_id for task in found if task.assignee_id is not None}
    users = {}
    if assigned:
        users = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(assigned)))}
    for task in found:
        set_committed_value(task, "assignee", users.get(task.assignee_id))
    return found


@functools.cache
def _open_of():
    return (
        sa.select(Task)
        .where(
            Task.instance_id == sa.bindparam("instance_id", type_=Task.instance_id.type), Task.state == OPEN
        )
        .order_by(Task.created_at)
        .options(lazyload(Task.assignee))
    )
