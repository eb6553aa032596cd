"""The asynchronous work's reads: incidents (failed service calls), an instance's calls.

Reads live here, writes in operations.py; the call states are re-exported for the pages.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models_base import page_of
from .models import DONE, FAILED, PENDING, RUNNING, ServiceCall

__all__ = ["DONE", "FAILED", "PENDING", "RUNNING", "call_elements", "incident_count", "incidents"]


def incidents(page: int, per_page: int) -> tuple[list[ServiceCall], int]:
    """A page of the failed calls, latest first, with their count."""
    return page_of(ServiceCall, ServiceCall.state == FAILED, (ServiceCall.updated_at.desc(),), page, per_page)


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
