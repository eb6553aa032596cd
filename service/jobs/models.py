"""Work that runs on workers: service-task calls and worker heartbeats."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class ServiceCall(db.Model):
    """One service task's call to a connector; a failed one (retries exhausted) is an incident."""

    __tablename__ = "service_calls"
    __table_args__ = (
        sa.UniqueConstraint("instance_id", "task_id", name="uq_service_calls_instance_task"),
        sa.Index("ix_service_calls_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    element_id: Mapped[str] = mapped_column(sa.String(255))
    operation: Mapped[str] = mapped_column(sa.String(255))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Sent with every attempt: the remote system applies a call once per key.
    idempotency_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    backoff_seconds: Mapped[float] = mapped_column(default=2.0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
