"""The one SLA rule: how a task or a dossier stands against its due moment.

The worklist, the dossier pages, the API's overdue filter, the SLA watch and the late list all
call this module, in Python (`classify`; `Task.sla` and `Dossier.sla` give it their moments) or
in SQL (`condition`, given a model's columns: `tasks.models.SLA_COLUMNS`,
`dossiers.models.SLA_COLUMNS`) with the same meaning:

- open (not finished): LATE once the due moment has passed; DUE_SOON within one working day of
  office time before it; EARLY before that;
- a dossier waiting for the applicant (its clock paused): the moment the supplement was asked
  for counts as its end (DOMAIN.md §2), so it is LATE if that was after the due moment and
  PAUSED otherwise, whatever the time now;
- finished: the verdict of Mẫu 05 against the due moment, LATE after it, ON_TIME on the due day,
  EARLY on an earlier day (in the offices' time zone);
- no due moment: no class (None).

The SQL forms filter lists: IN_TIME is EARLY or ON_TIME (a finished item's day is not compared in
SQL; a list filter "in time" does not need it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from .calendar.workcal import WorkingCalendar


class Sla(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    LATE = "late"
    PAUSED = "paused"


IN_TIME = "in_time"  # a list filter: EARLY or ON_TIME


@dataclass(frozen=True)
class Window:
    """The moment items are judged at, and the end of its 'due soon' span (one working day)."""

    now: datetime
    soon: datetime
    calendar: WorkingCalendar

    @classmethod
    def at(cls, now: datetime, calendar: WorkingCalendar) -> Window:
        return cls(now, calendar.add_working_days(now, 1), calendar)


def classify(
    due_at: datetime | None,
    *,
    finished_at: datetime | None = None,
    paused_at: datetime | None = None,
    window: Window,
) -> Sla | None:
    """The class of an item due at `due_at` (see the module's docstring)."""
    if due_at is None:
        return None
    if finished_at is not None:
        return Sla(window.calendar.dossier_verdict(due_at, finished_at))
    if paused_at is not None:
        return Sla.LATE if paused_at > due_at else Sla.PAUSED
    if window.now > due_at:
        return Sla.LATE
    return Sla.DUE_SOON if due_at <= window.soon else Sla.EARLY


@dataclass(frozen=True)
class Columns:
    """A model's columns and conditions the SQL form of the rule reads."""

    due_at: sa.ColumnElement
    finished_at: sa.ColumnElement
    unfinished: sa.ColumnElement[bool]  # open: still to be done
    finished: sa.ColumnElement[bool]  # done: judged by when it finished
    paused_at: sa.ColumnElement | None = None  # dossiers: when they began to wait for the applicant


def condition(klass: str, window: Window, columns: Columns) -> sa.ColumnElement[bool]:
    """SQL: the rows of a class (LATE, DUE_SOON, EARLY, IN_TIME, PAUSED; "none": no due moment)."""
    due_at, finished_at, finished = columns.due_at, columns.finished_at, columns.finished
    if klass == "none":
        return due_at.is_(None)
    paused = None
    running = columns.unfinished
    if columns.paused_at is not None:
        paused = sa.and_(columns.unfinished, columns.paused_at.is_not(None))
        running = sa.and_(columns.unfinished, columns.paused_at.is_(None))
    if klass == Sla.PAUSED:
        return sa.and_(paused, columns.paused_at <= due_at) if paused is not None else sa.false()
    if klass == Sla.LATE:
        late = [sa.and_(running, due_at < window.now), sa.and_(finished, finished_at > due_at)]
        if paused is not None:  # asked for a supplement only after the due moment had passed
            late.append(sa.and_(paused, columns.paused_at > due_at))
        return sa.or_(*late)
    if klass == Sla.DUE_SOON:
        return sa.and_(running, due_at >= window.now, due_at <= window.soon)
    if klass in (Sla.EARLY, IN_TIME):
        return sa.or_(sa.and_(running, due_at > window.soon), sa.and_(finished, finished_at <= due_at))
    raise ValueError(f"no SQL condition for the SLA class {klass!r}")
