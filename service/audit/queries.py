"""The audit trail's reads: an instance's history, the elements it finished."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import AuditEvent

# Audit facts whose element is done (for a process diagram).
COMPLETED_FACTS = ("element_completed", "task_completed", "service_task_completed")


def history(instance_id, limit: int = 500) -> list[AuditEvent]:
    """An instance's facts, oldest first (at most `limit`)."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.instance_id == instance_id)
            .order_by(AuditEvent.id)
            .limit(limit)
        )
    )


def elements_done(instance_id) -> list[str]:
    """The BPMN elements of an instance that finished at least once."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent.element_id)
            .where(
                AuditEvent.instance_id == instance_id,
                AuditEvent.type.in_(COMPLETED_FACTS),
                AuditEvent.element_id.is_not(None),
            )
            .distinct()
        )
    )
