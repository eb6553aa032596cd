"""The definitions' reads for the pages: the keys deployed, a version's BPMN."""

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
