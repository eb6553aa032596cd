"""What Motcua keeps of its exchanges with the national portal: the status pushes (one per status
change of a portal dossier, sent in order, retried, an incident when the retries run out) and the
supplements received (one per portal supplement id)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATES = (PENDING, SENDING, SENT, FAILED)


class StatusPush(db.Model):
    """One status change of a portal dossier, to send to the portal. Made by the outbox relay from
    the `dossier.status_changed` event `event_id` (unique: an event relayed again makes no second
    push); a dossier's pushes go out in the order of their events, one after the other."""

    __tablename__ = "dvcqg_status_pushes"
    __table_args__ = (
        sa.Index("ix_dvcqg_status_pushes_dossier_event", "dossier_id", "event_id"),
        sa.Index("ix_dvcqg_status_pushes_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"))
    instance_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # the connector call's, as sent
    state: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    backoff_seconds: Mapped[float] = mapped_column(default=2.0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalSupplement(db.Model):
    """A supplement the applicant sent on the portal, applied once (its portal id is unique per
    dossier): a second delivery of it gets the first answer."""

    __tablename__ = "dvcqg_supplements"
    __table_args__ = (sa.UniqueConstraint("dossier_id", "supplement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"))
    supplement_id: Mapped[str] = mapped_column(sa.String(64))
    files: Mapped[list] = mapped_column(sa.JSON, default=list)  # the attachments' ids
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
