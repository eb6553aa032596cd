"""The one due-date policy: when a task is due, when a dossier is due, when its apology is due.

Every due moment the service stores comes from here, computed with the working-day calendar
(`calendar.workcal.WorkingCalendar`):

- a task (`task_due`): the procedure's step allotment for its element (dossiers: the catalogue's
  `step_allotments`), else the element's `allotment` property, both in working days; else its
  `dueIn` (an ISO 8601 duration from when it opened, computed by the engine); else the date its
  `dueDateVariable` names; else none;
- a step that opens again for the same dossier (appraise after a consultation or a supplement):
  what remains of its allotment (`remaining`), its share minus the working days its earlier rounds
  used (`Dossier.used_before`); nothing left, it is due the moment it opens (any time it then
  takes is late on Mẫu 05, whose verdict for each round compares with what remained);
- a dossier (`dossier_due`): its statutory processing days from when its clock started, moved by
  the working time it spent waiting for the applicant (`resumed_due`);
- the apology slip (Mẫu 04, `apology_due`): one working day before the dossier is due.
"""

from __future__ import annotations

from datetime import datetime

from .calendar.workcal import WORKING, WorkingCalendar


def allotment(
    element_id: str, properties: dict, step_allotments: dict | None, max_days: float
) -> float | None:
    """The working days allotted to a step: the procedure's step allotment for the element, else the
    element's `allotment` property; None without one, or out of the statutory range (0, max_days]
    (refused at deploy and at catalogue load; a value stored before those checks counts as none)."""
    value = (step_allotments or {}).get(element_id) or properties.get("allotment")
    try:
        days = float(value) if value else None
    except (TypeError, ValueError):
        return None
    return days if days is not None and 0 < days <= max_days else None


def remaining(days: float | None, used_before: float) -> float | None:
    """What remains of a step's allotment after its earlier rounds used `used_before` working days:
    never below 0 (then the step is due when it opens)."""
    if days is None:
        return None
    return max(round(days - used_before, 4), 0.0)


def task_due(
    element_id: str,
    properties: dict,
    *,
    opened_at: datetime,
    engine_due: datetime | None,
    variables: dict,
    calendar: WorkingCalendar | None,
    max_days: float,
    step_allotments: dict | None = None,
    used_before: float = 0.0,
) -> datetime | None:
    """When a task opened at `opened_at` is due (see the module's docstring for the order); the
    calendar may be None when the task counts no working days (no allotment, no dueDateVariable).
    `used_before`: the working days earlier rounds of the same step used (a reopened step)."""
    days = remaining(allotment(element_id, properties, step_allotments, max_days), used_before)
    if days is not None and calendar is not None:
        return calendar.add_working_days(opened_at, days) if days > 0 else opened_at
    if engine_due is not None:
        return engine_due
    return _variable_due(properties, variables, calendar) if calendar is not None else None


def _variable_due(properties: dict, variables: dict, calendar: WorkingCalendar) -> datetime | None:
    """The moment named by the `dueDateVariable` property: an ISO datetime, or a date (the end of
    that day's office hours in the offices' time zone)."""
    name = properties.get("dueDateVariable")
    value = variables.get(name) if name else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = datetime.combine(moment.date(), calendar.periods[-1][1], tzinfo=calendar.tz)
    return moment


def dossier_due(
    clock_started_at: datetime, processing_days: float, calendar: WorkingCalendar, kind: str = WORKING
) -> datetime:
    """When a dossier is due: its statutory time from when its clock started (the calendar's
    `statutory_due`: the same-day rule for half a day or less, else days of the kind it counts)."""
    return calendar.statutory_due(clock_started_at, processing_days, kind)


def resumed_due(due_at: datetime, paused_days: float, calendar: WorkingCalendar) -> datetime:
    """A due moment moved by the working days a dossier spent waiting for the applicant."""
    return calendar.add_working_days(due_at, paused_days) if paused_days > 0 else due_at


def apology_due(due_at: datetime, calendar: WorkingCalendar) -> datetime:
    """When the apology slip (Mẫu 04) is due: one working day before the dossier is."""
    return calendar.subtract_working_days(due_at, 1)


def due_dates(step) -> None:
    """Stage of the step pipeline (service/steps.py): the due moment of every task the step
    opened, by `task_due`, with the dossier's step allotments when the instance drives one (and
    what remains of them for a step that opens again: it runs after dossiers.follow.record_steps,
    which notes the round that just ended)."""
    if not step.rows:
        return
    from flask import current_app

    from .calendar.operations import calendar

    engine_due = {task.id: task.due_at for task in step.result.opened}
    allotments = step.dossier.procedure.step_allotments if step.dossier is not None else None
    max_days = current_app.config["MOTCUA_MAX_ALLOTMENT_DAYS"]
    working_calendar = None
    for row in step.rows:
        properties = row["properties"] or {}
        days = allotment(row["element_id"], properties, allotments, max_days)
        if working_calendar is None and (days is not None or properties.get("dueDateVariable")):
            working_calendar = calendar()  # only for the tasks that count working days
        row["due_at"] = task_due(
            row["element_id"],
            properties,
            opened_at=step.now,
            engine_due=engine_due.get(str(row["id"])),
            variables=step.result.variables,
            calendar=working_calendar,
            max_days=max_days,
            step_allotments=allotments,
            used_before=step.dossier.used_before(row["element_id"], step.now)
            if step.dossier is not None and days is not None
            else 0.0,
        )
