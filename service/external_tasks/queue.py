"""External tasks waiting for workers: the pipeline's stage that publishes them, and fetch-and-lock.

The engine reports the external tasks a step made ready (`StepResult.external_opened`); the
`published` stage (service/stages.py) writes one row each, announced in the outbox
(`external_task.created`), and withdraws those the step ended otherwise. A worker locks tasks
with `fetch_and_lock`: candidates are read (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL) and
each is taken with a compare-and-set UPDATE on its state and lock, so two workers never hold the
same task; a fetch with a timeout waits for work (long polling), woken by this process's commits.
At most MOTCUA_EXTERNAL_TASK_MAX_WAITING fetches of a process wait at once: each holds a server
thread, and workers must never be able to take every thread from the other requests.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..instances.models import ProcessInstance
from ..models_base import utcnow
from ..outbox import operations as outbox
from ..steps import Step
from .models import CANCELLED, FAILED, OPEN, ExternalTask

CREATED = "external_task.created"  # also wakes the fetches waiting for work (long polling)
AVAILABLE = "external_task.available"  # retries given again, a lock released: fetchable now
INCIDENT = "incident.raised"
POLL_SECONDS = 1.0  # a waiting fetch looks again at least this often (work from other processes)
_WAITING = "motcua.external_tasks.waiting"  # the app's semaphore of the fetches that may wait


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
            .values(state=CANCELLED, worker_id=None, locked_by_id=None, lock_expires_at=None, updated_at=now)
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
    """Fetches waiting for work wake when this process commits a new or freed external task; at
    most MOTCUA_EXTERNAL_TASK_MAX_WAITING of them wait at once."""
    outbox.subscribe(app, CREATED, _wake)
    outbox.subscribe(app, AVAILABLE, _wake)
    at_most = max(0, app.config["MOTCUA_EXTERNAL_TASK_MAX_WAITING"])
    app.extensions[_WAITING] = threading.BoundedSemaphore(at_most)


def _fetchable(now: datetime):
    table = ExternalTask.__table__
    return sa.and_(
        table.c.state == OPEN,
        sa.or_(table.c.lock_expires_at.is_(None), table.c.lock_expires_at <= now),
        sa.or_(table.c.retries.is_(None), table.c.retries > 0),
        sa.or_(table.c.available_at.is_(None), table.c.available_at <= now),
    )


LOCK_ROUNDS = 10  # a worker whose candidates were all taken by others reads again, this often


def _try_lock(
    worker_id: str, principal_id: int, topics: list[TopicRequest], limit: int, by_priority: bool
) -> list:
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
                .values(worker_id=worker_id, locked_by_id=principal_id, lock_expires_at=until, updated_at=now)
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
    actor,
    max_tasks: int,
    by_priority: bool = True,
    wait_ms: int = 0,
) -> list[tuple[ExternalTask, dict]]:
    """Lock up to max_tasks tasks of the topics for the worker; wait for work up to wait_ms
    (bounded by MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS). Returns [(task, its variables)]."""
    limit = current_app.config["MOTCUA_EXTERNAL_TASK_MAX_WAIT_SECONDS"]
    deadline = time.monotonic() + min(wait_ms / 1000.0, float(limit))
    principal_id = actor.id  # read once: the rollback below expires the loaded rows
    locked = _try_lock(worker_id, principal_id, topics, max_tasks, by_priority)
    if not locked and time.monotonic() < deadline:
        waiting = current_app.extensions[_WAITING]
        if not waiting.acquire(blocking=False):
            return []  # as many fetches wait as may: this one answers now, as an empty wait would
        try:
            while not locked and time.monotonic() < deadline:
                db.session.rollback()  # nothing was written: end the read, and hold no snapshot
                with _arrivals:
                    _arrivals.wait(timeout=max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
                locked = _try_lock(worker_id, principal_id, topics, max_tasks, by_priority)
        finally:
            waiting.release()
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
