"""Who may see and control process instances. Routes and pages authorise with these; operations
assume the caller was authorised."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import Forbidden
from ..extensions import db
from ..identity import scopes
from .models import ProcessInstance, Task, task_candidates

# The tasks a user is involved in, in SQL: an instance is visible through them (visible_to below),
# and the worklist's rules are made of them (tasks/permissions.py).


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


def visible_to(user) -> sa.ColumnElement[bool]:
    """Instances a user may see: admins all; others those they started or have a task in."""
    if user.is_admin:
        return sa.true()
    involved = sa.exists().where(Task.instance_id == ProcessInstance.id, involved_in(user))
    return sa.or_(ProcessInstance.started_by_id == user.id, involved)


def require_visible(user, instance: ProcessInstance) -> None:
    if user.is_admin or instance.started_by_id == user.id:
        return
    if not db.session.scalar(
        sa.select(sa.exists().where(ProcessInstance.id == instance.id, visible_to(user)))
    ):
        raise Forbidden("You are not involved in this process instance.")


def may_control(user, instance) -> bool:
    """Suspend, resume, terminate, retry or message an instance: administrators and its starter."""
    return user.is_admin or instance.started_by_id == user.id


def require_instance_control(user, instance) -> None:
    if not may_control(user, instance):
        raise Forbidden("Only an administrator or the user who started this instance may do this.")


def require_message_sender(user, name: str) -> None:
    """403 unless the caller may send the message `name` at all: a scoped token needs
    `messages:<name>` (identity/scopes.py). Which instances it reaches is may_message's."""
    scopes.require(user, scopes.MESSAGES, name)


def may_message(user, instance, name: str) -> bool:
    """Whether a caller may deliver the message `name` to an instance (POST /messages): the rule
    of the instance's own message route (may_control), and a scoped token's `messages:<name>`.
    messageable_by is the same rule in SQL and must stay in step with it."""
    return may_control(user, instance) and scopes.allows(user, scopes.MESSAGES, name)


def messageable_by(user, name: str) -> sa.ColumnElement[bool]:
    """may_message in SQL: the instances a correlation of the message `name` may reach."""
    if not scopes.allows(user, scopes.MESSAGES, name):
        return sa.false()
    if user.is_admin:
        return sa.true()
    return ProcessInstance.started_by_id == user.id
