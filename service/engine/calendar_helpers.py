"""The working-day calendar offered to scripts and timer expressions.

The service hands every command the office's working calendar as a value (`calendar=`, any
object with the methods of `Calendar`, such as service.calendar.workcal.WorkingCalendar); the
engine never asks anyone for it. For the length of the step it is the calendar of
`working_days_from_now(days)`, `add_working_days(start, days)` and `days_after(day, days)`. A step
given no calendar has the helpers all the same; calling one is then a script error naming it.

`days_after(day, days)` is the date a period of whole "ngày" from `day` ends on, in the way the
process reads "ngày" (its `dayKind`, declarations.py; working days when it says nothing): the
`days`-th working day after `day`, or `day` plus `days` calendar days, moved to the next working
day when that one is not worked. A `dueDateVariable` holding that date is due at the close of its
office hours (service/deadlines.py). See docs/time.md.

The helpers count against the script's budget: their input is bounded (max_calendar_days, before
the calendar is asked) and the script's CPU budget is checked right after each call, so a slow
calendar call ends the script at once rather than at its next loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from . import clock
from .errors import ScriptError
from .limits import Budgets, exceeded
from .sandbox import charge

HELPERS = ("working_days_from_now", "add_working_days", "days_after")


class Calendar(Protocol):
    """What the engine needs of a working calendar: `days` working days after `start`."""

    def add_working_days(self, start: datetime, days: float) -> datetime: ...

    def is_working_day(self, day: date) -> bool: ...

    def next_working_day(self, day: date) -> date: ...


_calendar: ContextVar[Calendar | None] = ContextVar("motcua_engine_calendar", default=None)
_day_kind: ContextVar[str | None] = ContextVar("motcua_engine_day_kind", default=None)


@contextmanager
def using(calendar: Calendar | None, day_kind: str | None = None) -> Iterator[None]:
    """Make `calendar` the helpers' calendar, and `day_kind` how `days_after` reads "ngày", for
    the enclosed engine work (one step)."""
    token, kind_token = _calendar.set(calendar), _day_kind.set(day_kind)
    try:
        yield
    finally:
        _calendar.reset(token)
        _day_kind.reset(kind_token)


def _current(name: str) -> Calendar:
    calendar = _calendar.get()
    if calendar is None:
        raise ScriptError(f"NameError: {name}() needs the working calendar, and this step was given none")
    return calendar


def calendar_functions(budgets: Budgets) -> dict[str, Callable[..., str]]:
    """The helpers, reading the calendar of the running step (see `using`)."""

    def checked_days(name: str, days: object) -> float:
        refused = ScriptError(f"TypeError: {name}() needs a number of working days, not {days!r}")
        if not isinstance(days, int | float | str):
            raise refused
        try:
            value = float(days)
        except (ValueError, OverflowError):
            raise refused from None
        if not math.isfinite(value) or abs(value) > budgets.max_calendar_days:
            what = f"{name}({days!r}) would count more than {budgets.max_calendar_days:,} working days"
            message = exceeded("max_calendar_days", budgets.max_calendar_days, what)
            raise ScriptError(message, budget="max_calendar_days")
        return value

    def working_days_from_now(days: object) -> str:
        """The ISO moment `days` working days from the step's now (for timers and due dates)."""
        value = checked_days("working_days_from_now", days)
        result = _current("working_days_from_now").add_working_days(clock.now(), value).isoformat()
        charge()
        return result

    def add_working_days(start: str | datetime, days: object) -> str:
        """The ISO moment `days` working days after `start` (an ISO string or a datetime)."""
        value = checked_days("add_working_days", days)
        moment = datetime.fromisoformat(start) if isinstance(start, str) else start
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        result = _current("add_working_days").add_working_days(moment, value).isoformat()
        charge()
        return result

    def days_after(day: str | date, days: object) -> str:
        """The ISO date a period of `days` whole days from `day` ends on (see the module)."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ScriptError(f"TypeError: days_after() needs a whole number of days >= 0, not {days!r}")
        count = int(checked_days("days_after", days))
        try:
            start = date.fromisoformat(day[:10]) if isinstance(day, str) else day
        except ValueError:
            raise ScriptError(f"ValueError: days_after() needs an ISO date, not {day!r}") from None
        if isinstance(start, datetime):
            start = start.date()
        if not isinstance(start, date):
            raise ScriptError(f"TypeError: days_after() needs an ISO date, not {day!r}")
        calendar = _current("days_after")
        if _day_kind.get() == "calendar":
            end = start + timedelta(days=count)
            end = end if calendar.is_working_day(end) else calendar.next_working_day(end)
        else:
            end = start
            for _ in range(count):
                end = calendar.next_working_day(end)
        charge()
        return end.isoformat()

    return {
        "working_days_from_now": working_days_from_now,
        "add_working_days": add_working_days,
        "days_after": days_after,
    }
