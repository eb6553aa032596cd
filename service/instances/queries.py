"""The instances' reads: their states, how many are in each (the pages); the instances waiting
for a message (POST /messages).

(Which instances a user may see, a page of them and their open tasks are still read in
operations.py: they join the task projection, and instances.operations is the one module of the
instances ↔ tasks circle that pyproject.toml lets import it.)
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from ..extensions import db
from .models import STATES, MessageWait, ProcessInstance

__all__ = ["STATES", "state_counts", "waiting_for"]

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
