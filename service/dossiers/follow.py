"""Stages of the step pipeline (service/steps.py) that keep a dossier in step with its process.

- `find_dossier`: the dossier the instance drives, if any (later stages read `step.dossier`);
- `record_steps`: each task the step completed or cancelled becomes a step of Mẫu 05 with its
  verdict against its allotment; a completed or cancelled wait for the applicant (`clock=paused`)
  restarts the clock, the due moment moving by the paused working time (and the parked apology
  timer is given the new moment: a follow-up command); an apology's new appointment, kept once,
  is announced in the outbox (`dossier.reappointed`: the applicant is told, service/notifications);
- `record_facts`: what the process's data says for the QĐ 766 index (digitised, electronic
  result, fee payment: see the function);
- `move_status`: the `dossierStatus` of the elements that completed and of the tasks that opened
  moves the status (status 2 numbers the dossier and starts its clock; a move the statuses do not
  allow is refused and audited); `dossierOutcome` says how the handling ends (approved, refused,
  stopped, withdrawn, guided, not received: dossiers/status.py); a task that opens with
  `clock=paused` pauses the clock and
  disarms the apology timer (a follow-up command: no apology while the applicant has the dossier);
  a terminated instance stops the dossier.

`timer_variables` is what the service adds to every completion of a dossier's task: its code, due
and apology moments, for the model's apology timer (service/stages.py lists it).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import lazyload

from .. import deadlines, uow
from ..audit.operations import fact
from ..calendar.operations import calendar
from ..extensions import db
from ..identity.operations import unit_name
from ..instances.models import ProcessInstance
from ..outbox import operations as outbox
from ..steps import FollowUp, Step
from ..tasks.models import OPEN, Task
from . import codes, lookup, reappoint
from .models import PAID, PAYMENTS, Dossier, DossierPause, DossierStep, Payment
from .status import CLOSING_OUTCOMES, OUTCOMES, DossierStatus, may_move, parse

log = logging.getLogger(__name__)


def find_dossier(step: Step) -> None:
    """The dossier an instance drives, without a query for instances that drive none.

    Dossier instances carry `dossier_id` in their data; the row must point back at the instance,
    so data submitted in a form can never reach another dossier.
    """
    step.dossier = dossier_of(step.instance, step.result.variables)


def read_with_task():
    """The dossier an instance drives, read with a task about to be completed (steps.Pipeline's
    `completion_reads`): `dossier_of` then finds it without a query. Its procedure version is not
    read with it: the read seeds it into the session from the rows the process keeps
    (service/frozen.py)."""
    options = (lazyload(Dossier.procedure),)
    return Dossier, Dossier.instance_id == ProcessInstance.id, options


def dossier_of(instance, variables: dict | None) -> Dossier | None:
    ref = (variables or {}).get("dossier_id") or (instance.variables or {}).get("dossier_id")
    if not isinstance(ref, str):
        return None
    try:
        dossier = db.session.get(Dossier, uuid.UUID(ref))
    except ValueError:
        return None
    if dossier is None or dossier.instance_id != instance.id:
        return None
    uow.keep(dossier)  # read again by the step's stages after the completion's inputs: no new query
    return dossier


def record_steps(step: Step) -> None:
    dossier, now = step.dossier, step.now
    if dossier is None:
        return
    resumed = False
    kind = deadlines.day_kind(step.instance, dossier)
    if step.completed_task is not None:
        task = step.completed_task
        actor = step.actor.username if step.actor else None
        _record(step, dossier, task, actor_name=actor, outcome="completed", kind=kind)
        if reappoint.record(dossier, task, step.result.variables or {}, now):
            appointed = dossier.appointed_at.isoformat()
            payload = {"dossier_id": str(dossier.id), "code": dossier.code, "appointed_at": appointed}
            step.events.append(outbox.Event("dossier.reappointed", payload, step.instance.id))
        resumed = (task.properties or {}).get("clock") == "paused" and _resume(dossier, now, task.id)
    if step.result.closed:
        cancelled = db.session.scalars(
            sa.select(Task).where(Task.id.in_([uuid.UUID(t) for t in step.result.closed]))
        )
        for task in cancelled:
            _record(step, dossier, task, actor_name=None, outcome="cancelled", kind=kind)
            if (task.properties or {}).get("clock") == "paused":
                resumed = _resume(dossier, now) or resumed
    if resumed:  # the parked apology timer gets the moved due moment
        reason = f"the clock of dossier {dossier.code} restarted after a pause"
        step.follow_ups.append(FollowUp("rearm_timers", timer_variables(None, step.instance), reason))


def move_status(step: Step) -> None:
    dossier, instance, now = step.dossier, step.instance, step.now
    if dossier is None:
        return
    before = dossier.status
    for value in _status_changes(step.result, step.rows):
        status = parse(value)
        if status is None or not may_move(dossier.status, status):
            _refuse(step, dossier, value)
            continue
        _set_status(dossier, instance, status, now)
    paused = False
    for row in step.rows:
        if row["properties"].get("clock") == "paused":
            paused = _pause(dossier, now) or paused
    if paused and instance.next_timer_at is not None:
        # No apology while the applicant has the dossier: the waiting apology timer is disarmed
        # until the clock restarts (record_steps then gives it the moved due moment).
        reason = f"dossier {dossier.code} waits for the applicant: no apology while paused"
        step.follow_ups.append(FollowUp("rearm_timers", timer_variables(None, instance), reason))
    for value in _outcomes(step.result, step.rows):
        _set_outcome(step, dossier, value, now)
    if instance.state == "terminated" and not DossierStatus(dossier.status).final:
        _set_status(dossier, instance, DossierStatus.STOPPED, now)
        if dossier.outcome is None:
            dossier.outcome = "stopped"
    dossier.updated_at = now
    if dossier.status != before:
        data = {"from": before, "to": dossier.status, "code": dossier.code}
        step.audit.append(
            fact("dossier_status_changed", at=now, actor=step.actor, instance_id=instance.id, data=data)
        )
        payload = {**data, "dossier_id": str(dossier.id)}
        step.events.append(outbox.Event("dossier.status_changed", payload, instance.id))


def record_facts(step: Step) -> None:
    """Note on the dossier what its process's data says about the index: every component
    digitised (`all_components_digitised`, the digitise form: the first moment it was seen), the
    result issued electronically and signed (`e_result_signed`, which the service finds on the result
    step's PDFs: attachments/signing.py) and how
    the fee was paid (`fee_payment`: the paid fee recorded in `payments` says it, service/payments;
    the return form only for a dossier without one). Values of another type are ignored."""
    dossier = step.dossier
    if dossier is None:
        return
    data = step.result.variables or {}
    if data.get("all_components_digitised") is True and dossier.digitised_at is None:
        dossier.digitised_at = step.now
    if isinstance(data.get("e_result_signed"), bool):
        dossier.e_result = data["e_result_signed"]
    said = data.get("fee_payment")
    if said in PAYMENTS and said != dossier.fee_payment and _fee_said_by_form(dossier):
        dossier.fee_payment = said


def _fee_said_by_form(dossier: Dossier) -> bool:
    """Whether the return form may say how the fee was paid: only when no paid fee is recorded and
    the procedure collects none through the process (`payments`, service/payments, is the one
    record of a fee paid; its channel is the dossier's `fee_payment`)."""
    if dossier.procedure is not None and dossier.procedure.fee_amount:
        return False
    paid = sa.select(Payment.id).where(
        Payment.dossier_id == dossier.id, Payment.purpose == "fee", Payment.state == PAID
    )
    return db.session.scalar(paid.limit(1)) is None


def timer_variables(task, instance) -> dict:
    """The dossier's code, due and apology moments, added to every completion of its tasks. While
    the dossier waits for the applicant (its clock paused), and for good once an apology made the
    one re-appointment allowed (dossiers/reappoint.py), there is no apology moment: the model's
    apology timer is parked (a date timer given None waits without a moment)."""
    dossier = dossier_of(instance, None)
    if dossier is None or dossier.due_at is None:
        return {}
    parked = dossier.paused_at is not None or dossier.apologised_at is not None
    return {
        "dossier_code": dossier.code,
        "due_at": dossier.due_at.isoformat(),
        "apology_at": None
        if parked
        else deadlines.apology_due(
            dossier.due_at, calendar(), dossier.clock_started_at, dossier.paused_days or 0.0
        ).isoformat(),
    }


def check_completion(task, instance, variables: dict) -> None:
    """What the service checks of a dossier task's completion before the engine runs it, beyond
    its form: the apology's new appointment (dossiers/reappoint.py)."""
    if reappoint.is_apology(task):
        reappoint.check(dossier_of(instance, None), task, variables)


def _status_changes(result, opened_rows) -> list:
    statuses = [e["properties"].get("dossierStatus") for e in result.completed_elements]
    statuses += [row["properties"].get("dossierStatus") for row in opened_rows]
    return [s for s in statuses if s]


def _outcomes(result, opened_rows) -> list:
    outcomes = [e["properties"].get("dossierOutcome") for e in result.completed_elements]
    outcomes += [row["properties"].get("dossierOutcome") for row in opened_rows]
    return [o for o in outcomes if o]


def _set_outcome(step: Step, dossier: Dossier, value: str, now: datetime) -> None:
    """The model says how the handling ends (`dossierOutcome`): kept once set; an unknown value is
    refused and audited like a status the statuses do not allow. A guided dossier (never
    registered, still status 1) is finished now."""
    if value not in OUTCOMES or (dossier.outcome is not None and dossier.outcome != value):
        message = f"dossier outcome {dossier.outcome!r} cannot become {value!r}; it is kept"
        log.warning("dossier %s: %s", dossier.code or dossier.id, message)
        data = {"from": dossier.outcome, "to": str(value), "code": dossier.code}
        step.audit.append(
            fact("dossier_outcome_refused", at=now, instance_id=step.instance.id, message=message, data=data)
        )
        return
    dossier.outcome = value
    if value in CLOSING_OUTCOMES and dossier.finished_at is None:
        dossier.finished_at = now


def _refuse(step: Step, dossier: Dossier, value) -> None:
    """A model asked for a status that does not exist or a move the statuses do not allow."""
    message = f"dossier status {dossier.status} cannot move to {value!r}; the status is kept"
    log.warning("dossier %s: %s", dossier.code or dossier.id, message)
    data = {"from": dossier.status, "to": str(value), "code": dossier.code}
    step.audit.append(
        fact("dossier_status_refused", at=step.now, instance_id=step.instance.id, message=message, data=data)
    )


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"]))


def _register(dossier: Dossier, instance, now: datetime) -> None:
    """Status 2: number the dossier, start the clock, fix the due moment."""
    cal = calendar()
    dossier.received_at = now
    dossier.clock_started_at = cal.reception_start(now)
    dossier.due_at = dossier.original_due_at = deadlines.dossier_due(
        dossier.clock_started_at,
        float(dossier.procedure.processing_days),
        cal,
        deadlines.day_kind(instance, dossier),
    )
    day = _local(now).date()
    dossier.code = codes.next_code(dossier.unit_code, day)
    dossier.register_book, dossier.register_number = codes.next_register_line(dossier.unit_code, day)
    dossier.lookup_pin = lookup.new_pin()
    instance.business_key = dossier.code


def _set_status(dossier: Dossier, instance, status: DossierStatus, now: datetime) -> None:
    if status == DossierStatus.RECEIVED and dossier.code is None:
        _register(dossier, instance, now)
    if status == DossierStatus.DONE or (status.final and dossier.finished_at is None):
        dossier.finished_at = now
        if dossier.due_at is not None:
            dossier.verdict = calendar().dossier_verdict(dossier.due_at, now)
        if dossier.clock_started_at is not None:  # the working days it took, pauses excluded
            used = calendar().working_days_between(dossier.clock_started_at, now) - dossier.paused_days
            dossier.worked_days = round(max(used, 0.0), 4)
    if status == DossierStatus.RETURNED:
        dossier.returned_at = now
    dossier.status = int(status)


def _pause(dossier: Dossier, now: datetime) -> bool:
    """Stop the clock at the moment of the request and keep the pause (`dossier_pauses`, its kind
    from the status the step set: 6 a financial obligation, else a supplement); True if it was
    running."""
    if dossier.paused_at is not None:
        return False
    dossier.paused_at = now
    kind = "financial" if dossier.status == DossierStatus.FINANCIAL else "supplement"
    if kind == "supplement":
        dossier.supplement_requests += 1
    db.session.add(DossierPause(dossier_id=dossier.id, kind=kind, started_at=now))
    return True


def _resume(dossier: Dossier, now: datetime, completed: uuid.UUID | None = None) -> bool:
    """End a pause: the due moment, and that of every step left open across the pause, moves by
    the paused working time. True if a pause ended. `completed`: the task this step completed
    (still open in the database until the step's writes where its row was locked at its read:
    tasks.queries.locked), which is no step left open."""
    if dossier.paused_at is None:
        return False
    cal = calendar()
    paused = max(cal.working_days_between(dossier.paused_at, now), 0.0)
    dossier.paused_days += paused
    if dossier.due_at is not None and paused > 0:
        dossier.due_at = deadlines.resumed_due(dossier.due_at, paused, cal)
    if paused > 0:
        held = db.session.scalars(
            sa.select(Task).where(
                Task.instance_id == dossier.instance_id,
                Task.state == OPEN,
                Task.due_at.is_not(None),
                Task.created_at <= dossier.paused_at,
                Task.id != completed if completed is not None else sa.true(),
            )
        )
        for task in held:  # the step's clock stopped with the dossier's
            task.due_at = deadlines.resumed_due(task.due_at, paused, cal)
    dossier.paused_at = None
    db.session.execute(
        sa.update(DossierPause)
        .where(DossierPause.dossier_id == dossier.id, DossierPause.ended_at.is_(None))
        .values(ended_at=now, working_days=round(paused, 4), due_after=dossier.due_at)
    )
    return True


def _step_unit(task) -> str | None:
    """Who handled a step on Mẫu 05: the task's org unit by name, else its lane or groups."""
    if task.unit:
        return unit_name(task.unit)[:255]
    return task.lane or ", ".join(task.candidate_groups or []) or None


def _record(step: Step, dossier: Dossier, task, *, actor_name: str | None, outcome: str, kind: str) -> None:
    """The task's step on Mẫu 05, inserted with the step's other rows (service/inserts.py)."""
    cal, now = calendar(), step.now
    max_days = current_app.config["MOTCUA_MAX_ALLOTMENT_DAYS"]
    share = deadlines.allotment(
        task.element_id, task.properties or {}, dossier.procedure.step_allotments, max_days
    )
    # A round of a step that opened before is allotted what remained of its share (deadlines.py).
    allotted = deadlines.remaining(share, dossier.used_before(task.element_id, task.created_at))
    used = deadlines.days_between(cal, task.created_at, now, kind)  # in the kind it was allotted
    if share is not None:
        dossier.record_use(task.element_id, task.created_at, round(used, 4))
    row = {
        "dossier_id": dossier.id,
        "task_id": task.id,
        "element_id": task.element_id,
        "name": task.name,
        "unit": _step_unit(task),
        "actor": actor_name,
        "started_at": task.created_at,
        "ended_at": now,
        "allotted_days": allotted,
        "used_days": round(used, 4),
        "verdict": cal.verdict(allotted, used) if allotted is not None else None,
        "outcome": outcome,
    }
    step.insert(DossierStep.__table__, [row])
