"""What the workers keep of the reports: the monthly late list as published, and the bundles (the
files of the monthly and quarterly reports) generated on schedule."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class ReportBundle(db.Model):
    """One generated bundle: a ZIP file under MOTCUA_REPORTS_DIR (`storage_key`, random), with its
    SHA-256 and size so that what is downloaded can be checked against what was generated. One
    per period: a rerun of the job keeps the first."""

    __tablename__ = "report_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # monthly, quarterly
    period: Mapped[str] = mapped_column(sa.String(32), unique=True)  # e.g. reporting-month:2026-11
    filename: Mapped[str] = mapped_column(sa.String(128))  # the name it is downloaded as
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))  # hex
    size: Mapped[int] = mapped_column(sa.BigInteger)
    parts: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{name, rows}]
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LateReport(db.Model):
    """The public list of late dossiers and the officers and units responsible, per month."""

    __tablename__ = "late_reports"

    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # YYYY-MM
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rows: Mapped[list] = mapped_column(sa.JSON, default=list)
