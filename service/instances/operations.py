"""Starting and controlling process instances (each engine step persisted by service/steps.py)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from .. import forms, runtime, steps
from ..audit.operations import fact, record
from ..definitions.models import ProcessDefinition
from ..errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from ..extensions import db
from ..metrics import INSTANCES_STARTED
from ..models_base import page_of, utcnow
from ..outbox import operations as outbox
from .models import ProcessInstance
from .permissions import visible_to


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
    on_persisted=None,
    start_cycle: dict | None = None,
    message: str | None = None,
):
    """Start an instance of a definition version and run it to its first wait (with `message`,
    on its message start event of that name: POST /messages).

    `variables` come from the caller: only what the definition's start form declares, never a
    variable the process computes (422 otherwise). `system_variables` are the service's own
    (a dossier's procedure, applicant, units...): trusted, and protected from callers afterwards.
    on_created(instance) runs once the instance row exists, before the first step is persisted;
    on_persisted(step) once it is (steps.Step: what the step wrote, for an answer built from it).
    A definition whose start event names a `camunda:initiator` variable gets the starter's username
    in it (a system variable). `start_cycle`: the repetitions a timer start cycle left (arm_timer_start).
    """
    system_variables = dict(system_variables or {})
    if definition.initiator_variable and actor is not None:
        system_variables.setdefault(definition.initiator_variable, actor.username)
    forms.check_submission(
        definition.start_form,
        variables or {},
        protected=frozenset(definition.protected_variables or ()) | frozenset(system_variables),
        what="process start",
    )
    now = utcnow()
    inputs = runtime.inputs(definition.id)
    data = {**(variables or {}), **system_variables}
    if message is not None:
        result = runtime.engine().start_by_message(
            inputs.definition, message, data, now=now, units=inputs.units, calendar=inputs.calendar
        )
    else:
        result = runtime.engine().start(
            inputs.definition,
            data,
            now=now,
            units=inputs.units,
            calendar=inputs.calendar,
            start_cycle=start_cycle,
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
        waiting_messages=[],  # none recorded yet: the first step's (instances/waits.py)
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
            data={
                "definition": definition.key,
                "version": definition.version,
                "variables": variables or {},
                **({"message": message} if message is not None else {}),
            },
        )
    ]
    started = {"definition_key": definition.key, "version": definition.version, "business_key": business_key}
    events = [outbox.Event("instance.started", started, instance.id)]
    step = steps.persist(instance, result, actor=actor, now=now, audit=audit, events=events)
    if on_persisted is not None:
        on_persisted(step)
    INSTANCES_STARTED.inc()
    return instance


def arm_timer_start(
    definition: ProcessDefinition, actor, *, cycle: dict | None = None
) -> ProcessInstance | None:
    """A new version of a process that starts on a timer gets an instance waiting on it (the tick
    fires it); other processes get none. Called by whoever deploys (the route, `motcua deploy`).

    A timer start cycle (`R3/PT1H`) starts one instance per repetition: SpiffWorkflow would run
    every repetition inside the one instance, so when the waiting instance's start fires, the
    engine hands over the repetitions left (`StepResult.next_start`) and the timer tick arms the
    next instance with them (`cycle`), for the latest version only (jobs.operations.fire_timers)."""
    if not runtime.engine().has_timer_start(runtime.compiled(definition.id)):
        return None
    return start(definition, business_key=None, variables={}, actor=actor, start_cycle=cycle)


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
    steps.persist(instance, result, actor=actor, now=now, audit=audit)  # its open tasks close too


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
    steps.persist(instance, result, actor=actor, now=now, audit=audit)


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
    steps.persist(instance, result, actor=actor, now=now, audit=audit)


def search(
    user, *extra, state=None, definition_key=None, business_key=None, page=1, per_page=50, offset=None
):
    """The instances the user may see that match, newest first: (a page, the total). `extra`: more
    conditions on ProcessInstance; offset: the first row's index instead of the page's."""
    conditions = [visible_to(user), *extra]
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
        offset=offset,
    )
