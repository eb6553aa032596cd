"""The one due-date policy: when a task is due, when a dossier is due, when its apology is due.

Every due moment the service stores comes from here, computed with the working-day calendar
(`calendar.workcal.WorkingCalendar`):

- a task (`task_due`): the procedure's step allotment for its element (dossiers: the catalogue's
  `step_allotments`), else the element's `allotment` property, both in days of the kind the
  procedure or its process reads (`day_kind`: working days of office time by default, or calendar
  days of 24 hours); else its `dueIn` (an ISO 8601 duration from when it opened, computed by the
  engine as elapsed time; in office time when the process or procedure states `working` days);
  else the date its `dueDateVariable` names (the close of that day's office hours); else none;
- a step that opens again for the same dossier (appraise after a consultation or a supplement):
  what remains of its allotment (`remaining`), its share minus the working days its earlier rounds
  used (`Dossier.used_before`); nothing left, it is due the moment it opens (any time it then
  takes is late on Mẫu 05, whose verdict for each round compares with what remained);
- a dossier (`dossier_due`): its statutory time from when its clock started (the calendar's
  `statutory_due`: half a day or less is due at the close of that day; else days of its kind),
  moved by the working time it spent waiting for the applicant (`resumed_due`);
- the apology slip (Mẫu 04, `apology_due`): one working day before the dossier is due; for a
  dossier whose whole time is one working day or less, halfway through it (docs/time.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from weakref import WeakKeyDictionary

from .calendar.workcal import CALENDAR, WORKING, WorkingCalendar


def add_days(calendar: WorkingCalendar, start: datetime, days: float, kind: str = WORKING) -> datetime:
    """A step's due moment: `days` working days of office time, or `days` elapsed calendar days."""
    if kind == CALENDAR:
        return calendar.local(start) + _calendar_span(days, calendar)
    return calendar.add_working_days(start, days)


def days_between(calendar: WorkingCalendar, start: datetime, end: datetime, kind: str = WORKING) -> float:
    """The days a step used, in the kind it was allotted: working days of office time, or elapsed
    calendar days (what Mẫu 05's verdict compares with the allotment)."""
    if kind == CALENDAR:
        return (calendar.local(end) - calendar.local(start)) / timedelta(days=1)
    return calendar.working_days_between(start, end)


def _calendar_span(days: float, calendar: WorkingCalendar) -> timedelta:
    amount = Decimal(str(days))
    if not amount.is_finite() or abs(amount) > calendar.max_span_days:
        raise ValueError(f"Not a number of calendar days the calendar counts: {days!r}.")
    return timedelta(microseconds=int((amount * 86_400_000_000).to_integral_value()))


def working_due_in(calendar: WorkingCalendar, opened_at: datetime, engine_due: datetime) -> datetime:
    """A `dueIn` read as working time: its whole days are working days, the rest office time
    (P3D: three working days; PT4H: four office hours, half a day)."""
    elapsed = engine_due - opened_at
    whole = timedelta(days=elapsed.days)
    return calendar.add_working_days(opened_at, elapsed.days + (elapsed - whole) / calendar.day_length)


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
    kind: str = WORKING,
    due_in_kind: str | None = None,
) -> datetime | None:
    """When a task opened at `opened_at` is due (see the module's docstring for the order); the
    calendar may be None when the task counts no days (no allotment, no dueDateVariable, a dueIn
    read as elapsed time). `used_before`: the days earlier rounds of the same step used (a
    reopened step); `kind`: how its allotment counts (`day_kind`); `due_in_kind`: the kind the
    process or procedure states, if any (a dueIn counts office time only when it says working)."""
    days = remaining(allotment(element_id, properties, step_allotments, max_days), used_before)
    if days is not None and calendar is not None:
        return add_days(calendar, opened_at, days, kind) if days > 0 else opened_at
    if engine_due is not None:
        if due_in_kind == WORKING and calendar is not None and properties.get("dueIn"):
            return working_due_in(calendar, opened_at, engine_due)
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


def apology_due(
    due_at: datetime,
    calendar: WorkingCalendar,
    clock_started_at: datetime | None = None,
    paused_days: float = 0.0,
) -> datetime:
    """When the apology slip (Mẫu 04) is due: one working day before the dossier is ("trước 01
    ngày"). When the dossier's whole time, from its clock's start, is one working day or less (a
    same-day or one-day procedure), one day before would be at or before the reception and the
    apology would fall due as processing starts: it is due halfway through that time instead (the
    working days it waited for the applicant, `paused_days`, not counted, so a pause moves it like
    the due moment).

    Every completion of a dossier's tasks asks again (dossiers.follow.timer_variables) with the same
    arguments while the dossier's due moment stands: the answers are kept with the calendar object
    they were computed on (a calendar never changes; one with other overrides is another object,
    and its answers go when it goes)."""
    kept = _APOLOGIES.get(calendar)
    if kept is None:
        kept = _APOLOGIES[calendar] = {}
    key = (due_at, clock_started_at, float(paused_days))
    found = kept.get(key)
    if found is None:
        if len(kept) >= _APOLOGIES_KEPT:
            kept.clear()
        found = kept[key] = _apology_due(due_at, calendar, clock_started_at, float(paused_days))
    return found


# calendar -> {(due_at, clock_started_at, paused_days): apology moment}, at most _APOLOGIES_KEPT each
_APOLOGIES: WeakKeyDictionary[WorkingCalendar, dict] = WeakKeyDictionary()
_APOLOGIES_KEPT = 4096


def _apology_due(
    due_at: datetime, calendar: WorkingCalendar, clock_started_at: datetime | None, paused_days: float
) -> datetime:
    lead = 1.0
    if clock_started_at is not None:
        span = calendar.working_days_between(clock_started_at, due_at) - paused_days
        if span <= 1:
            lead = span / 2
    return calendar.subtract_working_days(due_at, lead) if lead > 0 else due_at


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
    stated = stated_kind(step.instance, step.dossier)
    working_calendar = None
    for row in step.rows:
        properties = row["properties"] or {}
        days = allotment(row["element_id"], properties, allotments, max_days)
        counts = days is not None or properties.get("dueDateVariable")
        if working_calendar is None and (counts or (stated == WORKING and properties.get("dueIn"))):
            working_calendar = calendar()  # only for the tasks that count days
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
            kind=stated or WORKING,
            due_in_kind=stated,
        )


def day_kind(instance, dossier) -> str:
    """How a dossier's or a task's "ngày" are read: the procedure's `day_kind` (the catalogue),
    else its process's declared `dayKind`, else working days."""
    return stated_kind(instance, dossier) or WORKING


def stated_kind(instance, dossier) -> str | None:
    """The kind of day a step's instance states: its dossier's procedure's `day_kind`, else its
    process's declared `dayKind` (the compiled definition, cached: no query); None if neither."""
    from . import runtime

    procedure_kind = dossier.procedure.day_kind if dossier is not None else None
    return procedure_kind or runtime.compiled(instance.definition_id).day_kind
