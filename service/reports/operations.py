"""Reports: the monthly public list of late dossiers, with the officers and units responsible.

The seed (QĐ 242, I.7) has the provincial office publish, on the 5th of each month, the late
dossiers of the previous month and the officers who caused the delay.

A late dossier always names someone (`responsible`, each entry with its `reason`):

1. `late_step`: every step of Mẫu 05 whose verdict is late (a reopened step is judged against what
   remained of its share, so a step that used up its share in earlier rounds is late here);
2. else `open_at_due`: the steps of the main path that were open when the dossier's due moment
   passed (started at or before it and ended after it, or still open: a task not yet done has no
   verdict), their unit and officer (an open task's assignee; none if it is still with its
   candidates: the unit answers). Parallel steps open then are all named;
3. else `last_before_due`: the last step of the main path that ended at or before the due moment
   (the due moment passed while no officer held the dossier, e.g. in an automatic step), or if none
   ended by then the last step before the dossier finished.

The main path is the process's, as the engine reads it (`engine.allotments.main_path_elements`):
steps that run beside it on a boundary event (the apology, Mẫu 04) or wait for the applicant
(`clock=paused`, whose time does not count) are never named by rules 2 and 3.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from .. import runtime, sla
from ..calendar.operations import calendar
from ..dossiers.models import SLA_COLUMNS, Dossier, DossierStep
from ..engine.allotments import main_path_elements
from ..extensions import db
from ..identity.models import User
from ..identity.operations import unit_name
from ..instances.models import ProcessInstance
from ..jobs.models import LateReport
from ..models_base import utcnow
from ..tasks.models import OPEN, Task


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
        rows.append(
            {
                "code": dossier.code,
                "procedure": dossier.procedure.code,
                "unit_code": dossier.unit_code,
                "due_at": dossier.due_at.isoformat() if dossier.due_at else None,
                "finished_at": dossier.finished_at.isoformat() if dossier.finished_at else None,
                "responsible": responsible(dossier),
            }
        )
    return rows


def responsible(dossier: Dossier) -> list[dict]:
    """Who made a late dossier late (the module's rules, in order)."""
    steps = db.session.scalars(
        sa.select(DossierStep)
        .where(DossierStep.dossier_id == dossier.id)
        .order_by(DossierStep.started_at, DossierStep.id)
    ).all()
    late = [_entry(step, "late_step") for step in steps if step.verdict == "late"]
    if late or dossier.due_at is None:
        return late
    due = dossier.due_at
    tasks = db.session.scalars(sa.select(Task).where(Task.instance_id == dossier.instance_id)).all()
    paused = {task.element_id for task in tasks if (task.properties or {}).get("clock") == "paused"}
    main = _main_path(dossier) - paused
    on_path = [step for step in steps if step.element_id in main]
    held = [_entry(step, "open_at_due") for step in on_path if step.started_at <= due < step.ended_at]
    held += [
        _open_entry(task)
        for task in sorted(tasks, key=lambda task: task.created_at)
        if task.state == OPEN and task.element_id in main and task.created_at <= due
    ]
    if held:
        return held
    before = [step for step in on_path if step.ended_at <= due] or on_path
    return [_entry(before[-1], "last_before_due")] if before else []


def _main_path(dossier: Dossier) -> frozenset[str]:
    definition_id = db.session.scalar(
        sa.select(ProcessInstance.definition_id).where(ProcessInstance.id == dossier.instance_id)
    )
    return main_path_elements(runtime.compiled(definition_id))


def _entry(step: DossierStep, reason: str) -> dict:
    return {
        "officer": step.actor,
        "unit": step.unit,
        "step": step.name,
        "element_id": step.element_id,
        "allotted_days": step.allotted_days,
        "used_days": step.used_days,
        "reason": reason,
    }


def _open_entry(task: Task) -> dict:
    """A task still open past the due moment: no verdict yet, its unit and its assignee."""
    officer = db.session.get(User, task.assignee_id).username if task.assignee_id else None
    unit = unit_name(task.unit) if task.unit else task.lane or ", ".join(task.candidate_groups or []) or None
    return {
        "officer": officer,
        "unit": unit,
        "step": task.name,
        "element_id": task.element_id,
        "allotted_days": None,
        "used_days": None,
        "reason": "open_at_due",
    }


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
