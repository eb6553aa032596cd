"""Writing and publishing outbox events.

`emit(topic, payload)` writes an event in the open transaction (`write(events)`: several, in one
INSERT); once the unit of work commits (service/uow.py), the event is handed to this process's
subscribers of its topic, in order. A step's events (`Step.events`, gathered by the stages of the
step pipeline) are inserted by the `step_events` stage with the step's other rows.
Subscribers are listed once, at create_app (`subscribe`), so `grep` finds every one:

- `service_call.queued` -> jobs.dispatch: send the call to the broker's workers now;
- `calendar.changed` -> calendar.operations: forget this process's cached calendar.

A subscriber is a prompt, not the only way: what is due is always in the database (the workers'
tick finds queued calls; other processes' calendars refresh within a minute). Events stay in the
table, numbered, for consumers that must see each of them: service/relay.py hands each event,
once, to the consumers it lists (webhook and notification deliveries, the national portal's
status pushes), in the relay's transaction, and marks it relayed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context

from .. import uow
from ..extensions import db
from ..models_base import utcnow
from .models import OutboxEvent

log = logging.getLogger(__name__)
_SUBSCRIBERS = "motcua.outbox.subscribers"


@dataclass(frozen=True)
class Event:
    """What subscribers get: the event as written (a plain value, read without the database)."""

    topic: str
    payload: dict
    instance_id: uuid.UUID | None


def emit(topic: str, payload: dict | None = None, *, instance_id: uuid.UUID | None = None) -> None:
    """Write an event in the open transaction; it is published after the unit of work commits."""
    write([Event(topic, payload or {}, instance_id)])


def write(events: list[Event]) -> None:
    """Write events in the open transaction, in one INSERT and in their order (their ids); they are
    published, in that order, after the unit of work commits."""
    if events:
        db.session.execute(sa.insert(OutboxEvent.__table__), rows(events))


def rows(events: list[Event]) -> list[dict]:
    """The rows of `events` for the caller to insert in the open transaction (write() does), in
    their order; they are published, in that order, after the unit of work commits."""
    if not events:
        return []
    now = utcnow()
    unit = uow.current()
    if unit is not None:
        batch = list(events)
        unit.on_commit(lambda: publish(batch))
    return [
        {"topic": e.topic, "payload": e.payload, "instance_id": e.instance_id, "created_at": now}
        for e in events
    ]


def subscribe(app, topic: str, handler: Callable[[Event], None]) -> None:
    """Hand the events of `topic` to `handler` after their transaction commits (in this process)."""
    app.extensions.setdefault(_SUBSCRIBERS, {}).setdefault(topic, []).append(handler)


def publish(events: list[Event]) -> None:
    """Give committed events to their subscribers; a failing subscriber is logged, never raised."""
    if not has_app_context():
        return
    subscribers = current_app.extensions.get(_SUBSCRIBERS, {})
    for event in events:
        for handler in subscribers.get(event.topic, ()):
            try:
                handler(event)
            except Exception:
                log.exception("outbox subscriber of %s failed (%s)", event.topic, event.payload)


def step_events(step) -> None:
    """Stage of the step pipeline (service/steps.py): what the step did, as events for those who
    follow the service from outside (webhooks, reports): task.created for every task it opened,
    task.completed for the task it completed, instance.completed or instance.failed; after the
    events the earlier stages gathered in `step.events`, inserted with the step's other rows
    (service/inserts.py)."""
    instance, events = step.instance, step.events
    for row in step.rows:
        payload = {"task_id": str(row["id"]), "element_id": row["element_id"], "unit": row["unit"]}
        events.append(Event("task.created", payload, instance.id))
    if step.completed_task is not None:
        task = step.completed_task
        by = getattr(step.actor, "username", None)
        payload = {"task_id": str(task.id), "element_id": task.element_id, "by": by}
        events.append(Event("task.completed", payload, instance.id))
    if instance.state in ("completed", "error"):
        topic = "instance.completed" if instance.state == "completed" else "instance.failed"
        payload = {"definition_key": instance.definition.key, "error": instance.error}
        events.append(Event(topic, payload, instance.id))
    step.insert(OutboxEvent.__table__, rows(events))


def purge(before) -> int:
    """Delete the relayed events written before `before` (MOTCUA_OUTBOX_RETENTION_DAYS); returns
    how many. An event the relay has not handed on yet stays, however old."""
    old = sa.and_(OutboxEvent.created_at < before, OutboxEvent.relayed_at.is_not(None))
    return db.session.execute(sa.delete(OutboxEvent).where(old)).rowcount
