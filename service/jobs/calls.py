"""Service-task calls: claimed, run against the remote system, answered, failed into incidents
and retried.

Every function here runs one unit of work in its own transactions and is safe to run on any number
of workers at once: a call is claimed with a compare-and-set lease (a worker killed mid-call leaves
it to be claimed again once the lease expires), the instance row is written under its optimistic
version, and every remote call carries an idempotency key (one per service task), so a retried call
never applies twice on the remote side.
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
from .models import DONE, FAILED, PENDING, RUNNING, ServiceCall

log = logging.getLogger(__name__)

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
