"""The instances' reads for the pages: their states, how many are in each.

(Which instances a user may see, a page of them and their open tasks are still read in
operations.py: they join the task projection, and instances.operations is the one module of the
instances ↔ tasks circle that pyproject.toml lets import it.)
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import STATES, ProcessInstance

__all__ = ["STATES", "state_counts"]


def state_counts() -> dict[str, int]:
    """How many instances are in each state (states with none left out)."""
    return dict(
        db.session.execute(
            sa.select(ProcessInstance.state, sa.func.count()).group_by(ProcessInstance.state)
        ).all()
    )
