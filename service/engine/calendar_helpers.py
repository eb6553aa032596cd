"""The working-day calendar offered to scripts and timer expressions.

The service hands every command the office's working calendar as a value (`calendar=`, any
object with the methods of `Calendar`, such as service.calendar.workcal.WorkingCalendar); the
engine never asks anyone for it. For the length of the step it is the calendar of
`working_days_from_now(days)` and `add_working_days(start, days)`. A step given no calendar
has the helpers all the same; calling one is then a script error naming it.

The helpers count against the script's budget: their input is bounded (max_calendar_days, before
the calendar is asked) and the script's CPU budget is checked right after each call, so a slow
calendar call ends the script at once rather than at its next loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Protocol

from . import clock
from .errors import ScriptError
from .limits import Budgets, exceeded
from .sandbox import charge

HELPERS = ("working_days_from_now", "add_working_days")


class Calendar(Protocol):
    """What the engine needs of a working calendar: `days` working days after `start`."""

    def add_working_days(self, start: datetime, days: float) -> datetime: ...


_calendar: ContextVar[Calendar | None] = ContextVar("motcua_engine_calendar", default=None)


@contextmanager
def using(calendar: Calendar | None) -> Iterator[None]:
    """Make `calendar` the helpers' calendar for the enclosed engine work (one step)."""
    token = _calendar.set(calendar)
    try:
        yield
    finally:
        _calendar.reset(token)


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

    return {"working_days_from_now": working_days_from_now, "add_working_days": add_working_days}
