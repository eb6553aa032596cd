"""Stage of the step pipeline (service/steps.py): queue the service tasks a step left waiting.

The engine never calls a remote system inside a step: it reports the ready service tasks with
their evaluated parameters, and this stage writes one `service_calls` row for each (idempotency
key `<instance>:<task>`) and an outbox event `service_call.queued`, which a broker's sender
subscribes to (service/jobs/worker.py) so a worker takes the call right after the commit. Without
a broker, or if the message is lost, the tick finds the call in the table.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import current_app

from integrations import contracts

from ..extensions import db
from ..outbox import operations as outbox
from ..steps import Step
from .models import PENDING, ServiceCall

# When neither the model (spiffworkflow:retry) nor the connector's contract says.
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 2.0

QUEUED = "service_call.queued"


def service_calls(step: Step) -> None:
    result, instance, now = step.result, step.instance, step.now
    if not result.service_calls:
        return
    known = set(
        db.session.scalars(
            sa.select(ServiceCall.task_id).where(
                ServiceCall.instance_id == instance.id,
                ServiceCall.task_id.in_([uuid.UUID(c["task_id"]) for c in result.service_calls]),
            )
        )
    )
    new = []
    for call in result.service_calls:
        task_id = uuid.UUID(call["task_id"])
        if task_id in known:
            continue
        row = ServiceCall(
            instance_id=instance.id,
            task_id=task_id,
            element_id=call["element_id"],
            operation=call["operation"],
            params=call["params"],
            idempotency_key=f"{instance.id}:{task_id}",
            state=PENDING,
            max_attempts=max(1, _retries(call)),
            backoff_seconds=max(0.0, _backoff(call)),
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        db.session.add(row)
        new.append(row)
    if new:
        db.session.flush()
        step.events.extend(
            outbox.Event(QUEUED, {"call_id": row.id, "operation": row.operation}, instance.id) for row in new
        )


def _contract(operation: str):
    return contracts.load().get(operation.partition("/")[0])


def _configured(operation: str):
    """This environment's configuration of the operation's connector, if any."""
    connectors = current_app.extensions.get("motcua.connectors")
    configs = getattr(connectors, "configs", None) or {}
    return configs.get(operation.partition("/")[0])


def _retries(call) -> int:
    """The model's retries, else this environment's (MOTCUA_CONNECTOR_<NAME>_ATTEMPTS), else the
    connector contract's attempts, else the engine's default."""
    if call["retries"] is not None:
        return call["retries"]
    configured = _configured(call["operation"])
    if configured is not None and configured.attempts is not None:
        return configured.attempts
    contract = _contract(call["operation"])
    return contract.attempts if contract is not None and contract.attempts is not None else DEFAULT_RETRIES


def _backoff(call) -> float:
    if call["backoff"] is not None:
        return call["backoff"]
    configured = _configured(call["operation"])
    if configured is not None and configured.backoff is not None:
        return configured.backoff
    contract = _contract(call["operation"])
    return (
        contract.backoff if contract is not None and contract.backoff is not None else DEFAULT_BACKOFF_SECONDS
    )
