"""The procedure catalogue (thủ tục hành chính, TTHC)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Procedure(db.Model):
    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(500))
    field: Mapped[str | None] = mapped_column(sa.String(255))
    level: Mapped[str | None] = mapped_column(sa.String(64))
    unit_code: Mapped[str | None] = mapped_column(sa.String(64))
    # Statutory processing time in working days (fractions allowed).
    processing_days: Mapped[Decimal] = mapped_column(sa.Numeric(8, 3))
    components: Mapped[list] = mapped_column(sa.JSON, default=list)
    fee: Mapped[str | None] = mapped_column(sa.String(255))
    # The fee the process collects before the result is issued, in đồng (the fee step requests it
    # online, service/payments): 0 means free; None: no fee collected through the process (a fee
    # in words, if any, is collected at the counter when the result is returned).
    fee_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Per-step allotments of the internal procedure: BPMN element id -> working days.
    step_allotments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    process_key: Mapped[str] = mapped_column(sa.String(255), default="dossier")
    # How its statutory time and step allotments read "ngày": "working" or "calendar"; None: as its
    # process says (`dayKind`), else working days. Wins over the process for its dossiers.
    day_kind: Mapped[str | None] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
