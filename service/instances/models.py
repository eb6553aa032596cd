"""Process instances: serialized engine state plus the columns queries need; their human tasks
(the worklist's rows, a projection of the engine's ready user tasks, queried without the engine).

The task rows are an instance's own: an instance is visible to whoever is involved in one of its
tasks and its detail lists its open ones, so they live here, with the instance; service/tasks
(the worklist, claim, complete) builds on them and re-exports them (tasks/models.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..definitions.models import ProcessDefinition
from ..extensions import db
from ..identity.models import User
from ..models_base import UTCDateTime, utcnow
from ..sla import Sla, Window, classify

STATES = ("running", "completed", "suspended", "terminated", "error")


class ProcessInstance(db.Model):
    __tablename__ = "process_instances"
    __table_args__ = (sa.Index("ix_process_instances_state_created", "state", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    definition_id: Mapped[int] = mapped_column(sa.ForeignKey("process_definitions.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    # Optimistic locking: every write is UPDATE ... WHERE version = <read version>.
    version: Mapped[int] = mapped_column(default=1)
    engine_state: Mapped[str] = deferred(mapped_column(sa.Text))
    variables: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[dict | None] = mapped_column(sa.JSON)
    # The names of the variables the service itself wrote (a dossier's id, units, due dates):
    # no completion, start or message may set them.
    system_variables: Mapped[list | None] = mapped_column(sa.JSON)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The names of the messages the instance waits for, as its last step left them (the rows of
    # message_waits, kept here so a step that changes nothing writes nothing; None: not known).
    waiting_messages: Mapped[list | None] = mapped_column(sa.JSON)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}


class MessageWait(db.Model):
    """An instance waits for a message of this name (a catch event, a receive task, a boundary
    event): written by the step pipeline (instances/waits.py), read by POST /messages to find the
    instances a message correlates with by an indexed lookup on the name."""

    __tablename__ = "message_waits"
    __table_args__ = (sa.Index("ix_message_waits_name_instance", "name", "instance_id"),)

    instance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


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
