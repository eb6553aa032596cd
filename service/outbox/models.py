"""Outbox events: one row per event, written in the transaction of the change it describes."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..audit.models import BigId
from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class OutboxEvent(db.Model):
    """An event, in the order of its id. Published in the process after its transaction commits;
    consumers that must see every event (webhooks, reports) read the table by id."""

    __tablename__ = "outbox_events"
    # The relay's queue: the events not yet relayed, in order (a partial index stays small).
    __table_args__ = (
        sa.Index(
            "ix_outbox_events_unrelayed",
            "id",
            postgresql_where=sa.text("relayed_at IS NULL"),
            sqlite_where=sa.text("relayed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(64), index=True)
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the relay handed the event to its consumers' queues (webhook deliveries); None until then.
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
