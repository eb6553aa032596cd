"""The asynchronous work's reads: incidents (failed service calls), an instance's calls.

Reads live here, writes in operations.py; the call states are re-exported for the pages.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from ..extensions import db
from ..models_base import page_of
from .models import DONE, FAILED, PENDING, RUNNING, ServiceCall

__all__ = [
    "DONE",
    "FAILED",
    "PENDING",
    "RUNNING",
    "all_incidents",
    "call_elements",
    "incident_count",
    "incidents",
]


def incidents(page: int, per_page: int) -> tuple[list[ServiceCall], int]:
    """A page of the failed calls, latest first, with their count."""
    return page_of(ServiceCall, ServiceCall.state == FAILED, (ServiceCall.updated_at.desc(),), page, per_page)


def all_incidents(page: int, per_page: int) -> tuple[list, int]:
    """A page of every incident, latest first: the failed service calls, the external tasks in
    incident (external_tasks.queries) and the national portal's failed status pushes
    (dvcqg.queries), each marked with its `kind`, with their count. One query pages the three
    kinds' (kind, key, moment) together in the database (a far page reads its rows alone, not every
    incident before it); then each kind's rows on the page are read by their keys."""
    from ..dvcqg import queries as dvcqg
    from ..external_tasks import queries as external_tasks

    keys = sa.union_all(
        sa.select(
            sa.literal(CALL, sa.String).label("kind"),
            sa.cast(ServiceCall.id, sa.String).label("key"),
            ServiceCall.updated_at.label("at"),
        ).where(ServiceCall.state == FAILED),
        external_tasks.incident_keys(EXTERNAL_TASK),
        dvcqg.incident_keys(DVCQG_PUSH),
    ).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(keys)) or 0
    rows = db.session.execute(
        sa.select(keys.c.kind, keys.c.key)
        .order_by(keys.c.at.desc(), keys.c.kind, keys.c.key)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    on_page = [(kind, uuid.UUID(key) if kind == EXTERNAL_TASK else int(key)) for kind, key in rows]
    wanted: dict[str, list] = {CALL: [], EXTERNAL_TASK: [], DVCQG_PUSH: []}
    for kind, key in on_page:
        wanted[kind].append(key)
    found = {
        CALL: {call.id: call for call in _calls_with_ids(wanted[CALL])},
        EXTERNAL_TASK: external_tasks.with_ids(wanted[EXTERNAL_TASK]),
        DVCQG_PUSH: dvcqg.incidents_with_ids(wanted[DVCQG_PUSH]),
    }
    page_rows = []
    for kind, key in on_page:
        row = found[kind].get(key)
        if row is None:  # gone between the two reads (retried, cleaned up)
            continue
        page_rows.append(_external_incident(row) if kind == EXTERNAL_TASK else row)
    return page_rows, total


CALL, EXTERNAL_TASK, DVCQG_PUSH = "service_call", "external_task", "dvcqg_push"


def _calls_with_ids(ids) -> list[ServiceCall]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(ServiceCall).where(ServiceCall.id.in_(ids))))


def _external_incident(task) -> dict:
    return {
        "id": None,
        "kind": "external_task",
        "external_task_id": task.id,
        "topic": task.topic,
        "instance_id": task.instance_id,
        "task_id": task.task_id,
        "element_id": task.element_id,
        "operation": None,
        "last_error": task.error_message,
        "attempts": None,
        "max_attempts": None,
        "state": task.state,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def incident_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ServiceCall).where(ServiceCall.state == FAILED)
        )
        or 0
    )


def call_elements(instance_id) -> tuple[set[str], set[str]]:
    """The elements of an instance's calls still to be answered (pending, running) and failed."""
    rows = db.session.execute(
        sa.select(ServiceCall.element_id, ServiceCall.state).where(
            ServiceCall.instance_id == instance_id, ServiceCall.state.in_((PENDING, RUNNING, FAILED))
        )
    ).all()
    return {e for e, state in rows if state != FAILED}, {e for e, state in rows if state == FAILED}
