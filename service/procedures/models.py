"""The procedure catalogue (thủ tục hành chính, TTHC): one row per version of a procedure.

A change to a procedure (an administrator's edit, a catalogue file, a localisation from the
national TTHC database, an approved internal procedure) closes its current version (`valid_to`)
and adds the next one; a dossier points at the version it was received under, so its statutory
time, step allotments and day kind never change after receipt. The current version of a code is
the one with `valid_to` NULL (unique per code).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .. import frozen
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

# Where a version came from.
SOURCES = ("catalogue", "national", "internal_procedure")


class Procedure(db.Model):
    __tablename__ = "procedures"
    __table_args__ = (
        sa.UniqueConstraint("code", "version", name="uq_procedures_code_version"),
        sa.Index(
            "uq_procedures_current_code",
            "code",
            unique=True,
            sqlite_where=sa.text("valid_to IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(sa.String(32), default="catalogue", server_default="catalogue")
    name: Mapped[str] = mapped_column(sa.String(500))
    field: Mapped[str | None] = mapped_column(sa.String(255))
    level: Mapped[str | None] = mapped_column(sa.String(64))
    unit_code: Mapped[str | None] = mapped_column(sa.String(64))
    # Statutory processing time in working days (fractions allowed).
    processing_days: Mapped[Decimal] = mapped_column(sa.Numeric(8, 3))
    components: Mapped[list] = mapped_column(sa.JSON, default=list)
    fee: Mapped[str | None] = mapped_column(sa.String(255))
    # The legal documents it rests on (căn cứ pháp lý), as published.
    legal_basis: Mapped[list | None] = mapped_column(sa.JSON)
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
    # Offered as a full-process online public service (dịch vụ công trực tuyến toàn trình): its
    # dossiers are the denominator of the QĐ 766 "fully online" indicator (reports/indicators.py).
    full_online: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def current(self) -> bool:
        return self.valid_to is None


# A change of the catalogue writes a new version: an old one only gets its valid_to.
frozen.register(Procedure, mutable=("valid_to",))
