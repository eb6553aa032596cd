"""The catalogue's reads for the pages: the procedures open for reception."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from . import changes
from .models import Procedure


def active() -> list[Procedure]:
    """The procedures the counter may receive, by code."""
    return list(
        db.session.scalars(
            sa.select(Procedure)
            .where(Procedure.active, Procedure.valid_to.is_(None))
            .order_by(Procedure.code)
        )
    )


def catalogue_change(task, instance) -> dict | None:
    """The catalogue change an open task proposes, for its page (None for a task that proposes none,
    or that is done: what it applied is in the audit, `catalogue_changed`)."""
    return changes.for_task(task, instance) if changes.kind_of(task) and task.state == "open" else None
