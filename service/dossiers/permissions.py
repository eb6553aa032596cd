"""Who may see, receive and withdraw dossiers: the rule for one dossier and in SQL for lists, side
by side. Routes and pages authorise with these; operations assume the caller was authorised."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import Forbidden, NotFound
from ..identity import operations as identity
from ..identity import scopes, tree
from ..instances import operations as instances
from ..instances import permissions as instance_permissions
from ..instances.models import ProcessInstance
from ..procedures import operations as procedures
from ..procedures.models import Procedure
from ..tasks.models import Task
from ..tasks.permissions import involved_in
from .models import Dossier

REPORTS_GROUP = "reports"


def sees_all(user) -> bool:
    """Administrators and the provincial reporting group ('reports': the office that controls
    administrative procedures, KSTTHC) read every dossier and every unit's indicators."""
    return bool(user.is_admin or REPORTS_GROUP in user.group_names)


def units_of(user) -> list[str]:
    """The codes of the officer's unit and of every unit below it (none without a known unit)."""
    if not getattr(user, "unit", None):
        return []
    try:
        return tree.subtree(user.unit)
    except NotFound:
        return []


def in_units(codes) -> sa.ColumnElement[bool]:
    """SQL: the dossiers of these org units: received by one of them (its national code numbers
    them) or of a procedure one of them handles (the catalogue's agency)."""
    codes = list(codes)
    if not codes:
        return sa.false()
    known = identity.units()
    nationals = [known[code].national_code for code in codes if code in known and known[code].national_code]
    handled = sa.select(Procedure.id).where(Procedure.unit_code.in_(codes))
    return sa.or_(Dossier.unit_code.in_(nationals), Dossier.procedure_id.in_(handled))


def of_units(dossier: Dossier, codes) -> bool:
    """`in_units` for one dossier."""
    known = identity.units()
    nationals = {known[code].national_code for code in codes if code in known}
    return dossier.unit_code in nationals or dossier.procedure.unit_code in set(codes)


def require_visible(user, dossier: Dossier) -> None:
    """Admins and the reporting group; officers of its receiving unit or of the agency handling
    its procedure, or of a unit above either (their indicators count it); and anyone involved in
    its process (a candidate of one of its tasks in the task's unit, its assignee or the officer
    who completed it)."""
    if sees_all(user) or of_units(dossier, units_of(user)):
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
    if sees_all(user):
        return sa.true()
    own_unit = in_units(units_of(user))
    # Correlated EXISTS (probing the instance's tasks by index) rather than IN lists the database
    # would rebuild for every query.
    started = sa.exists().where(
        ProcessInstance.id == Dossier.instance_id, ProcessInstance.started_by_id == user.id
    )
    involved = sa.exists().where(Task.instance_id == Dossier.instance_id, involved_in(user))
    return sa.or_(own_unit, started, involved)
