"""Reports: the monthly public list of late dossiers, with the officers and units responsible.

The seed (QĐ 242, I.7) has the provincial office publish, on the 5th of each month, the late
dossiers of the previous month and the officers who caused the delay.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from .. import sla
from ..calendar.operations import calendar
from ..dossiers.models import SLA_COLUMNS, Dossier, DossierStep
from ..extensions import db
from ..jobs.models import LateReport
from ..models_base import utcnow


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=tz)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=tz)
    return start, end


def late_rows(month: str) -> list[dict]:
    """Dossiers late in a month by the SLA rule (service/sla.py) judged at its end: finished late in
    it, or still open and late at its end (a dossier waiting for the applicant counts from the
    moment the supplement was asked for)."""
    start, end = _month_bounds(month)
    late = sla.condition(sla.Sla.LATE, sla.Window.at(end, calendar()), SLA_COLUMNS)
    this_month = sa.or_(
        Dossier.finished_at.is_(None), sa.and_(Dossier.finished_at >= start, Dossier.finished_at < end)
    )
    rows = []
    for dossier in db.session.scalars(
        sa.select(Dossier).where(late, this_month, Dossier.received_at < end).order_by(Dossier.due_at)
    ):
        late_steps = db.session.scalars(
            sa.select(DossierStep).where(DossierStep.dossier_id == dossier.id, DossierStep.verdict == "late")
        ).all()
        rows.append(
            {
                "code": dossier.code,
                "procedure": dossier.procedure.code,
                "unit_code": dossier.unit_code,
                "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
                "finished_at": dossier.finished_at.isoformat() if dossier.finished_at else None,
                "responsible": [
                    {
                        "officer": step.actor,
                        "unit": step.unit,
                        "step": step.name,
                        "allotted_days": step.allotted_days,
                        "used_days": step.used_days,
                    }
                    for step in late_steps
                ],
            }
        )
    return rows


def late_report(month: str, *, fresh: bool = False) -> LateReport:
    """The list of a month as stored (on the 5th, for the month before), or worked out now when
    none is stored or `fresh` is asked (then nothing is stored: reading writes nothing)."""
    report = None if fresh else db.session.get(LateReport, month)
    return report or LateReport(month=month, rows=late_rows(month), generated_at=utcnow())


def generate(month: str, *, replace: bool = False) -> LateReport:
    """Store the list of a month once, in the caller's unit of work (a rerun of the job keeps the
    first one unless replace)."""
    report = db.session.get(LateReport, month)
    if report is not None and not replace:
        return report
    if report is None:
        report = LateReport(month=month)
        db.session.add(report)
    report.rows, report.generated_at = late_rows(month), utcnow()
    db.session.flush()
    return report


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"
