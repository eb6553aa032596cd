"""The working-day calendar offered to scripts and timer expressions.

`working_days_from_now(days)` and `add_working_days(start, days)` call the business calendar the
service hands the engine. They count against the script's budget: their input is bounded
(max_calendar_days, before the calendar is asked) and the script's CPU budget is checked right
after each call, so a slow calendar call ends the script at once rather than at its next loop.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from . import clock
from .limits import Budgets, exceeded
from .sandbox import ScriptError, charge


def calendar_functions(calendar, budgets: Budgets) -> dict:
    """The helpers, for a callable `calendar` returning an object with add_working_days(start, days)."""

    def checked_days(name: str, days) -> float:
        try:
            value = float(days)
        except (TypeError, ValueError, OverflowError):
            raise ScriptError(f"TypeError: {name}() needs a number of working days, not {days!r}") from None
        if not math.isfinite(value) or abs(value) > budgets.max_calendar_days:
            what = f"{name}({days!r}) would count more than {budgets.max_calendar_days:,} working days"
            message = exceeded("max_calendar_days", budgets.max_calendar_days, what)
            raise ScriptError(message, budget="max_calendar_days")
        return value

    def working_days_from_now(days):
        """The ISO moment `days` working days from the step's now (for timers and due dates)."""
        value = checked_days("working_days_from_now", days)
        result = calendar().add_working_days(clock.now(), value).isoformat()
        charge()
        return result

    def add_working_days(start, days):
        """The ISO moment `days` working days after `start` (an ISO string or a datetime)."""
        value = checked_days("add_working_days", days)
        moment = datetime.fromisoformat(start) if isinstance(start, str) else start
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        result = calendar().add_working_days(moment, value).isoformat()
        charge()
        return result

    return {"working_days_from_now": working_days_from_now, "add_working_days": add_working_days}
