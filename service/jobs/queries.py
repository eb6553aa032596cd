"""The asynchronous work's reads: incidents (failed service calls), an instance's calls.

Reads live here, writes in operations.py; the call states are re-exported for the pages.
"""

from __future__ import annotations

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
    (dvcqg.queries), each marked with its `kind`, with their count."""
    from ..dvcqg import queries as dvcqg
    from ..external_tasks import queries as external_tasks

    wanted = page * per_page  # the first `wanted` of each kind hold the page of the merged list
    calls, calls_total = incidents(1, wanted)
    external, external_total = external_tasks.incidents(1, wanted)
    pushes, pushes_total = dvcqg.incidents(1, wanted)
    merged = sorted(
        [*calls, *(_external_incident(task) for task in external), *pushes],
        key=lambda row: row.updated_at if hasattr(row, "updated_at") else row["updated_at"],
        reverse=True,
    )
    return merged[(page - 1) * per_page : wanted], calls_total + external_total + pushes_total


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
