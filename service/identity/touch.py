"""The last-use stamps of tokens and sessions, written at most once per period and never waited for."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db

# the execution option a last-use stamp's UPDATE carries: it changes no principal (operations.py)
TOUCH = "motcua_touch"


def touch(model, row_id: int, column: str, now: datetime, every: timedelta) -> None:
    """`column` = now on the row `row_id` of `model`, unless another request did within `every`
    (or is doing it now: on PostgreSQL a row locked by another transaction is skipped, never
    waited for), so most requests write nothing."""
    row = aliased(model)
    stamp = getattr(row, column)
    unlocked = (
        sa.select(row.id)
        .where(row.id == row_id, sa.or_(stamp.is_(None), stamp <= now - every))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(model)
        .where(model.id == unlocked)
        .values({column: now})
        .execution_options(synchronize_session=False, **{TOUCH: True})
    )
