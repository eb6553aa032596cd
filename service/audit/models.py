"""The audit trail: one row per state change, written in the same transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_instance_id_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    task_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    type: Mapped[str] = mapped_column(sa.String(64))
    element_id: Mapped[str | None] = mapped_column(sa.String(255))
    actor_id: Mapped[int | None] = mapped_column()
    actor: Mapped[str | None] = mapped_column(sa.String(128))
    # The API token the actor acted with (a system identity's calls), if any.
    token_id: Mapped[int | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    message: Mapped[str | None] = mapped_column(sa.Text)
