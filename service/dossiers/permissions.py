"""Who may see, receive and withdraw dossiers: the rule for one dossier and in SQL for lists, side
by side. Routes and pages authorise with these; operations assume the caller was authorised."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import Forbidden, NotFound
from ..identity import scopes
from ..instances import operations as instances
from ..instances import permissions as instance_permissions
from ..instances.models import ProcessInstance
from ..procedures import operations as procedures
from ..tasks.models import Task
from ..tasks.permissions import involved_in
from .models import Dossier
from .operations import national_code_of


def require_visible(user, dossier: Dossier) -> None:
    """Admins, officers of the receiving unit, and anyone involved in its process (a candidate of
    one of its tasks in the task's unit, its assignee or the officer who completed it)."""
    own = national_code_of(user)
    if user.is_admin or (own is not None and own == dossier.unit_code):
        return
    instance = instances.get(dossier.instance_id)
    try:
        instance_permissions.require_visible(user, instance)
    except Forbidden:
        raise Forbidden("This dossier belongs to another unit and you have no task in it.") from None


RECEPTION_GROUP = "reception"


def require_reception(user) -> None:
    """Receiving and withdrawing dossiers: one-stop-shop officers (group 'reception') and admins."""
    if not (user.is_admin or RECEPTION_GROUP in user.group_names):
        raise Forbidden("Only one-stop-shop officers (group 'reception') may receive or withdraw dossiers.")


def require_receiver(user, procedure_code: str) -> None:
    """A system's token receives dossiers of a procedure with the scope start:<its process key>
    (an unknown or withdrawn procedure is left to the operation's 404/422)."""
    if getattr(user, "scopes", None) is None:
        return
    try:
        process_key = procedures.get(procedure_code).process_key
    except NotFound:
        return
    scopes.require(user, scopes.START, process_key)


def visible_to(user) -> sa.ColumnElement[bool]:
    """The dossiers a user may see (the rule of require_visible, in SQL)."""
    if user.is_admin:
        return sa.true()
    own = national_code_of(user)
    own_unit = Dossier.unit_code == own if own is not None else sa.false()
    # Correlated EXISTS (probing the instance's tasks by index) rather than IN lists the database
    # would rebuild for every query.
    started = sa.exists().where(
        ProcessInstance.id == Dossier.instance_id, ProcessInstance.started_by_id == user.id
    )
    involved = sa.exists().where(Task.instance_id == Dossier.instance_id, involved_in(user))
    return sa.or_(own_unit, started, involved)
