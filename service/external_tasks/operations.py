"""External tasks: publishing them after a step, fetch-and-lock, and what workers report back.

The engine reports the external tasks a step made ready (`StepResult.external_opened`); the
pipeline's `published` stage writes one row each (and withdraws those the step ended otherwise).
A worker locks tasks with `fetch_and_lock`: a compare-and-set UPDATE on the row's state and lock
(after `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL), so two workers never hold the same task.
Completing one compare-and-sets it `done` and hands the variables to the engine
(`Engine.complete_external_task`), persisted through `steps.persist`, in the request's one unit of
work. A failure counts retries down; at 0 the task is an incident (audit, `incident.raised` in the
outbox) until an administrator gives it retries again.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from .. import forms, runtime, steps
from ..audit.operations import fact, record
from ..engine import EventNotExpected, TaskNotReady
from ..errors import Conflict, Unprocessable
from ..extensions import db
from ..instances import operations as instances
from ..instances.models import ProcessInstance
from ..models_base import utcnow
from ..outbox import operations as outbox
from ..steps import Step
from .models import CANCELLED, DONE, FAILED, OPEN, ExternalTask

CREATED = "external_task.created"  # also wakes the fetches waiting for work (long polling)
AVAILABLE = "external_task.available"  # retries given again, a lock released: fetchable now
INCIDENT = "incident.raised"
POLL_SECONDS = 1.0  # a waiting fetch looks again at least this often (work from other processes)


# --- the pipeline's stage ------------------------------------------------------------------------


def published(step: Step) -> None:
    """Stage: a row for every external task the step made ready; those it ended otherwise (an
    interrupting boundary event, a terminated instance) are withdrawn (cancelled)."""
    result, instance, now = step.result, step.instance, step.now
    if result.external_closed:
        table = ExternalTask.__table__
        db.session.execute(
            sa.update(table)
            .where(
                table.c.instance_id == instance.id,
                table.c.task_id.in_([uuid.UUID(t) for t in result.external_closed]),
                table.c.state.in_((OPEN, FAILED)),
            )
            .values(state=CANCELLED, worker_id=None, lock_expires_at=None, updated_at=now)
        )
    if not result.external_opened:
        return
    rows = [
        {
            "id": uuid.uuid4(),
            "instance_id": instance.id,
            "task_id": uuid.UUID(task["task_id"]),
            "element_id": task["element_id"],
            "name": (task["name"] or "")[:255] or None,
            "topic": task["topic"],
            "priority": task["priority"],
            "business_key": instance.business_key,
            "form_key": task["form_key"],
            "state": OPEN,
            "created_at": now,
            "updated_at": now,
        }
        for task in result.external_opened
    ]
    db.session.execute(sa.insert(ExternalTask.__table__), rows)
    step.events.extend(
        outbox.Event(
            CREATED,
            {"external_task_id": str(row["id"]), "topic": row["topic"], "element_id": row["element_id"]},
            instance.id,
        )
        for row in rows
    )


# --- fetch and lock ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicRequest:
    name: str
    lock_ms: int
    variables: list[str] | None  # None: every variable


_arrivals = threading.Condition()


def _wake(_event=None) -> None:
    with _arrivals:
        _arrivals.notify_all()


def init_app(app) -> None:
    """Fetches waiting for work wake when this process commits a new or freed external task."""
    outbox.subscribe(app, CREATED, _wake)
    outbox.subscribe(app, AVAILABLE, _wake)


def _fetchable(now: datetime):
    table = ExternalTask.__table__
    return sa.and_(
        table.c.state == OPEN,
        sa.or_(table.c.lock_expires_at.is_(None), table.c.lock_expires_at <= now),
        sa.or_(table.c.retries.is_(None), table.c.retries > 0),
        sa.or_(table.c.available_at.is_(None), table.c.available_at <= now),
    )


LOCK_ROUNDS = 10  # a worker whose candidates were all taken by others reads again, this often


def _try_lock(worker_id: str, topics: list[TopicRequest], limit: int, by_priority: bool) -> list:
    """One attempt: lock up to `limit` fetchable tasks of the topics; returns [(id, topic request)].

    Candidates are read (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent fetches read
    different rows), then each is taken with a compare-and-set UPDATE: of two workers that read the
    same row, exactly one changes it. Candidates another worker took are replaced by reading again.
    """
    now = utcnow()
    table = ExternalTask.__table__
    by_name = {t.name: t for t in topics}
    postgres = db.session.get_bind().dialect.name == "postgresql"
    locked: list = []
    tried: set = set()
    for _ in range(LOCK_ROUNDS):
        query = (
            sa.select(table.c.id, table.c.topic)
            .join(ProcessInstance.__table__, ProcessInstance.id == table.c.instance_id)
            .where(_fetchable(now), table.c.topic.in_(sorted(by_name)), ProcessInstance.state == "running")
            .order_by(*((table.c.priority.desc(),) if by_priority else ()), table.c.created_at, table.c.id)
            .limit(limit - len(locked))
        )
        if tried:
            query = query.where(table.c.id.not_in(tried))
        if postgres:
            query = query.with_for_update(of=table, skip_locked=True)
        candidates = db.session.execute(query).all()
        for task_id, topic in candidates:
            tried.add(task_id)
            until = now + timedelta(milliseconds=by_name[topic].lock_ms)
            won = db.session.execute(
                sa.update(table)
                .where(table.c.id == task_id, _fetchable(now))
                .values(worker_id=worker_id, lock_expires_at=until, updated_at=now)
            ).rowcount
            if won:
                locked.append((task_id, by_name[topic]))
        if not candidates or len(locked) >= limit:
            break
    return locked


def fetch_and_lock(
    worker_id: str,
    topics: list[TopicRequest],
    *,
    max_tasks: int,
    by_priority: bool = True,
    wait_ms: int = 0,
) -> list[tuple[ExternalTask, dict]]:
    """Lock up to max_tasks tasks of the topics for the worker; wait for work up to wait_ms
    (bounded by MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS). Returns [(task, its variables)]."""
    limit = current_app.config["MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS"]
    deadline = time.monotonic() + min(wait_ms / 1000.0, float(limit))
    while True:
        locked = _try_lock(worker_id, topics, max_tasks, by_priority)
        if locked or time.monotonic() >= deadline:
            break
        db.session.rollback()  # nothing was written: end the read, and do not hold a snapshot
        with _arrivals:
            _arrivals.wait(timeout=max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
    if not locked:
        return []
    db.session.flush()
    rows = {
        row.id: row
        for row in db.session.scalars(
            sa.select(ExternalTask)
            .where(ExternalTask.id.in_([task_id for task_id, _ in locked]))
            .execution_options(populate_existing=True)
        )
    }
    variables = dict(
        db.session.execute(
            sa.select(ProcessInstance.id, ProcessInstance.variables).where(
                ProcessInstance.id.in_({row.instance_id for row in rows.values()})
            )
        ).all()
    )
    answer = []
    for task_id, request in locked:
        row = rows[task_id]
        everything = variables.get(row.instance_id) or {}
        wanted = (
            everything
            if request.variables is None
            else {name: everything[name] for name in request.variables if name in everything}
        )
        answer.append((row, wanted))
    return answer


# --- what a worker reports -----------------------------------------------------------------------


def _hold(task: ExternalTask, worker_id: str, now: datetime) -> None:
    if not task.locked_by(worker_id, now):
        reason = (
            f"it is {task.state}"
            if task.state != OPEN
            else "its lock expired"
            if task.worker_id == worker_id
            else "it is not locked by you"
        )
        raise Conflict(
            f"Worker '{worker_id}' does not hold a lock on external task {task.id}: {reason}.",
            code="lock_not_held",
            details={"state": task.state},
        )


def _take(task: ExternalTask, holder: str, now: datetime, **values) -> None:
    """Compare-and-set the task out of the worker's valid lock (409 if it is no longer theirs)."""
    _hold(task, holder, now)
    table = ExternalTask.__table__
    changed = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == task.id,
            table.c.state == OPEN,
            table.c.worker_id == holder,
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


def complete(task: ExternalTask, worker_id: str, variables: dict, *, actor) -> ExternalTask:
    """The worker's result: the task is done and the instance runs on with the variables."""
    now = utcnow()
    _hold(task, worker_id, now)
    instance = _running(task)
    _check_variables(task, instance, variables)
    _take(task, worker_id, now, state=DONE, lock_expires_at=None)
    inputs = runtime.inputs(instance.definition_id)
    try:
        result = runtime.engine().complete_external_task(
            inputs.definition,
            instance.engine_state,
            str(task.task_id),
            variables,
            now=now,
            units=inputs.units,
            calendar=inputs.calendar,
        )
    except TaskNotReady as exc:
        raise Conflict(str(exc), code="task_not_open") from None
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
        "lock_expires_at": None,
        "retries": retries,
        "error_message": message[:2000],
        "error_details": details,
        "available_at": now + timedelta(milliseconds=retry_timeout_ms),
    }
    if retries == 0:
        values["state"] = FAILED
    _take(task, worker_id, now, **values)
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
    _hold(task, worker_id, now)
    instance = _running(task)
    _check_variables(task, instance, variables)
    inputs = runtime.inputs(instance.definition_id)
    try:
        result = runtime.engine().throw_bpmn_error(
            inputs.definition,
            instance.engine_state,
            str(task.task_id),
            code,
            variables,
            now=now,
            units=inputs.units,
            calendar=inputs.calendar,
        )
    except TaskNotReady as exc:
        raise Conflict(str(exc), code="task_not_open") from None
    except EventNotExpected as exc:
        text = f"BPMN error {code!r}" + (f" ({message})" if message else "") + f" was not caught: {exc}"
        _take(task, worker_id, now, state=FAILED, retries=0, lock_expires_at=None, error_message=text[:2000])
        _open_incident(task, text, now, actor=actor)
        return task
    _take(task, worker_id, now, state=DONE, lock_expires_at=None)
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


def extend_lock(task: ExternalTask, worker_id: str, duration_ms: int) -> ExternalTask:
    now = utcnow()
    _take(task, worker_id, now, lock_expires_at=now + timedelta(milliseconds=duration_ms))
    return task


def unlock(task: ExternalTask) -> ExternalTask:
    """Release the lock, whoever holds it: the task is fetchable again (an open task only)."""
    if task.state != OPEN:
        raise Conflict(f"External task {task.id} is {task.state}.", code="invalid_state")
    task.worker_id, task.lock_expires_at, task.updated_at = None, None, utcnow()
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
    task.worker_id, task.lock_expires_at, task.updated_at = None, None, now
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
