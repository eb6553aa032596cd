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

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(64), index=True)
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
