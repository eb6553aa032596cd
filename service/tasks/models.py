"""The worklist: a projection of the engine's ready human tasks, queried without the engine."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..identity.models import User
from ..instances.models import ProcessInstance
from ..models_base import UTCDateTime, utcnow
from ..sla import Columns, Sla, Window, classify

OPEN, COMPLETED, CANCELLED = "open", "completed", "cancelled"

task_candidates = sa.Table(
    "task_candidates",
    db.metadata,
    sa.Column("task_id", sa.Uuid, sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_name", sa.String(128), primary_key=True),
    sa.Index("ix_task_candidates_group_task", "group_name", "task_id"),
)


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.Index("ix_tasks_state_created", "state", "created_at"),
        sa.Index("ix_tasks_assignee_state", "assignee_id", "state"),
        # An instance's open tasks (its detail, a dossier's current steps, a step's projection);
        # also every lookup by instance alone.
        sa.Index("ix_tasks_instance_state", "instance_id", "state"),
        # The group worklist's order over open, unclaimed tasks (due first, none last, oldest).
        sa.Index(
            "ix_tasks_unclaimed_due",
            "due_at",
            "created_at",
            "id",
            postgresql_where=sa.text("state = 'open' AND assignee_id IS NULL"),
            sqlite_where=sa.text("state = 'open' AND assignee_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("process_instances.id", ondelete="CASCADE")
    )
    element_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255))
    lane: Mapped[str | None] = mapped_column(sa.String(255))
    candidate_groups: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The org unit (OrgUnit.code) whose members may act on the task; None: any unit. Set from the
    # element's `unit` or `unitVariable` property when the task opens.
    unit: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(sa.String(16), default=OPEN)
    form_key: Mapped[str | None] = mapped_column(sa.String(255))
    documentation: Mapped[str | None] = mapped_column(sa.Text)
    # The BPMN element's properties (allotment, dossierStatus, clock, document, ...).
    properties: Mapped[dict | None] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The SLA class the watch last saw (service/sla.py: "due_soon", "late"), so it notes each change once.
    sla: Mapped[str | None] = mapped_column(sa.String(16))

    instance: Mapped[ProcessInstance] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")

    def sla_class(self, window: Window) -> Sla | None:
        """Its SLA class (service/sla.py): an open task against the window, a completed one by when
        it was completed; a cancelled task has none."""
        if self.state == COMPLETED:
            return classify(self.due_at, finished_at=self.completed_at, window=window)
        if self.state != OPEN:
            return None
        return classify(self.due_at, window=window)


# The columns the SQL form of the SLA rule reads (sla.condition(klass, window, SLA_COLUMNS)).
SLA_COLUMNS = Columns(
    due_at=Task.due_at,
    finished_at=Task.completed_at,
    unfinished=Task.state == OPEN,
    finished=Task.state == COMPLETED,
)
