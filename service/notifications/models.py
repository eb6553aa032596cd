"""Notification deliveries (one per event, recipient and channel), officers' contacts, opt-outs."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

CHANNELS = ("sms", "zalo")
# pending -> sending -> sent | pending (retry) | dead; skipped: never sent (opted out, no address).
PENDING, SENDING, SENT, DEAD, SKIPPED = "pending", "sending", "sent", "dead", "skipped"
STATES = (PENDING, SENDING, SENT, DEAD, SKIPPED)


class NotificationDelivery(db.Model):
    """One message: the outbox event it tells of, to whom, over which channel. The unique key is
    what makes it once: a relay that saw the event again adds nothing. Its id is the connector's
    Idempotency-Key, the same on every attempt."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "recipient", "channel"),
        sa.Index("ix_notification_deliveries_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    event_id: Mapped[int] = mapped_column(sa.BigInteger)  # the outbox event's id (kept if it is purged)
    template: Mapped[str] = mapped_column(sa.String(32))
    channel: Mapped[str] = mapped_column(sa.String(8))
    # "applicant" or "user:<id>": whom the message is for (the unique key), and the phone it goes to.
    recipient: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    # The connector's parameters, rendered once: every attempt sends them byte for byte.
    params: Mapped[dict] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.String(64))  # the remote's message id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationContact(db.Model):
    """An officer's phone and the channels they are told on (officers have no phone elsewhere)."""

    __tablename__ = "notification_contacts"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(16))
    sms: Mapped[bool] = mapped_column(default=False)
    zalo: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationOptOut(db.Model):
    """A phone number that asked not to be told on a channel (an applicant's or an officer's):
    nothing is sent there, even a message already queued."""

    __tablename__ = "notification_opt_outs"
    __table_args__ = (sa.UniqueConstraint("phone", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(8))
    note: Mapped[str | None] = mapped_column(sa.String(255))
    created_by: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
