"""External tasks: a service task's work published on a topic, fetched and locked by outside workers."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

# open: waiting for a worker (locked while lock_expires_at is ahead); failed: an incident (its
# retries ran out, or a BPMN error nothing caught) until an administrator gives it retries again;
# done: completed or handed to an error boundary event; cancelled: the instance went on without it.
OPEN, FAILED, DONE, CANCELLED = "open", "failed", "done", "cancelled"
STATES = (OPEN, FAILED, DONE, CANCELLED)


class ExternalTask(db.Model):
    __tablename__ = "external_tasks"
    __table_args__ = (
        sa.UniqueConstraint("instance_id", "task_id", name="uq_external_tasks_instance_task"),
        sa.Index("ix_external_tasks_topic_state", "topic", "state"),
        sa.Index("ix_external_tasks_state_updated", "state", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)  # the engine's task
    element_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str | None] = mapped_column(sa.String(255))
    topic: Mapped[str] = mapped_column(sa.String(200))
    priority: Mapped[int] = mapped_column(default=0)
    business_key: Mapped[str | None] = mapped_column(sa.String(255))
    form_key: Mapped[str | None] = mapped_column(sa.String(255))  # what a completion may set
    state: Mapped[str] = mapped_column(sa.String(16), default=OPEN)
    worker_id: Mapped[str | None] = mapped_column(sa.String(255))
    # Who fetched it: a lock is held by a worker id AND the principal that fetched it, so another
    # caller naming the same worker id does not hold it.
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retries: Mapped[int | None] = mapped_column()  # None until a worker reports a failure
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a failure's retry timeout
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    error_details: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def locked_by(self, worker_id: str, principal_id: int, now: datetime) -> bool:
        """Whether `worker_id` (of that principal) holds a lock on the task, unexpired at `now`."""
        return (
            self.state == OPEN
            and self.worker_id == worker_id
            and self.locked_by_id == principal_id
            and self.lock_expires_at is not None
            and self.lock_expires_at > now
        )
