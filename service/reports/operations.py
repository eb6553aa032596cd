"""Reports: the list of late dossiers of a period, with the officers and units responsible.

The seed (QĐ 242, I.7) has the provincial office publish, on the 5th of each month, the late
dossiers of the previous month and the officers who caused the delay. The list of any period is
judged at the period's end by dossiers/judging.py (a past period gives the same answer after its
dossiers move on); the calendar month's list is stored (`late_reports`) when it is published.

A late dossier always names someone (`responsible`, each entry with its `reason`):

1. `late_step`: every step of Mẫu 05 ended by the period's end whose verdict is late (a reopened
   step is judged against what remained of its share, so a step that used up its share in earlier
   rounds is late here);
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

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from .. import runtime
from ..calendar import periods
from ..calendar.periods import Period
from ..dossiers import judging
from ..dossiers.models import Dossier, DossierStep
from ..engine.allotments import main_path_elements
from ..extensions import db
from ..identity.models import OrgUnit
from ..identity.operations import Unit, units
from ..instances.models import ProcessInstance
from ..models_base import utcnow
from ..tasks.models import OPEN, Task
from .exports import Column
from .models import LateReport

COLUMNS = [
    Column("code", "Mã hồ sơ", 28),
    Column("procedure", "Mã thủ tục", 14),
    Column("procedure_name", "Tên thủ tục hành chính", 40),
    Column("unit_name", "Đơn vị tiếp nhận", 28),
    Column("due_at", "Hạn trả kết quả", 17),
    Column("finished_at", "Ngày hoàn thành", 17),
    Column("standing", "Tình trạng", 16),
    Column("responsible_text", "Đơn vị, cán bộ chịu trách nhiệm", 60),
]
STANDING_LABELS = {
    judging.Standing.LATE: "Hoàn thành quá hạn",
    judging.Standing.OPEN_LATE: "Đang xử lý quá hạn",
}
REASON_LABELS = {
    "late_step": "bước xử lý quá hạn",
    "open_at_due": "đang giữ hồ sơ khi đến hạn",
    "last_before_due": "bước cuối trước hạn",
}


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["MOTCUA_TIMEZONE"])


def month_period(month: str) -> Period:
    """The calendar month `YYYY-MM` (the stored lists' key) as a Period."""
    return periods.parse(f"month:{month}", zone())


def current(kind: str) -> Period:
    """The period of a kind that holds now (office time)."""
    return periods.containing(kind, utcnow().astimezone(zone()))


def judged_at(period: Period, now: datetime | None = None) -> datetime:
    """The moment a period's dossiers are judged at: its end, or now for a period not over."""
    return min(period.end, now or utcnow())


def late_rows(period: Period | str, *, now: datetime | None = None) -> list[dict]:
    """The dossiers late in a period, judged at its end by the one rule (dossiers/judging.py): the
    dossiers it counts (received before its end, not finished before its start) that stood late
    then: finished late by then, or open past their due moment as it stood then (a dossier
    waiting for the applicant is late only if the request came after that due moment). A
    dossier finished after the period's end but already late at it is on the list; what happened
    after the end (a pause ended, a step done) changes nothing.

    A few statements, not a few per dossier: the late dossiers (with their procedure and their
    process definition), the units' names, then their steps and tasks (with their assignees) one
    statement per 500 dossiers (`responsible_for`)."""
    if isinstance(period, str):
        period = month_period(period)
    moment = judged_at(period, now)
    standing = judging.standing(moment).label("standing")
    due = judging.due_at(moment).label("due_then")
    query = (
        sa.select(Dossier, due, standing, ProcessInstance.definition_id)
        .join(ProcessInstance, ProcessInstance.id == Dossier.instance_id)
        .where(
            judging.counted(period.start, period.end),
            judging.standing(moment).in_([str(value) for value in judging.LATE]),
        )
        .order_by(due, Dossier.code)
    )
    found = db.session.execute(query).all()
    names = _unit_names()
    who = responsible_for(
        [Late(dossier, due_then, definition_id) for dossier, due_then, _, definition_id in found],
        moment=moment,
    )
    rows = []
    for dossier, due_then, standing_then, _ in found:
        rows.append(
            {
                "code": dossier.code,
                "procedure": dossier.procedure.code,
                "procedure_name": dossier.procedure.name,
                "unit_code": dossier.unit_code,
                "unit_name": names.get(dossier.unit_code) or dossier.unit_code,
                "due_at": due_then.isoformat() if due_then else None,
                "finished_at": (
                    dossier.finished_at.isoformat()
                    if dossier.finished_at and dossier.finished_at <= moment
                    else None
                ),
                "standing": str(standing_then),
                "responsible": who[dossier.id],
            }
        )
    return rows


def _unit_names() -> dict[str, str]:
    """The receiving units' names by their national code (a dossier's `unit_code`)."""
    return {
        code: name
        for code, name in db.session.execute(
            sa.select(OrgUnit.national_code, OrgUnit.name).where(OrgUnit.national_code.is_not(None))
        )
    }


def table_rows(rows: list[dict]) -> list[dict]:
    """A list's rows as the CSV/XLSX print them: moments as moments, who and why in words."""
    out = []
    for row in rows:
        out.append(
            {
                **row,
                "procedure_name": row.get("procedure_name") or row.get("procedure"),
                "unit_name": row.get("unit_name") or row.get("unit_code"),
                "due_at": _moment(row.get("due_at")),
                "finished_at": _moment(row.get("finished_at")),
                "standing": STANDING_LABELS.get(row.get("standing"), row.get("standing") or ""),
                "responsible_text": "; ".join(describe(entry) for entry in row.get("responsible") or []),
            }
        )
    return out


def describe(entry: dict) -> str:
    """One responsible entry in words: unit, officer, step, why."""
    who = " - ".join(part for part in (entry.get("unit"), entry.get("officer")) if part) or "?"
    why = REASON_LABELS.get(entry.get("reason"), entry.get("reason") or "")
    return f"{who} ({entry.get('step')}: {why})"


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Late:
    """A late dossier as `responsible_for` reads it: the dossier, its due moment as it stood at the
    judging moment, its process definition (None: read it)."""

    dossier: Dossier
    due: datetime | None
    definition_id: int | None = None


# Ids per IN (...) list: below every database's limit on bound parameters (SQLite's 999 of old).
_BATCH = 500


def responsible(
    dossier: Dossier, *, due: datetime | None = None, moment: datetime | None = None
) -> list[dict]:
    """Who made one late dossier late (`responsible_for` for one dossier)."""
    return responsible_for([Late(dossier, due)], moment=moment)[dossier.id]


def responsible_for(late: list[Late], *, moment: datetime | None = None) -> dict[uuid.UUID, list[dict]]:
    """Who made each late dossier late (the module's rules, in order), by dossier id, as things
    stood at `moment` (the period's end: steps begun after it are not looked at, a step's late
    verdict counts once it ended by then) against its due moment as it stood then (`Late.due`,
    the dossier's present one if None).

    Set-based: the steps of all the dossiers in one statement per batch of `_BATCH` dossiers, their
    tasks (with their assignees) likewise, the definitions missing from `Late` in one more; the
    main path once per definition; the units' names once per unit of work."""
    moment = moment or utcnow()
    if not late:
        return {}
    dossier_ids = [item.dossier.id for item in late]
    steps: dict[uuid.UUID, list[DossierStep]] = defaultdict(list)
    for chunk in _chunks(dossier_ids):
        for step in db.session.scalars(
            sa.select(DossierStep)
            .where(DossierStep.dossier_id.in_(chunk), DossierStep.started_at <= moment)
            .order_by(DossierStep.started_at, DossierStep.id)
        ):
            steps[step.dossier_id].append(step)
    answers: dict[uuid.UUID, list[dict]] = {}
    pending: list[Late] = []
    for item in late:
        due = item.due or item.dossier.due_at
        found = [
            _entry(step, "late_step")
            for step in steps[item.dossier.id]
            if step.verdict == "late" and step.ended_at <= moment
        ]
        if found or due is None:
            answers[item.dossier.id] = found
        else:
            pending.append(item)
    if not pending:
        return answers
    instance_ids = [item.dossier.instance_id for item in pending]
    tasks: dict[uuid.UUID, list[Task]] = defaultdict(list)
    for chunk in _chunks(instance_ids):
        for task in db.session.scalars(
            sa.select(Task).where(Task.instance_id.in_(chunk)).order_by(Task.created_at, Task.id)
        ).unique():
            tasks[task.instance_id].append(task)
    definitions = {item.dossier.instance_id: item.definition_id for item in pending}
    unknown = [instance_id for instance_id, definition in definitions.items() if definition is None]
    for chunk in _chunks(unknown):
        definitions.update(
            db.session.execute(
                sa.select(ProcessInstance.id, ProcessInstance.definition_id).where(
                    ProcessInstance.id.in_(chunk)
                )
            ).tuples()
        )
    paths: dict[int, frozenset[str]] = {}
    known = units()
    for item in pending:
        dossier = item.dossier
        definition_id = definitions[dossier.instance_id]
        if definition_id not in paths:
            paths[definition_id] = main_path_elements(runtime.compiled(definition_id))
        answers[dossier.id] = _not_by_a_late_step(
            steps[dossier.id],
            tasks[dossier.instance_id],
            paths[definition_id],
            known,
            due=item.due or dossier.due_at,
        )
    return answers


def _not_by_a_late_step(
    steps: list[DossierStep], tasks: list[Task], main: frozenset[str], known: dict[str, Unit], *, due
) -> list[dict]:
    """Rules 2 and 3 for one dossier with no late step: its steps (begun by the judging moment, in
    order), its tasks (in order of creation), the main path of its process, the org units by
    code."""
    paused = {task.element_id for task in tasks if (task.properties or {}).get("clock") == "paused"}
    main = main - paused
    on_path = [step for step in steps if step.element_id in main]
    held = [_entry(step, "open_at_due") for step in on_path if step.started_at <= due < step.ended_at]
    held += [
        _open_entry(task, known)
        for task in tasks
        if task.state == OPEN and task.element_id in main and task.created_at <= due
    ]
    if held:
        return held
    before = [step for step in on_path if step.ended_at <= due] or on_path
    return [_entry(before[-1], "last_before_due")] if before else []


def _chunks(values: list) -> list[list]:
    return [values[index : index + _BATCH] for index in range(0, len(values), _BATCH)]


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


def _open_entry(task: Task, known: dict[str, Unit]) -> dict:
    """A task still open past the due moment: no verdict yet, its unit and its assignee."""
    officer = task.assignee.username if task.assignee is not None else None
    unit = (
        _unit_name(task.unit, known)
        if task.unit
        else task.lane or ", ".join(task.candidate_groups or []) or None
    )
    return {
        "officer": officer,
        "unit": unit,
        "step": task.name,
        "element_id": task.element_id,
        "allotted_days": None,
        "used_days": None,
        "reason": "open_at_due",
    }


def _unit_name(code: str, known: dict[str, Unit]) -> str:
    """identity's unit_name, from the units read once for the list."""
    unit = known.get(code)
    return (unit.name if unit else None) or code


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
