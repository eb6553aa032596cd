"""Asynchronous work: service-task calls with retries and incidents, due timers, the SLA watch,
the daily housekeeping.

Every function here runs one unit of work in its own transactions and is safe to run on
any number of workers at once: a call is claimed with a compare-and-set lease (a worker
killed mid-call leaves it to be claimed again once the lease expires), the instance row is
written under its optimistic version, and every remote call carries an idempotency key
(one per service task), so a retried call never applies twice on the remote side.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from .. import runtime, steps
from ..attachments import inline as attachments
from ..audit.operations import fact, record
from ..engine import TaskNotReady
from ..extensions import db
from ..instances import operations as instances
from ..instances.models import ProcessInstance
from ..models_base import utcnow
from ..outbox import operations as outbox
from ..uow import unit_of_work
from . import queue
from .models import DONE, FAILED, PENDING, RUNNING, ServiceCall, WorkerHeartbeat

log = logging.getLogger(__name__)
CANCELLED = "cancelled"


# --- running a call ---------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["MOTCUA_LEASE_SECONDS"])


def claim_call(call_id: int, now: datetime) -> ServiceCall | None:
    """Take a due call (or one whose worker died) for this worker; None if someone else has it."""
    table = ServiceCall.__table__
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(table)
            .where(
                table.c.id == call_id,
                sa.or_(
                    sa.and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
                    sa.and_(table.c.state == RUNNING, table.c.lease_until < now),
                ),
            )
            .values(state=RUNNING, lease_until=now + _lease(), attempts=table.c.attempts + 1, updated_at=now)
        ).rowcount
    return db.session.get(ServiceCall, call_id) if claimed else None


def _finish(call: ServiceCall, result: dict) -> str:
    """Hand the result to the instance and mark the call done, in one unit of work."""
    for _ in range(5):  # a concurrent writer on the instance: read it again and reapply
        try:
            with unit_of_work() as unit:
                outcome, instance = _apply(call, result, utcnow())
                if outcome != DONE and outcome != CANCELLED:
                    unit.abort()  # keep nothing: the call is someone else's, or must wait
            return _park(call, instance) if outcome == "park" else outcome
        except StaleDataError:
            continue
    raise RuntimeError(f"service call {call.id}: the instance kept changing; will be retried")


def _apply(call: ServiceCall, result: dict, now: datetime) -> tuple[str, ProcessInstance | None]:
    table = ServiceCall.__table__
    done = db.session.execute(
        sa.update(table)
        .where(table.c.id == call.id, table.c.state == RUNNING, table.c.attempts == call.attempts)
        .values(state=DONE, result=result, lease_until=None, last_error=None, updated_at=now)
    ).rowcount
    if not done:  # our lease expired and another worker finished it
        return "taken", None
    instance = instances.get(call.instance_id, with_state=True)
    if instance.state != "running":
        return "park", instance
    inputs = runtime.inputs(instance.definition_id)
    try:
        step = runtime.engine().complete_service_task(
            inputs.definition,
            instance.engine_state,
            str(call.task_id),
            result,
            now=now,
            units=inputs.units,
            calendar=inputs.calendar,
        )
    except TaskNotReady:
        db.session.execute(
            sa.update(table)
            .where(table.c.id == call.id)
            .values(state=CANCELLED, last_error="The task no longer waits for this call.")
        )
        return CANCELLED, instance
    audit = [
        fact(
            "service_task_completed",
            at=now,
            instance_id=instance.id,
            task_id=call.task_id,
            element_id=call.element_id,
            data={"operation": call.operation, "attempts": call.attempts},
        )
    ]
    steps.persist(instance, step, actor=None, now=now, audit=audit)
    return DONE, instance


def _park(call: ServiceCall, instance: ProcessInstance) -> str:
    """The instance is not running: cancel the call if it ended, otherwise wait for it to resume."""
    table = ServiceCall.__table__
    if instance.state in ("completed", "terminated"):
        values = {"state": CANCELLED, "last_error": f"The instance is {instance.state}."}
    else:
        values = {
            "state": PENDING,
            "attempts": table.c.attempts - 1,
            "lease_until": None,
            "next_attempt_at": utcnow() + timedelta(seconds=30),
        }
    with unit_of_work():
        db.session.execute(sa.update(table).where(table.c.id == call.id).values(**values))
    return values["state"]


def _fail(call: ServiceCall, error: str, retryable: bool) -> str:
    now = utcnow()
    table = ServiceCall.__table__
    if retryable and call.attempts < call.max_attempts:
        delay = call.backoff_seconds * (2 ** (call.attempts - 1))
        values = {"state": PENDING, "next_attempt_at": now + timedelta(seconds=delay)}
        outcome = PENDING
    else:
        values = {"state": FAILED}
        outcome = FAILED
    with unit_of_work() as unit:
        still_ours = db.session.execute(
            sa.update(table)
            .where(table.c.id == call.id, table.c.state == RUNNING, table.c.attempts == call.attempts)
            .values(lease_until=None, last_error=error[:2000], updated_at=now, **values)
        ).rowcount
        if not still_ours:  # our lease ran out and another worker took the call over
            unit.abort()
            return "taken"
        if outcome == FAILED:
            _open_incident(call, error, now)
    return outcome


def _open_incident(call: ServiceCall, error: str, now: datetime) -> None:
    """The call's retries ran out: an incident, in the audit and the outbox."""
    data = {"operation": call.operation, "attempts": call.attempts, "call_id": call.id}
    record(
        [
            fact(
                "incident_opened",
                at=now,
                instance_id=call.instance_id,
                task_id=call.task_id,
                element_id=call.element_id,
                message=error[:2000],
                data=data,
            )
        ]
    )
    incident = {"call_id": call.id, "element_id": call.element_id, "error": error[:2000]}
    outbox.emit("incident.raised", incident, instance_id=call.instance_id)


def run_call(call_id: int) -> str:
    """Claim a call, call its connector, and hand the result over (or schedule a retry)."""
    from integrations import ConnectorError

    call = claim_call(call_id, utcnow())
    if call is None:
        return "skipped"
    connectors = current_app.extensions["motcua.connectors"]
    try:
        params = attachments.inline(call.params)  # a file it sends, read now (attachments/inline.py)
    except attachments.AttachmentGone as exc:
        return _fail(call, f"{call.operation}: {exc}", retryable=False)
    try:
        result = connectors.call(call.operation, params, idempotency_key=call.idempotency_key)
    except ConnectorError as exc:
        return _fail(call, str(exc), exc.retryable)
    try:
        return _finish(call, result)
    except Exception as exc:  # e.g. data the engine cannot store: count it as an attempt, never loop
        log.exception("service call %s: the result could not be applied", call_id)
        return _fail(db.session.get(ServiceCall, call_id), f"{exc.__class__.__name__}: {exc}", retryable=True)


def answer_call(call_id: int, result: dict, now: datetime) -> str:
    """Hand a due call the answer its remote system would give, without calling it: the demo's
    history (service/demo) plays the systems it has no connector for. Claimed and finished as
    run_call does it ("skipped" if the call is not due or someone else has it)."""
    call = claim_call(call_id, now)
    if call is None:
        return "skipped"
    return _finish(call, result)


# --- timers, the SLA watch and the heartbeat ---------------------------------------------------


def fire_timers(instance_id, now: datetime) -> bool:
    """Fire the due timers of one instance (skipped if another worker holds it)."""
    query = sa.select(ProcessInstance.id).where(
        ProcessInstance.id == instance_id,
        ProcessInstance.state == "running",
        ProcessInstance.next_timer_at <= now,
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    try:
        with unit_of_work() as unit:
            if db.session.scalar(query) is None:
                unit.abort()
                return False
            instance = instances.get(instance_id, with_state=True)
            inputs = runtime.inputs(instance.definition_id)
            step = runtime.engine().fire_timers(
                inputs.definition,
                instance.engine_state,
                now=now,
                units=inputs.units,
                calendar=inputs.calendar,
            )
            audit = [fact("timers_fired", at=now, instance_id=instance.id)]
            steps.persist(instance, step, actor=None, now=now, audit=audit)
            if step.next_start is not None:
                _arm_next_repetition(instance, step.next_start)
    except StaleDataError:  # another worker fired them first
        return False
    return True


def _arm_next_repetition(instance, cycle: dict) -> None:
    """A timer start cycle fired with repetitions left: the next instance waits for the next one,
    if the instance's definition is still the latest version of its key (a new version arms its own)."""
    from ..definitions import operations as definitions

    if definitions.get(instance.definition.key).id == instance.definition_id:
        instances.arm_timer_start(instance.definition, None, cycle=cycle)


def due_work(now: datetime, *, limit: int = 200) -> tuple[list[int], list]:
    """Ids of the calls and instances with work due now."""
    table = ServiceCall.__table__
    calls = db.session.scalars(
        sa.select(table.c.id)
        .where(
            sa.or_(
                sa.and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
                sa.and_(table.c.state == RUNNING, table.c.lease_until < now),
            )
        )
        .order_by(table.c.next_attempt_at)
        .limit(limit)
    ).all()
    timers = db.session.scalars(
        sa.select(ProcessInstance.id)
        .where(ProcessInstance.state == "running", ProcessInstance.next_timer_at <= now)
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    ).all()
    db.session.rollback()  # a read: end its transaction (nothing was written)
    return list(calls), list(timers)


def heartbeat(name: str, now: datetime) -> None:
    with unit_of_work():
        row = db.session.get(WorkerHeartbeat, name)
        if row is None:
            db.session.add(WorkerHeartbeat(name=name, last_seen=now))
        else:
            row.last_seen = now


def watch_sla(now: datetime) -> dict:
    """Note the open tasks and dossiers that became due soon or late (service/sla.py's rule), each
    change once: the `sla` column keeps the class the watch last saw. Returns the counts."""
    from .. import sla
    from ..calendar.operations import calendar
    from ..dossiers.models import SLA_COLUMNS as DOSSIER_SLA
    from ..dossiers.models import Dossier
    from ..tasks.models import SLA_COLUMNS as TASK_SLA
    from ..tasks.models import Task

    window = sla.Window.at(now, calendar())
    counts = {}
    with unit_of_work():
        for model, columns in ((Task, TASK_SLA), (Dossier, DOSSIER_SLA)):
            table = model.__table__
            for klass in (sla.Sla.LATE, sla.Sla.DUE_SOON):
                counts[f"{table.name}_{klass}"] = db.session.execute(
                    sa.update(table)
                    .where(
                        columns.unfinished,
                        sla.condition(klass, window, columns),
                        sa.or_(table.c.sla.is_(None), table.c.sla != klass),
                    )
                    .values(sla=str(klass))
                ).rowcount
    return counts


LATE_LIST_DAY = 5  # the month's late list is stored on the 5th of the next month (reports)


def late_list_due(now: datetime) -> str | None:
    """Store the previous month's late list once it is due (from the 5th, local time; a list
    already stored is kept). Returns the month stored or kept, None before the 5th."""
    from zoneinfo import ZoneInfo

    from ..reports import operations as reports

    today = now.astimezone(ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])).date()
    if today.day < LATE_LIST_DAY:
        return None
    month = reports.previous_month(today)
    with unit_of_work():
        reports.generate(month)
    return month


def bundles_due(now: datetime, kinds: tuple[str, ...] = ("monthly", "quarterly")) -> list[str]:
    """Generate the report bundles whose period has ended (reports/bundles.py): the reporting
    month that ended on the 21st at midnight, the reporting quarter that ended on the 15th of the
    quarter's last month at midnight; each in its own unit of work, a bundle already stored kept
    (two workers racing: the unique period keeps one, the other's file is deleted with its
    rolled-back unit). Returns the periods stored or kept."""
    from sqlalchemy.exc import IntegrityError

    from ..reports import bundles

    done = []
    for kind in kinds:
        period = bundles.last_ended(kind, now)
        try:
            with unit_of_work():
                bundles.generate(kind, period)
        except IntegrityError:
            log.info("bundle %s was generated by another worker", period.key)
        done.append(period.key)
    return done


def housekeeping(now: datetime) -> dict:
    """The daily clean-up, in one unit of work: relayed outbox events, delivered webhook
    deliveries, sent or skipped notifications, sent status pushes to the national portal and done or
    cancelled external tasks older than MOTCUA_OUTBOX_RETENTION_DAYS, browser
    sessions ended MOTCUA_SESSION_RETENTION_DAYS ago and Idempotency-Key answers older than
    MOTCUA_IDEMPOTENCY_HOURS are deleted. Returns the counts."""
    from ..dvcqg import pushes
    from ..external_tasks import operations as external_tasks
    from ..idempotency import operations as idempotency
    from ..identity import sessions
    from ..notifications import sending as notifications
    from ..webhooks import operations as webhooks

    config = current_app.config
    kept_until = now - timedelta(days=float(config["MOTCUA_OUTBOX_RETENTION_DAYS"]))
    ended_before = now - timedelta(days=float(config["MOTCUA_SESSION_RETENTION_DAYS"]))
    answered_before = now - timedelta(hours=float(config["MOTCUA_IDEMPOTENCY_HOURS"]))
    with unit_of_work():
        counts = {
            "outbox_events": outbox.purge(kept_until),
            "sessions": sessions.purge(ended_before),
            "idempotency_keys": idempotency.purge(answered_before),
            "webhook_deliveries": webhooks.purge(kept_until),
            "notification_deliveries": notifications.purge(kept_until),
            "portal_status_pushes": pushes.purge(kept_until),
            "external_tasks": external_tasks.purge(kept_until),
        }
    log.info("housekeeping: deleted %s", ", ".join(f"{count} {name}" for name, count in counts.items()))
    return counts


# --- incidents --------------------------------------------------------------------------------


def retry_incident(call_id: int, *, actor) -> ServiceCall:
    from ..errors import Conflict, NotFound

    call = db.session.get(ServiceCall, call_id)
    if call is None:
        raise NotFound(f"There is no incident {call_id}.")
    if call.state != FAILED:
        raise Conflict(f"Incident {call_id} is not open (its call is {call.state}).", code="incident_closed")
    now = utcnow()
    call.state, call.attempts, call.next_attempt_at, call.updated_at = PENDING, 0, now, now
    record(
        [
            fact(
                "incident_retried",
                at=now,
                actor=actor,
                instance_id=call.instance_id,
                task_id=call.task_id,
                element_id=call.element_id,
                data={"call_id": call.id},
            )
        ]
    )
    db.session.flush()
    outbox.emit(queue.QUEUED, {"call_id": call.id, "operation": call.operation}, instance_id=call.instance_id)
    return call
