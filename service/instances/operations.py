"""Starting and controlling process instances, and persisting what the engine returns."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import undefer

from .. import forms, runtime
from ..audit.operations import fact, record
from ..calendar.operations import calendar
from ..definitions.models import ProcessDefinition
from ..engine import StepResult
from ..errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from ..extensions import db
from ..identity.models import User
from ..metrics import INSTANCES_STARTED
from ..models_base import page_of, utcnow
from ..tasks.models import CANCELLED, OPEN, Task, task_candidates
from ..tasks.predicates import involved_in
from .models import ProcessInstance

TERMINAL = frozenset({"completed", "terminated"})

# Domains that follow process instances (dossiers) register callables here. Each is called
# inside apply_result as listener(instance, result, rows, completed_task, actor, now), before
# the opened task rows are inserted, so it may set their due dates, in the same transaction.
STEP_LISTENERS: list = []
# Callables (task, instance) -> dict of variables added to every completion of a task.
COMPLETION_VARIABLES: list = []


def check_version(instance: ProcessInstance, expected: int | None) -> None:
    """If-Match support: refuse when the caller's copy of the instance is stale."""
    if expected is not None and expected != instance.version:
        raise PreconditionFailed(
            f"The instance is at version {instance.version}, not {expected}; reload it and try again.",
            details={"current_version": instance.version, "expected_version": expected},
        )


def get(instance_id, *, with_state: bool = False) -> ProcessInstance:
    query = sa.select(ProcessInstance).where(ProcessInstance.id == instance_id)
    if with_state:
        query = query.options(undefer(ProcessInstance.engine_state))
    instance = db.session.scalar(query)
    if instance is None:
        raise NotFound(f"There is no process instance {instance_id}.")
    return instance


def apply_result(
    instance: ProcessInstance,
    result: StepResult,
    *,
    actor,
    now: datetime,
    audit: list[dict],
    completed_task=None,
) -> list[dict]:
    """Persist one engine step: state, task projection and audit, in the open transaction.

    Returns the rows of the tasks it opened.
    """
    instance.engine_state = result.state
    instance.variables = result.variables
    instance.next_timer_at = result.next_timer_at
    instance.updated_at = now
    if result.status == "error":
        instance.state, instance.error = "error", result.error
    else:
        instance.state, instance.error = result.status, None
    if instance.state in TERMINAL:
        instance.ended_at = now

    if result.closed:
        db.session.execute(
            sa.update(Task)
            .where(Task.id.in_([uuid.UUID(t) for t in result.closed]), Task.state == OPEN)
            .values(state=CANCELLED, completed_at=now)
        )
        audit.extend(
            fact("task_cancelled", at=now, actor=actor, instance_id=instance.id, task_id=uuid.UUID(t))
            for t in result.closed
        )
    rows: list[dict] = []
    candidates: list[dict] = []
    for human in result.opened:
        task_id = uuid.UUID(human.id)
        rows.append(
            {
                "id": task_id,
                "instance_id": instance.id,
                "element_id": human.element_id,
                "name": human.name,
                "lane": human.lane,
                "candidate_groups": list(human.candidate_groups),
                "state": OPEN,
                "form_key": human.form_key,
                "documentation": human.documentation,
                "created_at": now,
                "due_at": human.due_at
                or _allotted_due(human.properties, now)
                or _variable_due(human.properties, result.variables),
                "assignee_id": _assignee(human.properties, result.variables),
                "unit": human.unit,  # checked by the engine against the known units
                "properties": human.properties,
            }
        )
        candidates.extend({"task_id": task_id, "group_name": g} for g in human.candidate_groups)
        audit.append(
            fact(
                "task_created", at=now, instance_id=instance.id, task_id=task_id, element_id=human.element_id
            )
        )
    audit.extend(
        fact(
            "element_completed",
            at=now,
            instance_id=instance.id,
            task_id=uuid.UUID(done["task_id"]),
            element_id=done["element_id"],
            data={"type": done["type"]},
        )
        for done in result.completed_elements
    )
    if instance.state == "error":
        error = result.error or {}
        audit.append(
            fact(
                "instance_failed",
                at=now,
                instance_id=instance.id,
                element_id=error.get("element_id"),
                message=error.get("message"),
            )
        )
    elif instance.state == "completed":
        audit.append(fact("instance_completed", at=now, instance_id=instance.id))
    for listener in STEP_LISTENERS:
        listener(instance, result, rows, completed_task, actor, now)
    # Core inserts: one multi-row INSERT per table.
    if rows:
        db.session.execute(sa.insert(Task.__table__), rows)
    if candidates:
        db.session.execute(sa.insert(task_candidates), candidates)
    record(audit)
    return rows


def _allotted_due(properties: dict, now: datetime) -> datetime | None:
    """A task's due moment from its `allotment` property (working days) and the calendar."""
    allotment = properties.get("allotment")
    if not allotment:
        return None
    try:
        days = float(allotment)
    except ValueError:
        return None
    # Out of the statutory range (refused at deploy since; an older definition): no due date.
    if not 0 < days <= current_app.config["MOTCUA_MAX_ALLOTMENT_DAYS"]:
        return None
    return calendar().add_working_days(now, days)


def _variable_due(properties: dict, variables: dict) -> datetime | None:
    """A due moment named by the `dueDateVariable` property (an ISO date or datetime in the data).

    A date means the end of that day in the office time zone.
    """
    name = properties.get("dueDateVariable")
    value = variables.get(name) if name else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    cal = calendar()
    if moment.tzinfo is None:
        moment = datetime.combine(moment.date(), cal.periods[-1][1], tzinfo=cal.tz)
    return moment


def _assignee(properties: dict, variables: dict) -> int | None:
    """The user named by the `assigneeVariable` property, if that user exists and is active."""
    name = properties.get("assigneeVariable")
    username = variables.get(name) if name else None
    if not isinstance(username, str):
        return None
    return db.session.scalar(sa.select(User.id).where(User.username == username, User.is_active.is_(True)))


def protected_variables(instance: ProcessInstance) -> frozenset[str]:
    """The variables no caller may set in an instance: those its process computes and those the
    service itself wrote (a dossier's id, units, due dates)."""
    return frozenset(instance.definition.protected_variables or ()) | frozenset(
        instance.system_variables or ()
    )


def start(
    definition: ProcessDefinition,
    *,
    business_key: str | None,
    variables: dict,
    actor,
    system_variables: dict | None = None,
    on_created=None,
):
    """Start an instance of a definition version and run it to its first wait.

    `variables` come from the caller: only what the definition's start form declares, never a
    variable the process computes (422 otherwise). `system_variables` are the service's own
    (a dossier's procedure, applicant, units...): trusted, and protected from callers afterwards.
    on_created(instance) runs once the instance row exists, before the first step is persisted.
    """
    system_variables = system_variables or {}
    forms.check_submission(
        definition.start_form,
        variables or {},
        protected=frozenset(definition.protected_variables or ()) | frozenset(system_variables),
        what="process start",
    )
    now = utcnow()
    inputs = runtime.inputs(definition.id)
    result = runtime.engine().start(
        inputs.definition,
        {**(variables or {}), **system_variables},
        now=now,
        units=inputs.units,
        calendar=inputs.calendar,
    )
    instance = ProcessInstance(
        id=uuid.uuid4(),
        definition=definition,
        definition_id=definition.id,
        business_key=business_key,
        state="running",
        engine_state=result.state,
        variables={},
        system_variables=sorted(system_variables) or None,
        started_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.session.add(instance)
    db.session.flush()
    if on_created is not None:
        on_created(instance)
    audit = [
        fact(
            "instance_started",
            at=now,
            actor=actor,
            instance_id=instance.id,
            data={"definition": definition.key, "version": definition.version, "variables": variables or {}},
        )
    ]
    apply_result(instance, result, actor=actor, now=now, audit=audit)
    INSTANCES_STARTED.inc()
    return instance


def arm_timer_start(definition: ProcessDefinition, actor) -> ProcessInstance | None:
    """A new version of a process that starts on a timer gets an instance waiting on it (the tick
    fires it); other processes get none. Called by whoever deploys (the route, `motcua deploy`)."""
    if not runtime.engine().has_timer_start(runtime.compiled(definition.id)):
        return None
    return start(definition, business_key=None, variables={}, actor=actor)


def _require_state(instance: ProcessInstance, allowed: set[str], action: str) -> None:
    if instance.state not in allowed:
        raise Conflict(
            f"Cannot {action} an instance that is {instance.state}.",
            code="invalid_state",
            details={"state": instance.state},
        )


def suspend(instance: ProcessInstance, *, actor, expected_version: int | None) -> None:
    check_version(instance, expected_version)
    _require_state(instance, {"running", "error"}, "suspend")
    now = utcnow()
    instance.state, instance.updated_at = "suspended", now
    record([fact("instance_suspended", at=now, actor=actor, instance_id=instance.id)])


def resume(instance: ProcessInstance, *, actor, expected_version: int | None) -> None:
    check_version(instance, expected_version)
    _require_state(instance, {"suspended"}, "resume")
    now = utcnow()
    instance.state = "error" if instance.error else "running"
    instance.updated_at = now
    record([fact("instance_resumed", at=now, actor=actor, instance_id=instance.id)])


def terminate(instance: ProcessInstance, *, actor, expected_version: int | None) -> None:
    check_version(instance, expected_version)
    _require_state(instance, {"running", "suspended", "error"}, "terminate")
    now = utcnow()
    result = runtime.engine().terminate(
        runtime.compiled(instance.definition_id), instance.engine_state, now=now
    )
    audit = [fact("instance_terminated", at=now, actor=actor, instance_id=instance.id)]
    apply_result(instance, result, actor=actor, now=now, audit=audit)
    # Tasks a human could still see are closed too, even if the engine had none ready.
    db.session.execute(
        sa.update(Task)
        .where(Task.instance_id == instance.id, Task.state == OPEN)
        .values(state=CANCELLED, completed_at=now)
    )


def deliver_message(
    instance: ProcessInstance, name: str, payload: dict | None, *, actor, expected_version=None
):
    """Deliver a BPMN message to a running instance (409 if it is not waiting for it).

    The payload lands in the catching element's data: it may not carry variables the process
    computes or the service wrote (422 naming them)."""
    check_version(instance, expected_version)
    refused = forms.refused_fields(payload or {}, protected_variables(instance))
    if refused:
        raise Unprocessable(
            "The message may not set these variables: " + ", ".join(sorted(refused)) + ".",
            code="fields_not_accepted",
            details={"fields": {f"payload/{name}": messages for name, messages in refused.items()}},
        )
    _require_state(instance, {"running"}, "send a message to")
    now = utcnow()
    inputs = runtime.inputs(instance.definition_id)
    result = runtime.engine().deliver_message(
        inputs.definition,
        instance.engine_state,
        name,
        payload or {},
        now=now,
        units=inputs.units,
        calendar=inputs.calendar,
    )
    audit = [
        fact(
            "message_delivered",
            at=now,
            actor=actor,
            instance_id=instance.id,
            data={"name": name, "payload": payload or {}},
        )
    ]
    apply_result(instance, result, actor=actor, now=now, audit=audit)


def retry(instance: ProcessInstance, *, actor, expected_version: int | None) -> None:
    """Run the failed element again (after the cause, e.g. bad data, has been dealt with)."""
    check_version(instance, expected_version)
    _require_state(instance, {"error"}, "retry")
    now = utcnow()
    inputs = runtime.inputs(instance.definition_id)
    result = runtime.engine().retry(
        inputs.definition, instance.engine_state, now=now, units=inputs.units, calendar=inputs.calendar
    )
    audit = [fact("instance_retried", at=now, actor=actor, instance_id=instance.id)]
    apply_result(instance, result, actor=actor, now=now, audit=audit)


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


def search(user, *, state=None, definition_key=None, business_key=None, page=1, per_page=50):
    conditions = [visible_to(user)]
    if state:
        conditions.append(ProcessInstance.state == state)
    if business_key:
        conditions.append(ProcessInstance.business_key == business_key)
    if definition_key:
        conditions.append(
            ProcessInstance.definition_id.in_(
                sa.select(ProcessDefinition.id).where(ProcessDefinition.key == definition_key)
            )
        )
    return page_of(
        ProcessInstance,
        sa.and_(*conditions),
        (ProcessInstance.created_at.desc(), ProcessInstance.id),
        page,
        per_page,
    )


def open_tasks(instance_id) -> list[Task]:
    return list(
        db.session.scalars(
            sa.select(Task)
            .where(Task.instance_id == instance_id, Task.state == OPEN)
            .order_by(Task.created_at)
        )
    )
