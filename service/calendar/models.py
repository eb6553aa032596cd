"""Admin-maintained exceptions to the holiday package: extra days off and extra working days."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

OVERRIDE_KINDS = ("off", "working")


class CalendarOverride(db.Model):
    """One day whose status the administrator fixes: 'off' (nghỉ) or 'working' (làm bù)."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (sa.CheckConstraint("kind IN ('off', 'working')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
