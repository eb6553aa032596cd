"""Process instances: serialized engine state plus the columns queries need."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..definitions.models import ProcessDefinition
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

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
