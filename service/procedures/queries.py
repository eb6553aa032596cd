"""The catalogue's reads for the pages: the procedures open for reception."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
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
