"""External tasks' reads: the list (filtered by what the caller works), the incidents."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models_base import page_of
from .models import FAILED, OPEN, ExternalTask
from .permissions import visible_to


def search(user, *, topic=None, state=None, instance_id=None, worker_id=None, page=1, per_page=50):
    """A page of the external tasks the user works, oldest first, with their count."""
    conditions = [visible_to(user)]
    if topic:
        conditions.append(ExternalTask.topic == topic)
    if state:
        conditions.append(ExternalTask.state == state)
    if instance_id:
        conditions.append(ExternalTask.instance_id == instance_id)
    if worker_id:
        conditions.append(ExternalTask.worker_id == worker_id)
    return page_of(
        ExternalTask, sa.and_(*conditions), (ExternalTask.created_at, ExternalTask.id), page, per_page
    )


def incidents(page: int, per_page: int) -> tuple[list[ExternalTask], int]:
    """A page of the external tasks in incident, latest first (the administration's incidents)."""
    return page_of(
        ExternalTask, ExternalTask.state == FAILED, (ExternalTask.updated_at.desc(),), page, per_page
    )


def incident_keys(kind: str):
    """(kind, key, at) of each external task in incident, `at` the moment it is listed under
    (jobs.queries.all_incidents pages every kind of incident in one query)."""
    return sa.select(
        sa.literal(kind, sa.String).label("kind"),
        sa.cast(ExternalTask.id, sa.String).label("key"),
        ExternalTask.updated_at.label("at"),
    ).where(ExternalTask.state == FAILED)


def with_ids(ids) -> dict:
    """The external tasks of these ids, by id."""
    if not ids:
        return {}
    return {
        task.id: task for task in db.session.scalars(sa.select(ExternalTask).where(ExternalTask.id.in_(ids)))
    }


def incident_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ExternalTask).where(ExternalTask.state == FAILED)
        )
        or 0
    )


def elements(instance_id) -> tuple[set[str], set[str]]:
    """The elements of an instance's external tasks waiting for a worker, and in incident (for the
    instance's diagram)."""
    rows = db.session.execute(
        sa.select(ExternalTask.element_id, ExternalTask.state).where(
            ExternalTask.instance_id == instance_id, ExternalTask.state.in_((OPEN, FAILED))
        )
    ).all()
    return {e for e, state in rows if state == OPEN}, {e for e, state in rows if state == FAILED}
