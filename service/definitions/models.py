"""Deployed BPMN process definitions: one row per version, spec stored once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .. import frozen
from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class ProcessDefinition(db.Model):
    __tablename__ = "process_definitions"
    __table_args__ = (
        sa.UniqueConstraint("key", "version", name="uq_process_definitions_key_version"),
        sa.UniqueConstraint("key", "checksum", name="uq_process_definitions_key_checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(255))
    checksum: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    bpmn: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    spec_blob: Mapped[str] = deferred(mapped_column(sa.Text))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Who may start it (POST /process-instances, the pages): groups and usernames, from the BPMN
    # (camunda:candidateStarterGroups / camunda:candidateStarterUsers on the process) or given at
    # deploy. None or empty: administrators only.
    starter_groups: Mapped[list | None] = mapped_column(sa.JSON)
    starter_users: Mapped[list | None] = mapped_column(sa.JSON)
    # The form (forms/<key>.schema.json) the start variables must fit; None: no start variables.
    start_form: Mapped[str | None] = mapped_column(sa.String(128))
    # Variables the process computes (script assignments, multi-instance items and collections,
    # service results, unit and due-date variables): callers may never set them.
    protected_variables: Mapped[list | None] = mapped_column(sa.JSON)
    # camunda:initiator on the start event: the variable set to the starter's username at start.
    initiator_variable: Mapped[str | None] = mapped_column(sa.String(128))
    # The names of the messages its message start events wait for: POST /messages starts the
    # latest version of a process on one (None: none, or deployed before this was recorded).
    start_messages: Mapped[list | None] = mapped_column(sa.JSON)
    # How the process reads "ngày" (`dayKind` on the process: "working" or "calendar"; None: it
    # says nothing, or it was deployed before this was recorded). docs/time.md.
    day_kind: Mapped[str | None] = mapped_column(sa.String(16))


# A deployed version never changes (a deployment of a changed model is a new version), but for who
# may start it (a deployment of the same model with starters given replaces them) and who deployed
# it (set to NULL by the database when that user is deleted).
frozen.register(ProcessDefinition, mutable=("starter_groups", "starter_users", "deployed_by_id"))


class Diagram(db.Model):
    """A deployed BPMN file without an executable process: stored and listed, never started.

    Keyed by the file's bpmn:definitions id (else its first process id, else its file name) and
    versioned like a definition: identical content returns the existing version."""

    __tablename__ = "diagrams"
    __table_args__ = (
        sa.UniqueConstraint("key", "version", name="uq_diagrams_key_version"),
        sa.UniqueConstraint("key", "checksum", name="uq_diagrams_key_checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(255))
    checksum: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    bpmn: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    # The processes of the file (all non-executable) and the deploy report's lines.
    processes: Mapped[list | None] = mapped_column(sa.JSON)
    report: Mapped[list | None] = mapped_column(sa.JSON)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
