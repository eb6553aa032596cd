"""Writing audit events: always through here, always in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from .models import AuditEvent


def fact(
    type_: str,
    *,
    at: datetime,
    actor=None,
    instance_id=None,
    task_id=None,
    element_id: str | None = None,
    data: dict | None = None,
    message: str | None = None,
) -> dict:
    """One audit row as a dict, ready for record()."""
    return {
        "type": type_,
        "at": at,
        "actor_id": actor.id if actor is not None else None,
        "actor": actor.username if actor is not None else None,
        "token_id": getattr(actor, "token_id", None),
        "instance_id": instance_id,
        "task_id": task_id,
        "element_id": element_id,
        "data": data,
        "message": message,
    }


def record(rows: list[dict]) -> None:
    """Insert audit rows in one statement (flushed with the transaction, never committed here)."""
    if rows:
        # Core insert on the table: one multi-row INSERT whatever columns each fact leaves empty.
        db.session.execute(sa.insert(AuditEvent.__table__), rows)


def write(step) -> None:
    """Stage of the step pipeline (service/steps.py): every fact the step and its stages gathered,
    inserted with the step's other rows (service/inserts.py)."""
    step.insert(AuditEvent.__table__, step.audit)
