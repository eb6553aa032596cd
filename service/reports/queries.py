"""The reports' stored reads: the published late lists, the bundles."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import NotFound
from ..extensions import db
from .models import LateReport, ReportBundle


def published(month: str) -> LateReport | None:
    """The late list of a month as published (stored on the 5th), or None."""
    return db.session.get(LateReport, month)


def published_months() -> list[str]:
    """The months whose late list is published, latest first."""
    return list(db.session.scalars(sa.select(LateReport.month).order_by(LateReport.month.desc())))


def bundles() -> list[ReportBundle]:
    """Every bundle, the latest first."""
    return list(
        db.session.scalars(
            sa.select(ReportBundle).order_by(ReportBundle.generated_at.desc(), ReportBundle.id.desc())
        )
    )


def bundle(bundle_id: int) -> ReportBundle:
    found = db.session.get(ReportBundle, bundle_id)
    if found is None:
        raise NotFound(f"There is no report bundle {bundle_id}.")
    return found
