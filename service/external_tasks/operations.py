"""What external workers report, and what administrators do about incidents.

Completing a task compare-and-sets it `done` (only the worker holding a valid lock can) and hands
the variables to the engine (`Engine.complete_external_task`), persisted through `steps.persist`,
in the request's one unit of work. A failure counts retries down; at 0 the task is an incident
(audit, `incident.raised` in the outbox) until an administrator gives it retries again. A BPMN
error goes to the task's error boundary event (`Engine.throw_bpmn_error`), or is an incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from .. import forms, runtime, steps
from ..audit.operations import fact, record
from ..engine import EventNotExpected, TaskNotReady
from ..errors import Conflict, Unprocessable
from ..extensions import db
from ..instances import operations as instances
from ..instances.models import ProcessInstance
from ..models_base import utcnow
from ..outbox import operations as outbox
from .models import CANCELLED, DONE, FAILED, OPEN, ExternalTask
from .queue import AVAILABLE, INCIDENT

# --- what a worker reports -----------------------------------------------------------------------


def _hold(task: ExternalTask, worker_id: str, actor, now: datetime) -> None:
    if not task.locked_by(worker_id, actor.id, now):
        reason = (
            f"it is {task.state}"
            if task.state != OPEN
            else "its lock expired"
            if task.worker_id == worker_id and task.locked_by_id == actor.id
            else "it is not locked by you"
        )
        raise Conflict(
            f"Worker '{worker_id}' does not hold a lock on external task {task.id}: {reason}.",
            code="lock_not_held",
            details={"state": task.state},
        )


def _take(task: ExternalTask, holder: str, actor, now: datetime, **values) -> None:
    """Compare-and-set the task out of the worker's valid lock (409 if it is no longer theirs)."""
    _hold(task, holder, actor, now)
    table = ExternalTask.__table__
    changed = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == task.id,
            table.c.state == OPEN,
            table.c.worker_id == holder,
            table.c.locked_by_id == actor.id,
            table.c.lock_expires_at > now,
        )
        .values(updated_at=now, **values)
    ).rowcount
    if not changed:
        raise Conflict(f"External task {task.id} is no longer locked by '{holder}'.", code="lock_not_held")
    db.session.refresh(task)


def _check_variables(task: ExternalTask, instance: ProcessInstance, variables: dict) -> None:
    """What a worker may set: the fields of the task's form if it names one (formKey), else
    anything but the variables the process computes or the service wrote, as for a message."""
    protected = instances.protected_variables(instance)
    if task.form_key:
        forms.check_submission(task.form_key, variables, protected=protected, what="external task")
        return
    refused = forms.refused_fields(variables, protected)
    if refused:
        raise Unprocessable(
            "The external task may not set these variables: " + ", ".join(sorted(refused)) + ".",
            code="fields_not_accepted",
            details={"fields": {f"variables/{name}": m for name, m in refused.items()}},
        )


def _running(task: ExternalTask) -> ProcessInstance:
    instance = instances.get(task.instance_id, with_state=True)
    if instance.state != "running":
        raise Conflict(
            f"The instance of external task {task.id} is {instance.state}.",
            code="invalid_state",
            details={"state": instance.state},
        )
    return instance


def _command(command, instance, task: ExternalTask, *args, now: datetime):
    """Run an engine command on the external task's service task (its instance's state, definition,
    units and calendar); 409 task_not_open when the task is no longer waiting for its worker."""
    inputs = runtime.inputs(instance.definition_id)
    try:
        return command(
            inputs.definition,
            instance.engine_state,
            str(task.task_id),
            *args,
            now=now,
            units=inputs.units,
            calendar=inputs.calendar,
        )
    except TaskNotReady as exc:
        raise Conflict(str(exc), code="task_not_open") from None


def complete(task: ExternalTask, worker_id: str, variables: dict, *, actor) -> ExternalTask:
    """The worker's result: the task is done and the instance runs on with the variables."""
    now = utcnow()
    _hold(task, worker_id, actor, now)
    instance = _running(task)
    _check_variables(task, instance, variables)
    _take(task, worker_id, actor, now, state=DONE, lock_expires_at=None)
    result = _command(runtime.engine().complete_external_task, instance, task, variables, now=now)
    audit = [
        fact(
            "external_task_completed",
            at=now,
            actor=actor,
            instance_id=instance.id,
            task_id=task.task_id,
            element_id=task.element_id,
            data={"topic": task.topic, "worker_id": worker_id, "variables": sorted(variables)},
        )
    ]
    steps.persist(instance, result, actor=actor, now=now, audit=audit)
    return task


def _open_incident(task: ExternalTask, message: str, now: datetime, *, actor) -> None:
    data = {"external_task_id": str(task.id), "topic": task.topic, "worker_id": task.worker_id}
    record(
        [
            fact(
                "incident_opened",
                at=now,
                actor=actor,
                instance_id=task.instance_id,
                task_id=task.task_id,
                element_id=task.element_id,
                message=message[:2000],
                data=data,
            )
        ]
    )
    outbox.emit(
        INCIDENT,
        {
            "external_task_id": str(task.id),
            "element_id": task.element_id,
            "topic": task.topic,
            "error": message[:2000],
        },
        instance_id=task.instance_id,
    )


def failure(
    task: ExternalTask,
    worker_id: str,
    *,
    message: str,
    details: str | None,
    retries: int,
    retry_timeout_ms: int,
    actor,
) -> ExternalTask:
    """The worker could not do the work: the lock is released; the task is fetchable again after
    retry_timeout_ms while retries are left, an incident when there are none (retries 0)."""
    now = utcnow()
    values = {
        "worker_id": None,
        "locked_by_id": None,
        "lock_expires_at": None,
        "retries": retries,
        "error_message": message[:2000],
        "error_details": details,
        "available_at": now + timedelta(milliseconds=retry_timeout_ms),
    }
    if retries == 0:
        values["state"] = FAILED
    _take(task, worker_id, actor, now, **values)
    if retries == 0:
        _open_incident(task, message, now, actor=actor)
    else:
        record(
            [
                fact(
                    "external_task_failed",
                    at=now,
                    actor=actor,
                    instance_id=task.instance_id,
                    task_id=task.task_id,
                    element_id=task.element_id,
                    message=message[:2000],
                    data={"topic": task.topic, "worker_id": worker_id, "retries": retries},
                )
            ]
        )
    return task


def bpmn_error(
    task: ExternalTask, worker_id: str, code: str, message: str | None, variables: dict, *, actor
) -> ExternalTask:
    """A business error: the error boundary event on the task that catches the code takes it
    and the instance runs on; with no such boundary event, the task becomes an incident."""
    now = utcnow()
    _hold(task, worker_id, actor, now)
    instance = _running(task)
    _check_variables(task, instance, variables)
    try:
        result = _command(runtime.engine().throw_bpmn_error, instance, task, code, variables, now=now)
    except EventNotExpected as exc:
        text = f"BPMN error {code!r}" + (f" ({message})" if message else "") + f" was not caught: {exc}"
        _take(
            task,
            worker_id,
            actor,
            now,
            state=FAILED,
            retries=0,
            lock_expires_at=None,
            error_message=text[:2000],
        )
        _open_incident(task, text, now, actor=actor)
        return task
    _take(task, worker_id, actor, now, state=DONE, lock_expires_at=None)
    audit = [
        fact(
            "external_task_bpmn_error",
            at=now,
            actor=actor,
            instance_id=instance.id,
            task_id=task.task_id,
            element_id=task.element_id,
            message=message,
            data={"topic": task.topic, "worker_id": worker_id, "code": code},
        )
    ]
    steps.persist(instance, result, actor=actor, now=now, audit=audit)
    return task


def extend_lock(task: ExternalTask, worker_id: str, duration_ms: int, *, actor) -> ExternalTask:
    now = utcnow()
    _take(task, worker_id, actor, now, lock_expires_at=now + timedelta(milliseconds=duration_ms))
    return task


def unlock(task: ExternalTask) -> ExternalTask:
    """Release the lock, whoever holds it: the task is fetchable again (an open task only)."""
    if task.state != OPEN:
        raise Conflict(f"External task {task.id} is {task.state}.", code="invalid_state")
    task.worker_id, task.locked_by_id, task.lock_expires_at, task.updated_at = None, None, None, utcnow()
    db.session.flush()
    outbox.emit(
        AVAILABLE, {"external_task_id": str(task.id), "topic": task.topic}, instance_id=task.instance_id
    )
    return task


def retry_incident(task: ExternalTask, retries: int, *, actor) -> ExternalTask:
    """Give a task in incident (or with no retries left) retries again: fetchable now."""
    if task.state != FAILED:
        raise Conflict(
            f"External task {task.id} is not an incident (it is {task.state}).", code="incident_closed"
        )
    now = utcnow()
    task.state, task.retries, task.available_at = OPEN, retries, now
    task.worker_id, task.locked_by_id, task.lock_expires_at, task.updated_at = None, None, None, now
    record(
        [
            fact(
                "incident_retried",
                at=now,
                actor=actor,
                instance_id=task.instance_id,
                task_id=task.task_id,
                element_id=task.element_id,
                data={"external_task_id": str(task.id), "retries": retries},
            )
        ]
    )
    db.session.flush()
    outbox.emit(
        AVAILABLE, {"external_task_id": str(task.id), "topic": task.topic}, instance_id=task.instance_id
    )
    return task


def purge(before: datetime) -> int:
    """Delete the external tasks done or cancelled before `before` (MOTCUA_OUTBOX_RETENTION_DAYS);
    open ones and incidents stay."""
    old = sa.and_(ExternalTask.state.in_((DONE, CANCELLED)), ExternalTask.updated_at < before)
    return db.session.execute(sa.delete(ExternalTask).where(old)).rowcount
