"""Attachments: one row per uploaded file; the bytes live in MOTCUA_UPLOAD_DIR under storage_key."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..identity.models import User
from ..models_base import UTCDateTime, utcnow


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (sa.Index("ix_attachments_instance_id_uploaded_at", "instance_id", "uploaded_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("process_instances.id", ondelete="CASCADE"))
    # The task it was uploaded on (tasks are never deleted apart from their instance).
    task_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # Set when the instance is a dossier's.
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    # The name of the dossier component this file digitises, if any.
    component: Mapped[str | None] = mapped_column(sa.String(500))
    # The uploader's file name, sanitised (shown, and given back in Content-Disposition).
    filename: Mapped[str] = mapped_column(sa.String(255))
    # Found from the content (magic bytes), never taken from the client.
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # Random; the file's name under MOTCUA_UPLOAD_DIR. Never derived from the uploaded name.
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A PDF's PAdES signatures as checked when it was stored (service/signatures/keys.check):
    # [{"signer", "organisation", "signed_at", "intact", "valid", "trusted", "whole_file", "good"}];
    # None for an image or a PDF that could not be read.
    signatures: Mapped[list | None] = mapped_column(sa.JSON)

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")
