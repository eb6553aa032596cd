"""Who may see and control process instances. Routes and pages authorise with these; operations
assume the caller was authorised."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import Forbidden
from ..extensions import db
from ..tasks.models import Task
from ..tasks.permissions import involved_in
from .models import ProcessInstance


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


def require_instance_control(user, instance) -> None:
    if not (user.is_admin or instance.started_by_id == user.id):
        raise Forbidden("Only an administrator or the user who started this instance may do this.")
