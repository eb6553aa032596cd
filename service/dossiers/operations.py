"""Dossiers: reception, status kept in step with the process, the clock, and the steps of Mẫu 05.

A dossier follows its process instance: after every engine step, `follow_step` reads the
BPMN properties of the elements that completed and the tasks that opened (`dossierStatus`,
`clock`, `allotment`) and updates the dossier in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from .. import sla
from ..audit.operations import fact, record
from ..calendar.operations import calendar
from ..definitions import operations as definitions
from ..errors import Forbidden, NotFound, Unprocessable
from ..extensions import db
from ..identity.models import OrgUnit
from ..identity.operations import unit_name
from ..instances import operations as instances
from ..instances.models import ProcessInstance
from ..models_base import page_of, utcnow
from ..procedures import operations as procedures
from ..tasks.models import Task
from ..tasks.predicates import involved_in
from . import cccd, codes
from .models import CHANNELS, SLA_COLUMNS, Dossier, DossierStep

FINAL = {3, 7, 8, 10}


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"]))


def national_code_of(user) -> str | None:
    """The national code of the user's own unit, None when the user has no unit or it has none."""
    if user is None or not user.unit:
        return None
    return db.session.scalar(sa.select(OrgUnit.national_code).where(OrgUnit.code == user.unit))


def unit_code_of(actor) -> str:
    """The national unit code that numbers the dossiers an officer receives."""
    return national_code_of(actor) or current_app.config["MOTCUA_DEFAULT_UNIT_CODE"]


def applicant_from(data: dict) -> dict:
    """The applicant's details, filled from a CCCD QR string when one is given."""
    applicant = {k: v for k, v in data.items() if k != "cccd_qr" and v is not None}
    if data.get("cccd_qr"):
        try:
            applicant = {**cccd.parse(data["cccd_qr"]), **applicant}
        except cccd.CCCDInvalid as exc:
            raise Unprocessable(
                str(exc), code="cccd_invalid", details={"fields": {"applicant/cccd_qr": [str(exc)]}}
            ) from None
    if not applicant.get("name"):
        raise Unprocessable(
            "The applicant needs a name (or a CCCD QR string).",
            details={"fields": {"applicant/name": ["This field is required."]}},
        )
    return applicant


def receive(procedure_code: str, *, applicant: dict, channel: str, components: list[dict], actor) -> Dossier:
    """Open a dossier for a procedure of the catalogue and start its process (status 1)."""
    procedure = procedures.get(procedure_code, active_only=True)
    if channel not in CHANNELS:
        raise Unprocessable(f"The channel must be one of {', '.join(CHANNELS)}.")
    applicant = applicant_from(applicant)
    dossier_id = uuid.uuid4()
    # The service's own variables (system_variables): no form, start or message may set them.
    variables = {
        "dossier_id": str(dossier_id),
        "procedure_code": procedure.code,
        "procedure_name": procedure.name,
        "processing_days": float(procedure.processing_days),
        "channel": channel,
        "applicant": applicant,
        "components": components,
        # Set by completion_variables once the dossier is numbered (for the model's apology timer).
        "dossier_code": None,
        "due_at": None,
        "apology_at": "9999-12-31T00:00:00+00:00",
        # The org units whose officers handle the steps (the BPMN tasks' `unitVariable`): the
        # receiving officer's unit for the counter's steps, the procedure's agency for the rest.
        # A code no org unit has stops the instance with an incident when the task would open.
        "reception_unit": getattr(actor, "unit", None),
        "handling_unit": procedure.unit_code,
    }
    now = utcnow()
    dossier = Dossier(
        id=dossier_id,
        unit_code=unit_code_of(actor),
        procedure_id=procedure.id,
        procedure=procedure,
        applicant=applicant,
        channel=channel,
        components=components,
        status=1,
        submitted_at=now,
        created_by_id=actor.id,
        updated_at=now,
    )

    def attach(instance):  # the row must exist before the first engine step, for follow_step
        dossier.instance_id = instance.id
        db.session.add(dossier)
        db.session.flush()

    instances.start(
        definitions.get(procedure.process_key),
        business_key=str(dossier_id),
        variables={},
        system_variables=variables,
        actor=actor,
        on_created=attach,
    )
    return dossier


def _status_changes(result, opened_rows) -> list[int]:
    statuses = [e["properties"].get("dossierStatus") for e in result.completed_elements]
    statuses += [row["properties"].get("dossierStatus") for row in opened_rows]
    return [int(s) for s in statuses if s]


def _allotment(dossier: Dossier, element_id: str, properties: dict) -> float | None:
    value = (dossier.procedure.step_allotments or {}).get(element_id) or properties.get("allotment")
    try:
        days = float(value) if value else None
    except ValueError:
        return None
    # Out of the statutory range (refused at deploy and in the catalogue since; older data): none.
    if days is None or not 0 < days <= current_app.config["MOTCUA_MAX_ALLOTMENT_DAYS"]:
        return None
    return days


def _register(dossier: Dossier, instance: ProcessInstance, now: datetime) -> None:
    """Status 2: number the dossier, start the clock, fix the due date."""
    cal = calendar()
    dossier.received_at = now
    dossier.clock_started_at = cal.reception_start(now)
    dossier.due_at = dossier.original_due_at = cal.add_working_days(
        dossier.clock_started_at, float(dossier.procedure.processing_days)
    )
    dossier.code = codes.next_code(dossier.unit_code, _local(now).date())
    instance.business_key = dossier.code


def _set_status(dossier: Dossier, instance: ProcessInstance, status: int, now: datetime) -> None:
    if status == 2 and dossier.code is None:
        _register(dossier, instance, now)
    if status == 9 or (status in FINAL and dossier.finished_at is None):
        dossier.finished_at = now
        if dossier.due_at is not None:
            dossier.verdict = calendar().dossier_verdict(dossier.due_at, now)
    if status == 10:
        dossier.returned_at = now
    dossier.status = status


def _pause(dossier: Dossier, now: datetime) -> None:
    if dossier.paused_at is None:
        dossier.paused_at = now
        dossier.supplement_requests += 1


def _resume(dossier: Dossier, now: datetime) -> bool:
    """End a pause: the due date moves by the paused working time. True if it moved."""
    if dossier.paused_at is None:
        return False
    cal = calendar()
    paused = max(cal.working_days_between(dossier.paused_at, now), 0.0)
    dossier.paused_days += paused
    moved = dossier.due_at is not None and paused > 0
    if moved:
        dossier.due_at = cal.add_working_days(dossier.due_at, paused)
    dossier.paused_at = None
    return moved


def _move_apology(dossier: Dossier, instance, now: datetime) -> None:
    """The due date moved: the waiting apology timer must fire one working day before the new one."""
    from .. import runtime

    inputs = runtime.inputs(instance.definition_id)
    rearmed = runtime.engine().rearm_timers(
        inputs.definition,
        instance.engine_state,
        completion_variables(None, instance),
        now=now,
        units=inputs.units,
        calendar=inputs.calendar,
    )
    instance.engine_state = rearmed.state
    instance.next_timer_at = rearmed.next_timer_at


def _step_unit(task) -> str | None:
    """Who handled a step on Mẫu 05: the task's org unit by name, else its lane or groups."""
    if task.unit:
        return unit_name(task.unit)[:255]
    return task.lane or ", ".join(task.candidate_groups or []) or None


def _step(dossier: Dossier, task, *, actor_name: str | None, outcome: str, now: datetime) -> None:
    cal = calendar()
    allotted = _allotment(dossier, task.element_id, task.properties or {})
    used = cal.working_days_between(task.created_at, now)
    db.session.add(
        DossierStep(
            dossier_id=dossier.id,
            task_id=task.id,
            element_id=task.element_id,
            name=task.name,
            unit=_step_unit(task),
            actor=actor_name,
            started_at=task.created_at,
            ended_at=now,
            allotted_days=allotted,
            used_days=round(used, 4),
            verdict=cal.verdict(allotted, used) if allotted else None,
            outcome=outcome,
        )
    )


def _dossier_of(instance, variables: dict | None) -> Dossier | None:
    """The dossier an instance drives, without a query for instances that drive none.

    Dossier instances carry `dossier_id` in their data; the row must point back at the instance,
    so data submitted in a form can never reach another dossier.
    """
    ref = (variables or {}).get("dossier_id") or (instance.variables or {}).get("dossier_id")
    if not isinstance(ref, str):
        return None
    try:
        dossier = db.session.get(Dossier, uuid.UUID(ref))
    except ValueError:
        return None
    return dossier if dossier is not None and dossier.instance_id == instance.id else None


def follow_step(instance, result, rows, completed_task, actor, now) -> None:
    """STEP_LISTENERS hook: keep a dossier in step with its process instance."""
    dossier = _dossier_of(instance, result.variables)
    if dossier is None:
        return
    before = dossier.status
    due_moved = False
    if completed_task is not None:
        _step(
            dossier,
            completed_task,
            actor_name=actor.username if actor else None,
            outcome="completed",
            now=now,
        )
        if (completed_task.properties or {}).get("clock") == "paused":
            due_moved = _resume(dossier, now)
    if result.closed:
        cancelled = db.session.scalars(
            sa.select(Task).where(Task.id.in_([uuid.UUID(t) for t in result.closed]))
        )
        for task in cancelled:
            _step(dossier, task, actor_name=None, outcome="cancelled", now=now)
            if (task.properties or {}).get("clock") == "paused":
                due_moved = _resume(dossier, now) or due_moved
    if due_moved and instance.next_timer_at is not None:
        _move_apology(dossier, instance, now)
    for status in _status_changes(result, rows):
        _set_status(dossier, instance, status, now)
    cal = calendar()
    for row in rows:
        allotted = _allotment(dossier, row["element_id"], row["properties"])
        if allotted:
            row["due_at"] = cal.add_working_days(now, allotted)
        if row["properties"].get("clock") == "paused":
            _pause(dossier, now)
    if instance.state == "terminated" and dossier.status not in FINAL:
        _set_status(dossier, instance, 8, now)
    dossier.updated_at = now
    if dossier.status != before:
        record(
            [
                fact(
                    "dossier_status_changed",
                    at=now,
                    actor=actor,
                    instance_id=instance.id,
                    data={"from": before, "to": dossier.status, "code": dossier.code},
                )
            ]
        )


def completion_variables(task, instance) -> dict:
    """COMPLETION_VARIABLES hook: the dossier's due date and apology moment, for the model's timer."""
    dossier = _dossier_of(instance, None)
    if dossier is None or dossier.due_at is None:
        return {}
    apology_at = calendar().subtract_working_days(dossier.due_at, 1)
    return {
        "dossier_code": dossier.code,
        "due_at": dossier.due_at.isoformat(),
        "apology_at": apology_at.isoformat(),
    }


def find(ref: str) -> Dossier:
    """A dossier by its code, or by its id before it is registered."""
    query = sa.select(Dossier)
    try:
        query = query.where(sa.or_(Dossier.code == ref, Dossier.id == uuid.UUID(ref)))
    except ValueError:
        query = query.where(Dossier.code == ref)
    dossier = db.session.scalar(query)
    if dossier is None:
        raise NotFound(f"There is no dossier {ref!r}.")
    return dossier


def require_visible(user, dossier: Dossier) -> None:
    """Admins, officers of the receiving unit, and anyone involved in its process (a candidate of
    one of its tasks in the task's unit, its assignee or the officer who completed it)."""
    own = national_code_of(user)
    if user.is_admin or (own is not None and own == dossier.unit_code):
        return
    instance = instances.get(dossier.instance_id)
    try:
        instances.require_visible(user, instance)
    except Forbidden:
        raise Forbidden("This dossier belongs to another unit and you have no task in it.") from None


def visible_to(user) -> sa.ColumnElement[bool]:
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


def search(user, *, status=None, unit=None, procedure=None, overdue=None, page=1, per_page=50):
    conditions = [visible_to(user)]
    if status is not None:
        conditions.append(Dossier.status == status)
    if unit:
        conditions.append(Dossier.unit_code == unit)
    if procedure:
        conditions.append(
            Dossier.procedure_id.in_(
                sa.select(procedures.Procedure.id).where(procedures.Procedure.code == procedure)
            )
        )
    if overdue is not None:
        late = sla.condition(sla.Sla.LATE, sla.Window.at(utcnow(), calendar()), SLA_COLUMNS)
        conditions.append(late if overdue else sa.not_(late))
    return page_of(Dossier, sa.and_(*conditions), (Dossier.submitted_at.desc(),), page, per_page)


def steps(dossier: Dossier) -> list[DossierStep]:
    return list(
        db.session.scalars(
            sa.select(DossierStep).where(DossierStep.dossier_id == dossier.id).order_by(DossierStep.id)
        )
    )


def current_tasks(dossier: Dossier) -> list[Task]:
    return instances.open_tasks(dossier.instance_id)


def withdraw(dossier: Dossier, *, reason: str | None, actor) -> None:
    """The applicant withdraws the dossier: the process's withdrawal message is delivered."""
    instance = instances.get(dossier.instance_id, with_state=True)
    instances.deliver_message(
        instance, "withdrawal", {"withdrawal_reason": reason}, actor=actor, expected_version=None
    )


def init() -> None:
    """Register the dossier hooks on process instances (called once by create_app)."""
    if follow_step not in instances.STEP_LISTENERS:
        instances.STEP_LISTENERS.append(follow_step)
    if completion_variables not in instances.COMPLETION_VARIABLES:
        instances.COMPLETION_VARIABLES.append(completion_variables)


RECEPTION_GROUP = "reception"


def require_reception(user) -> None:
    """Receiving and withdrawing dossiers: one-stop-shop officers (group 'reception') and admins."""
    if not (user.is_admin or RECEPTION_GROUP in user.group_names):
        raise Forbidden("Only one-stop-shop officers (group 'reception') may receive or withdraw dossiers.")
