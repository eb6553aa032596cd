"""The definitions' reads: the keys deployed, a version's BPMN, the processes a message starts."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import ProcessDefinition


def keys() -> list[str]:
    """Every key deployed, in order."""
    return list(
        db.session.scalars(sa.select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key))
    )


def bpmn(definition_id) -> bytes | None:
    """The BPMN document a version was deployed from."""
    return db.session.scalar(sa.select(ProcessDefinition.bpmn).where(ProcessDefinition.id == definition_id))


def started_on_message(name: str) -> list[ProcessDefinition]:
    """The latest version of every process whose message start event waits for `name` (the
    latest version's start events decide: an older version that started on it does not count).

    Deploys record a process's start messages (`start_messages`); the latest versions are few
    (one per key), so they are read and filtered here rather than by a JSON query."""
    latest = (
        sa.select(ProcessDefinition.key, sa.func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(ProcessDefinition)
        .join(
            latest,
            sa.and_(ProcessDefinition.key == latest.c.key, ProcessDefinition.version == latest.c.version),
        )
        .order_by(ProcessDefinition.key)
    )
    return [d for d in rows if name in (d.start_messages or ())]
